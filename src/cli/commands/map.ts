/**
 * `chainlab map dump|lookup|update|delete`: bpftool's map commands over the maps of an object.
 * chainlab has no kernel to keep maps alive between commands, so a state file stands in for the
 * pinned maps: `--state FILE` (the `--map-init` JSON shape) is applied after loading and, for
 * update/delete, written back — so `map update … --state s.json` then `prog run --map-init s.json`
 * runs on the updated maps.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { dumpBtfValue, JsonWriter } from '../../ebpf/btf/format.ts';
import type { Btf } from '../../ebpf/btf/types.ts';
import { bytesToHex, hexToBytes } from '../../ebpf/isa/insn.ts';
import { type BpfMap, BPF_ANY, BPF_EXIST, BPF_NOEXIST, errnoName, strerror } from '../../ebpf/maps/index.ts';
import type { LoadedObject } from '../../ebpf/runtime/runtime.ts';
import { CliError } from '../errors.ts';
import { applyMapInit, dumpMaps, type MapDumpEntry, type MapInit, readMapInit } from '../map-json.ts';
import { openObject } from '../object.ts';
import { loadIntoRuntime } from '../runtime.ts';

interface StateOpts {
  state?: string;
  json?: boolean;
  cpus: string;
}

/**
 * Bytes as bpftool's parse_bytes() reads them: one word a byte, each in C's strtoul base 0
 * (`10` decimal, `0x0a` hex, `012` octal) or, after the word `hex`, base 16 (`hex 0a 00`).
 * chainlab also takes a run of hex digits after `hex` as several bytes (`hex 0a000050`),
 * which bpftool would refuse, so no bpftool command line means something else here.
 */
export function parseBytes(words: string[], what: string, size: number): Uint8Array {
  let rest = words;
  const hex = rest.length > 0 && rest[0].length > 0 && 'hex'.startsWith(rest[0].toLowerCase());
  if (hex) rest = rest.slice(1);
  const out: number[] = [];
  for (const w of rest) {
    const digits = w.replace(/^0x/i, '');
    if (hex && /^[0-9a-f]+$/i.test(digits) && digits.length > 2 && digits.length % 2 === 0) {
      for (let i = 0; i < digits.length; i += 2) out.push(parseInt(digits.slice(i, i + 2), 16));
      continue;
    }
    const n = hex ? (/^[0-9a-f]+$/i.test(digits) ? parseInt(digits, 16) : NaN) : strtoulBase0(w);
    if (Number.isNaN(n)) {
      throw new CliError(
        `${what}: error parsing byte: ${w} (a byte is decimal, 0x… hex or 0… octal, as in bpftool; write '${what} hex ${w.length > 2 ? w.slice(0, 2) + ' …' : w}' for hex bytes)`,
      );
    }
    if (n > 0xff) throw new CliError(`${what}: ${w} is more than a byte (bpftool would keep only its low 8 bits)`);
    out.push(n);
  }
  if (out.length !== size) throw new CliError(`${what} expected ${size} bytes got ${out.length}`);
  return Uint8Array.from(out);
}

/** C's strtoul(w, &end, 0) for a whole word; NaN when characters are left over. */
function strtoulBase0(w: string): number {
  if (/^0x[0-9a-f]+$/i.test(w)) return parseInt(w.slice(2), 16);
  if (/^0[0-7]*$/.test(w)) return parseInt(w, 8);
  if (/^[1-9][0-9]*$/.test(w)) return parseInt(w, 10);
  return NaN;
}

/**
 * The BTF that bpftool formats a map's entries with: the object's, when the map has a value type
 * and is of a type that keeps BTF (libbpf creates the others without key/value types, and the
 * kernel refuses BTF on PROG_ARRAY, so libbpf retries those without it).
 */
interface MapBtf {
  btf: Btf;
  keyType?: number;
  valueType: number;
}

