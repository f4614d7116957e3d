/**
 * loadObject(): ELF bytes → ObjectSpec, as a flat pipeline of named steps that mirrors
 * libbpf's bpf_object_open() + bpf_object__relocate() (without creating anything):
 *
 *   read ELF header → read sections → read symbols → read relocations → parse BTF →
 *   parse BTF.ext → collect maps → collect programs / decode instructions →
 *   load relocations → CO-RE relocations → link subprograms → static map initialisation →
 *   read license
 *
 * Any failure becomes a LoadError "<file>: <step>: <what, where>"; unexpected exceptions
 * are wrapped too, so that bad input never escapes as a bare RangeError.
 */
import { parseBtf, parseBtfExt, type BtfStrings } from '../btf/parse.ts';
import { BtfError, type Btf, type BtfExt } from '../btf/types.ts';
import { LoadError, LoadFailure } from './errors.ts';
import { collectInitialSlots, collectMaps } from './maps.ts';
import { collectPrograms } from './programs.ts';
import { parseElf, STB_LOCAL, STT_SECTION, type ElfFile } from './reader.ts';
import type { ObjectSpec } from './spec.ts';

function run<T>(path: string, step: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LoadError) throw e;
    if (e instanceof LoadFailure) throw new LoadError(path, e.step ?? step, e.detail, e.ctx, { cause: e });
    if (e instanceof BtfError) throw new LoadError(path, step, e.message, {}, { cause: e });
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new LoadError(path, step, `internal error (malformed input?): ${msg}`, {}, { cause: e });
  }
}

/**
 * libbpf's btf_fixup_datasec(): clang leaves DATASEC sizes and variable offsets at 0 in
 * object files; take them from the ELF section and symbols, then order variables by offset.
 */
function fixupDatasecs(elf: ElfFile, btf: Btf): void {
  for (const t of btf.types) {
    if (t.kind !== 'DATASEC') continue;
    const sec = elf.sections.find((s) => s.name === t.name);
    if (!sec) continue; // e.g. .kconfig/.ksyms for externs
    t.size = sec.size;
    for (const v of t.vars) {
      const vt = btf.types[v.type];
      if (vt.kind !== 'VAR' || vt.linkage === 'extern') continue;
      const sym = elf.symbols.find(
        (s) => s.shndx === sec.index && s.name === vt.name && s.type !== STT_SECTION && (vt.linkage === 'static' ? s.bind === STB_LOCAL : s.bind !== STB_LOCAL),
      );
      if (sym) v.offset = sym.value;
      else if (vt.linkage !== 'static') throw new LoadFailure(`DATASEC '${t.name}': no ELF symbol for variable '${vt.name}'`, { section: t.name, symbol: vt.name });
    }
    t.vars.sort((a, b) => a.offset - b.offset || a.type - b.type);
  }
}

function readLicense(elf: ElfFile): { license: string; version?: number } {
  const lic = elf.sections.find((s) => s.name === 'license');
  let license = '';
  if (lic) {
    const end = lic.data.indexOf(0);
    license = new TextDecoder().decode(lic.data.subarray(0, end < 0 ? lic.data.length : end));
  }
  const ver = elf.sections.find((s) => s.name === 'version');
  if (!ver) return { license };
  if (ver.data.length !== 4) throw new LoadFailure(`section 'version' is ${ver.data.length} bytes, expected 4`, { section: 'version' });
  return { license, version: new DataView(ver.data.buffer, ver.data.byteOffset, 4).getUint32(0, true) };
}

/** Parse a clang-built BPF object into a deterministic ObjectSpec. Throws LoadError. */
export function loadObject(bytes: Uint8Array, path: string): ObjectSpec {
  const elf = run(path, 'read ELF', () => parseElf(bytes));

  let btf: Btf | undefined;
  let strings: BtfStrings | undefined;
  const btfSec = elf.sections.find((s) => s.name === '.BTF');
  if (btfSec) {
    const parsed = run(path, 'parse BTF', () => parseBtf(btfSec.data));
    btf = parsed.btf;
    strings = parsed.strings;
    run(path, 'parse BTF', () => fixupDatasecs(elf, parsed.btf));
  }
  let ext: BtfExt | undefined;
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
  if (extSec && strings) {
    const s = strings;
    ext = run(path, 'parse BTF.ext', () => parseBtfExt(extSec.data, s));
  }

  const maps = run(path, 'collect maps', () => collectMaps(elf, btf, path));
  const progs = run(path, 'collect programs', () => collectPrograms(elf, btf, ext, maps));
  run(path, 'static map initialisation', () => collectInitialSlots(elf, maps, progs.isProgram));
  const { license, version } = run(path, 'read license', () => readLicense(elf));

  const spec: ObjectSpec = {
    path,
    license,
    programs: progs.programs,
    maps: maps.defs.map((d) => d.spec),
  };
  if (version !== undefined) spec.version = version;
  if (btf) spec.btf = btf;
  return spec;
}
