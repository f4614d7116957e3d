/**
 * The kernel as oracle for the map and program specs: each fixture is loaded with bpftool
 * (libbpf) and the kernel's view of every program and of every map they use — type, name,
 * key/value sizes, max_entries, flags — must equal the ObjectSpec. Needs root, bpftool and
 * bpffs; skips with a message otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BPF_F_RDONLY_PROG } from '../../../src/ebpf/elf/kernel-names.ts';
import { loadObject } from '../../../src/ebpf/elf/load.ts';
import { progTag } from '../../../src/ebpf/elf/tag.ts';
import { FIXTURE_OBJECTS, fixtureBytes, fixturePath } from './fixture-files.ts';

const BPFFS = '/sys/fs/bpf';

function bpftool(...args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('bpftool', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function kernelAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!bpftool('version').ok) return 'no bpftool';
  if (!existsSync(`${BPFFS}/progs.debug`) && !existsSync(`${BPFFS}`)) return 'no bpffs';
  return undefined;
}

const why = kernelAvailable();
if (why) console.warn(`test/ebpf/elf/kernel.test.ts: SKIPPED, the kernel is not available as an oracle (${why})`);

// libbpf 1.x refuses the legacy maps section; core_unsupported loads in the kernel but chainlab refuses it on purpose.
const NOT_COMPARED = new Set(['legacy_maps', 'core_unsupported']);

interface KProg {
  type: string;
  name: string;
  tag: string;
  map_ids?: number[];
}
interface KMap {
  type: string;
  name: string;
  flags: number;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
}

describe.skipIf(why !== undefined)('fixtures in the kernel (bpftool prog loadall)', () => {
  it.each(FIXTURE_OBJECTS.filter((n) => !NOT_COMPARED.has(n)))('%s.o: the kernel sees the same programs and maps', (name) => {
    const spec = loadObject(fixtureBytes(name), `${name}.o`);
    const dir = `${BPFFS}/chainlab-elf-test-${process.pid}-${name}`;
    const byName = spec.maps.filter((m) => m.pinning === 'by_name' && !existsSync(`${BPFFS}/${m.name}`)).map((m) => `${BPFFS}/${m.name}`);
    rmSync(dir, { recursive: true, force: true });
    try {
      const load = bpftool('prog', 'loadall', fixturePath(name), dir);
      expect(load.ok, load.err).toBe(true);
      const mapIds = new Set<number>();
      for (const p of spec.programs) {
        const show = bpftool('-j', 'prog', 'show', 'pinned', `${dir}/${p.name}`);
        expect(show.ok, show.err).toBe(true);
        const k = JSON.parse(show.out) as KProg;
        expect(k.type, p.name).toBe(p.progType.replace('BPF_PROG_TYPE_', '').toLowerCase());
        // The kernel keeps 15 characters; bpftool shows the full name from BTF when it has it.
        expect([p.name, p.name.slice(0, 15)], p.name).toContain(k.name);
        // The tag hashes the linked instructions as submitted: it proves chainlab links like libbpf.
        expect([progTag(p.insns), progTag(p.insns, 'sha1')], `${p.name} tag`).toContain(k.tag);
        for (const id of k.map_ids ?? []) mapIds.add(id);
      }
      const seen = new Set<string>();
      for (const id of mapIds) {
        const k = JSON.parse(bpftool('-j', 'map', 'show', 'id', String(id)).out) as KMap;
        const m = spec.maps.find((x) => x.kernelName === k.name);
        expect(m, `kernel map '${k.name}'`).toBeDefined();
        seen.add(m!.name);
        // libbpf sizes a PERF_EVENT_ARRAY with max_entries 0 to the number of CPUs.
        const maxEntries = m!.type === 'BPF_MAP_TYPE_PERF_EVENT_ARRAY' && m!.maxEntries === 0 ? k.max_entries : m!.maxEntries;
        // dev_map_init_map() adds BPF_F_RDONLY_PROG: programs must not write devmap values.
        const kernelAdds = m!.type === 'BPF_MAP_TYPE_DEVMAP' || m!.type === 'BPF_MAP_TYPE_DEVMAP_HASH' ? BPF_F_RDONLY_PROG : 0;
        expect([k.type, k.bytes_key, k.bytes_value, k.max_entries, k.flags], m!.name).toEqual([
          m!.type.replace('BPF_MAP_TYPE_', '').toLowerCase(),
          m!.keySize,
          m!.valueSize,
          maxEntries,
          m!.flags | kernelAdds,
        ]);
      }
      for (const p of spec.programs) for (const r of p.mapRefs) expect(seen, `${p.name} uses ${r.map}`).toContain(r.map);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const pin of byName) rmSync(pin, { force: true });
    }
  });
});