const NO_BTF = new Set(['PERF_EVENT_ARRAY', 'CGROUP_ARRAY', 'STACK_TRACE', 'ARRAY_OF_MAPS', 'HASH_OF_MAPS', 'DEVMAP', 'DEVMAP_HASH', 'CPUMAP', 'XSKMAP', 'SOCKMAP', 'SOCKHASH', 'QUEUE', 'STACK', 'RINGBUF', 'PROG_ARRAY'].map((t) => `BPF_MAP_TYPE_${t}`));

function mapBtf(loaded: LoadedObject, name: string): MapBtf | undefined {
  const spec = loaded.spec.maps.find((m) => m.name === name);
  const btf = loaded.spec.btf;
  if (!spec || !btf || spec.btfValueType === undefined || NO_BTF.has(spec.type)) return undefined;
  return { btf, keyType: spec.btfKeyType, valueType: spec.btfValueType };
}

/** bpftool's do_dump_btf(): {"key": …, "value": …} or {"key": …, "values": [{"cpu", "value"}]}, no "key" without a key type. */
function dumpEntryBtf(w: JsonWriter, mb: MapBtf, e: MapDumpEntry, plain: boolean): void {
  w.startObject();
  if (mb.keyType) {
    w.name('key');
    if (dumpBtfValue(w, mb.btf, mb.keyType, hexToBytes(e.key), { plain }) !== 0) {
      w.endObject();
      return;
    }
  }
  if ('value' in e) {
    w.name('value');
    dumpBtfValue(w, mb.btf, mb.valueType, hexToBytes(e.value), { plain });
  } else {
    w.name('values');
    w.startArray();
    for (const [cpu, v] of e.values.entries()) {
      w.startObject();
      w.name('cpu');
      w.raw(String(cpu));
      w.name('value');
      const ret = dumpBtfValue(w, mb.btf, mb.valueType, hexToBytes(v), { plain });
      w.endObject();
      if (ret !== 0) break;
    }
    w.endArray();
  }
  w.endObject();
}

/** bpftool's print_entry_json(): bytes as "0x.." strings, per-CPU values as {cpu, value}, then "formatted" when the map has BTF. */
function entryJson(w: JsonWriter, mb: MapBtf | undefined, e: MapDumpEntry): void {
  w.startObject();
  w.name('key');
  w.hexBytes(hexToBytes(e.key));
  if ('value' in e) {
    w.name('value');
    w.hexBytes(hexToBytes(e.value));
  } else {
    w.name('values');
    w.startArray();
    for (const [cpu, v] of e.values.entries()) {
      w.startObject();
      w.name('cpu');
      w.raw(String(cpu));
      w.name('value');
      w.hexBytes(hexToBytes(v));
      w.endObject();
    }
    w.endArray();
  }
  if (mb) {
    w.name('formatted');
    dumpEntryBtf(w, mb, e, false);
  }
  w.endObject();
}

function open(obj: string, opts: StateOpts): LoadedObject {
  const nCpus = /^[1-9][0-9]*$/.test(opts.cpus) ? Number(opts.cpus) : NaN;
  if (!(nCpus <= 4096)) throw new CliError(`--cpus must be a whole number from 1 to 4096, got '${opts.cpus}'`);
  const { obj: loaded } = loadIntoRuntime(openObject(obj), { nCpus });
  if (opts.state && existsSync(opts.state)) applyMapInit(loaded, readMapInit(opts.state), opts.state);
  return loaded;
}

function pick(loaded: LoadedObject, name: string): BpfMap {
  const m = loaded.maps.get(name);
  if (!m) throw new CliError(`${loaded.spec.path}: no map named '${name}'; it has ${[...loaded.maps.keys()].join(', ')}`);
  return m;
}

function saveState(loaded: LoadedObject, path: string): void {
  const state: MapInit = {};
  for (const [name, entries] of Object.entries(dumpMaps(loaded))) {
    const m = pick(loaded, name);
    if (m.frozen) continue;
    state[name] = entries.map((e) => ({ key: e.key, value: 'value' in e ? e.value : e.values[0] }));
  }
  writeFileSync(path, JSON.stringify(state, null, 2) + '\n');
}

const flagOf = (f: string | undefined): bigint => {
  if (f === undefined || f === 'any') return BPF_ANY;
  if (f === 'noexist') return BPF_NOEXIST;
  if (f === 'exist') return BPF_EXIST;
  throw new CliError(`update flag must be any, noexist or exist (bpftool's words), got '${f}'`);
};

/** Each subcommand's --help ends with examples, and says how contents carry between commands. */
const examples = (...lines: string[]): string =>
  `\nExamples:\n${lines.map((l) => `  $ chainlab map ${l}\n`).join('')}\n` +
  'Without --state each command starts from the object\'s initial contents (global data, static PROG_ARRAY\n' +
  'entries); --state FILE reads and writes the --map-init JSON, so a dump after an update sees the change.\n';

export function register(program: Command): void {
  const map = program.command('map').description('inspect and change the maps of a BPF object, like bpftool map');
  const common = (c: Command): Command =>
    c
      .option('--state <file>', 'map contents carried between commands (the --map-init JSON shape)')
      .option('--cpus <n>', 'simulated CPUs: a per-CPU map shows one value for each (the --state value is set on all)', '1')
      .option('--json', 'JSON output');

  common(map.command('dump').addHelpText('after', examples('dump test/fixtures/tc_nat.o', 'dump test/fixtures/xdp_proto_count.o proto_count --json', 'dump tc_nat.o dnat_table --state state.json')).description('dump every entry of a map (or of all maps)').argument('<obj>', 'BPF object (.o)').argument('[map]', 'map name')).action(
    (obj: string, name: string | undefined, opts: StateOpts) => {
      const loaded = open(obj, opts);
      const all = dumpMaps(loaded);
      const sel = name ? { [name]: all[name] ?? (pick(loaded, name), []) } : all;
      if (opts.json) {
        // One map: bpftool's array of entries; every map: those arrays by map name.
        const w = new JsonWriter(false);
        if (!name) w.startObject();
        for (const [n, entries] of Object.entries(sel)) {
          if (!name) w.name(n);
          const mb = mapBtf(loaded, n);
          w.startArray();
          for (const e of entries) entryJson(w, mb, e);
          w.endArray();
        }
        if (!name) w.endObject();
        console.log(w.text());
        return;
      }
      for (const [n, entries] of Object.entries(sel)) {
        const m = pick(loaded, n);
        // Every map: a `map show`-like line before each; one map: bpftool's lines alone.
        if (!name) console.log(`${m.id}: ${m.def.type.replace('BPF_MAP_TYPE_', '').toLowerCase()}  name ${n}  key ${m.def.keySize}B  value ${m.def.valueSize}B  max_entries ${m.def.maxEntries}`);
        const mb = mapBtf(loaded, n);
        if (mb) {
          // With BTF bpftool prints the formatted entries alone, as pretty JSON, and no count.
          const w = new JsonWriter(true);
          w.startArray();
          for (const e of entries) dumpEntryBtf(w, mb, e, true);
          w.endArray();
          console.log(w.text());
          continue;
        }
        for (const e of entries) console.log(entryPlain(m, e));
        console.log(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
      }
    },
  );

  common(map.command('lookup').addHelpText('after', examples('lookup test/fixtures/tc_nat.o dnat_table key 10 0 0 100 0 80 0 0 --state state.json', 'lookup test/fixtures/xdp_proto_count.o proto_count key hex 05 00 00 00 --json')).description('look up one key').argument('<obj>').argument('<map>').argument('key').argument('<bytes...>', 'key bytes as bpftool takes them: 10 0x0a 012, or hex 0a 00 …')).action(
    (obj: string, name: string, kw: string, bytes: string[], opts: StateOpts) => {
      if (kw !== 'key') throw new CliError(`expected 'key' before the key bytes, got '${kw}'`);
      const loaded = open(obj, opts);
      const m = pick(loaded, name);
      const key = parseBytes(bytes, 'key', m.def.keySize);
      const r = m.tryLookup(key);
      if (r.err !== 0 || r.data === undefined) throw new CliError(`lookup failed: ${strerror(r.err)} (${errnoName(r.err)})`, 1);
      const e: MapDumpEntry = Array.isArray(r.data) ? { key: bytesToHex(key), values: r.data.map(bytesToHex) } : { key: bytesToHex(key), value: bytesToHex(r.data) };
      const mb = mapBtf(loaded, name);
      const w = new JsonWriter(!opts.json);
      if (opts.json) entryJson(w, mb, e);
      else if (mb) dumpEntryBtf(w, mb, e, true);
      console.log(w.text() || entryPlain(m, e));
    },
  );

  common(
    map
      .command('update')
      .addHelpText('after', examples('update test/fixtures/tc_nat.o dnat_table key 10 0 0 100 0 80 0 0 value 10 0 1 2 0x1f 0x90 0 0 --state state.json', 'update lb.o backends key hex 00 00 00 00 value hex 0a 00 01 02 noexist --state state.json'))
      .description('create or change an entry: map update OBJ MAP key BYTES… value BYTES… [any|noexist|exist]')
      .argument('<obj>')
      .argument('<map>')
      .argument('<words...>', 'key BYTES… value BYTES… [any|noexist|exist]'),
  ).action((obj: string, name: string, words: string[], opts: StateOpts) => {
    const ki = words.indexOf('key');
    const vi = words.indexOf('value');
    if (ki !== 0 || vi < 0) throw new CliError(`expected: key BYTES… value BYTES… [any|noexist|exist]`);
    const last = words[words.length - 1];
    const hasFlag = ['any', 'noexist', 'exist'].includes(last);
    const loaded = open(obj, opts);
    const m = pick(loaded, name);
    const key = parseBytes(words.slice(1, vi), 'key', m.def.keySize);
    const value = parseBytes(words.slice(vi + 1, hasFlag ? -1 : undefined), 'value', m.def.valueSize);
    const err = m.update(key, value, flagOf(hasFlag ? last : undefined));
    if (err !== 0) throw new CliError(`update failed: ${strerror(err)} (${errnoName(err)})`, 1);
    if (opts.state) saveState(loaded, opts.state);
  });

  common(map.command('delete').addHelpText('after', examples('delete test/fixtures/tc_nat.o dnat_table key 10 0 0 100 0 80 0 0 --state state.json')).description('delete one key').argument('<obj>').argument('<map>').argument('key').argument('<bytes...>')).action(
    (obj: string, name: string, kw: string, bytes: string[], opts: StateOpts) => {
      if (kw !== 'key') throw new CliError(`expected 'key' before the key bytes, got '${kw}'`);
      const loaded = open(obj, opts);
      const m = pick(loaded, name);
      const err = m.delete(parseBytes(bytes, 'key', m.def.keySize));
      if (err !== 0) throw new CliError(`delete failed: ${strerror(err)} (${errnoName(err)})`, 1);
      if (opts.state) saveState(loaded, opts.state);
    },
  );
}

/** bpftool's fprint_hex(): bytes apart by a space, two after every 8th, a line break after every 16th. */
const spaced = (hex: string): string =>
  (hex.match(/../g) ?? []).map((b, i) => (i === 0 ? '' : i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : ' ') + b).join('');

/** bpftool's print_entry_plain() (its output for a map without BTF), line breaks and all. */
function entryPlain(m: BpfMap, e: MapDumpEntry): string {
  const { keySize, valueSize } = m.def;
  if ('value' in e) {
    const breakNames = keySize > 16 || valueSize > 16;
    const singleLine = keySize + valueSize <= 24 && !breakNames;
    return `key:${breakNames ? '\n' : ' '}${spaced(e.key)}${singleLine ? '  ' : '\n'}value:${breakNames ? '\n' : ' '}${spaced(e.value)}`;
  }
  const lines = [`key:`, spaced(e.key)];
  e.values.forEach((v, cpu) => lines.push(`value (CPU ${String(cpu).padStart(2, '0')}):${valueSize > 16 ? '\n' : ' '}${spaced(v)}`));
  return lines.join('\n');
}
