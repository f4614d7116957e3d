/**
 * `chainlab map dump|lookup` of maps with BTF, compared byte for byte with bpftool on the
 * running kernel: each fixture is loaded with `bpftool prog loadall`, the same key/value bytes
 * go into the kernel map (bpftool map update) and into chainlab (--state), and the outputs of
 * dump and lookup, plain and --json (bpftool -j), must be identical. Root only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, FIX } from './run-cli.ts';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('bpftool', ['version']).status !== 0) return 'bpftool not found';
  if (!existsSync('/sys/fs/bpf')) return 'no bpffs at /sys/fs/bpf';
  return undefined;
}
const reason = skipReason();
if (reason !== undefined) console.warn(`[map dump/lookup vs bpftool] SKIPPED: ${reason}`);

const PIN_DIR = `/sys/fs/bpf/i3btf_${process.pid}`;
/** maps_user.o pins blocked_ports by name under /sys/fs/bpf; removed after unless it was there. */
const BY_NAME_PIN = '/sys/fs/bpf/blocked_ports';

const bpftool = (...args: string[]): string => execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const words = (hex: string): string[] => ['hex', ...(hex.match(/../g) ?? [])];

/** Possible CPUs (what bpftool prints per-CPU values for), e.g. "0-1" → 2. */
function possibleCpus(): number {
  return readFileSync('/sys/devices/system/cpu/possible', 'utf8')
    .trim()
    .split(',')
    .reduce((n, r) => {
      const [a, b] = r.split('-').map(Number);
      return n + (b === undefined ? 1 : b - a + 1);
    }, 0);
}

interface Case {
  what: string;
  obj: string;
  /** chainlab's name of the map. */
  map: string;
  /** the kernel's (at most 15 characters). */
  kname: string;
  key: string;
  value: string;
  /** ARRAY-like maps cannot delete: the entry is zeroed again after the case. */
  array?: boolean;
  /** global data: no update (.rodata is frozen), the initial contents compared. */
  noUpdate?: boolean;
}

const u64 = (v: bigint): string => Buffer.from(new BigUint64Array([BigInt.asUintN(64, v)]).buffer).toString('hex');
const s32 = (v: number): string => Buffer.from(new Int32Array([v]).buffer).toString('hex');

/** struct port_rule of btf_maps.c: bitfields, signed ints, _Bool, enum, union, array, char[6], pointer. */
function portRule(label: number[], cookie: bigint, verdict: number, enabled: number): string {
  const b = Buffer.alloc(48);
  b.writeUInt32LE((5 | (0x123 << 4) | (0xbeef << 16)) >>> 0, 0);
  b.writeInt8(-3, 4);
  b.writeInt16LE(-300, 6);
  b[8] = enabled;
  b.writeInt32LE(verdict, 12);
  b.writeBigInt64LE(-5n, 16);
  Buffer.from([10, 0, 0, 1]).copy(b, 24);
  b.writeUInt16LE(1, 28);
  b.writeUInt16LE(2, 30);
  b.writeUInt16LE(65535, 32);
  Buffer.from(label).copy(b, 34);
  b.writeBigUInt64LE(cookie, 40);
  return b.toString('hex');
}

const ETH0_KEY = Buffer.concat([Buffer.from('eth0'), Buffer.alloc(12), Buffer.from([6, 0, 0x1f, 0x90])]).toString('hex');
const pktStats = (): string => {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(2n ** 64n - 1n, 0);
  b.writeInt32LE(-2, 8);
  b.writeUInt16LE(5 | (200 << 3), 12);
  return b.toString('hex');
};
const kinds = (): string => {
  const b = Buffer.alloc(96);
  b.writeUInt32LE(7, 0);
  b.writeUInt16LE(0xffff, 4);
  b.writeInt32LE(-1, 8);
  b.writeBigUInt64LE(0x1234567890n, 16);
  return b.toString('hex');
};

const CASES: Case[] = [
  { what: 'HASH, struct key and value', obj: 'tc_nat', map: 'dnat_table', kname: 'dnat_table', key: '0a0000640050' + '0600', value: '0a0001021f900000' },
  { what: 'ARRAY of __s64 (-1)', obj: 'map_kinds', map: 'results', kname: 'results', key: '01000000', value: u64(-1n), array: true },
  { what: 'ARRAY of __s64 (INT64_MIN)', obj: 'map_kinds', map: 'results', kname: 'results', key: '03000000', value: u64(-(2n ** 63n)), array: true },
  { what: 'PERCPU_ARRAY of __u64', obj: 'xdp_proto_count', map: 'proto_count', kname: 'proto_count', key: '06000000', value: '0102030405060788', array: true },
  { what: 'LRU_PERCPU_HASH __u32 → __u64', obj: 'map_kinds', map: 'bytes_by_src', kname: 'bytes_by_src', key: '01020304', value: u64(5n) },
  { what: 'LPM_TRIE, struct key', obj: 'maps_user', map: 'allow_v4', kname: 'allow_v4', key: '180000000a000100', value: '01000000' },
  { what: 'LRU_HASH, struct key with a u8[3]', obj: 'maps_user', map: 'flows', kname: 'flows', key: '0a0000010a00000230390050' + '06000000', value: u64(3n) + u64(1500n) },
  { what: 'HASH, char[16] key, bitfields/enum/union/string/pointer value', obj: 'btf_maps', map: 'port_rules', kname: 'port_rules', key: ETH0_KEY, value: portRule([0x61, 0x62, 0x22, 0x5c, 0, 0], 0xffff888012345678n, 7, 1) },
  { what: 'HASH, unterminated char[6], NULL pointer, unnamed enum value', obj: 'btf_maps', map: 'port_rules', kname: 'port_rules', key: ETH0_KEY, value: portRule([0x61, 0x62, 0x63, 0x64, 0x65, 0x66], 0n, 3, 2) },
  { what: 'ARRAY of enum (named -1)', obj: 'btf_maps', map: 'verdicts', kname: 'verdicts', key: '02000000', value: s32(-1), array: true },
  { what: 'ARRAY of enum (no name)', obj: 'btf_maps', map: 'verdicts', kname: 'verdicts', key: '01000000', value: s32(3), array: true },
  { what: 'PERCPU_HASH, struct with u16 bitfields', obj: 'btf_maps', map: 'stats', kname: 'stats', key: '3412', value: pktStats() },
  { what: '.data DATASEC', obj: 'global_data', map: '.data', kname: 'global_d.data', key: '00000000', value: 'efbeadde', array: true },
  { what: '.rodata DATASEC (initial)', obj: 'global_data', map: '.rodata', kname: 'global_d.rodata', key: '00000000', value: '', noUpdate: true },
  { what: '.bss DATASEC (initial)', obj: 'global_data', map: '.bss', kname: 'global_d.bss', key: '00000000', value: '', noUpdate: true },
  { what: '.data.tuning DATASEC (initial)', obj: 'global_data', map: '.data.tuning', kname: '.data.tuning', key: '00000000', value: '', noUpdate: true },
  { what: '.rodata.str1.1 (no DATASEC: plain bytes)', obj: 'global_data', map: '.rodata.str1.1', kname: '.rodata.str1.1', key: '00000000', value: '', noUpdate: true },
  { what: '.bss with a float member (bpftool stops at "(unsupported-kind")', obj: 'btf_kinds', map: '.bss', kname: 'btf_kind.bss', key: '00000000', value: kinds(), array: true },
];

describe.skipIf(reason !== undefined)('map dump/lookup of BTF maps against bpftool on the kernel', () => {
  const ids = new Map<string, number>(); // "obj/kname" → kernel map id
  let tmp = '';
  let byNameExisted = false;
  let cpus = 1;
  let compared = 0;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'chainlab-i3btf-'));
    byNameExisted = existsSync(BY_NAME_PIN);
    cpus = possibleCpus();
    execFileSync('mkdir', ['-p', PIN_DIR]);
    for (const obj of new Set(CASES.map((c) => c.obj))) {
      bpftool('prog', 'loadall', join(FIX, `${obj}.o`), join(PIN_DIR, obj));
      const progs = bpftool('-j', 'prog', 'show').trim();
      const pinned = new Set(
        execFileSync('ls', [join(PIN_DIR, obj)], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean),
      );
      for (const p of JSON.parse(progs) as { name: string; map_ids?: number[] }[]) {
        if (!pinned.has(p.name)) continue;
        for (const id of p.map_ids ?? []) {
          const m = JSON.parse(bpftool('-j', 'map', 'show', 'id', String(id))) as { name: string };
          const k = `${obj}/${m.name}`;
          // The newest load wins: prog names repeat across runs, map ids only grow.
          if ((ids.get(k) ?? -1) < id) ids.set(k, id);
        }
      }
    }
  }, 60_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    rmSync(PIN_DIR, { recursive: true, force: true });
    if (!byNameExisted) rmSync(BY_NAME_PIN, { force: true });
    console.log(`[map dump/lookup vs bpftool] ${compared} outputs identical over ${CASES.length} cases`);
  });

  for (const c of CASES) {
    it(`${c.obj} ${c.map}: ${c.what}`, () => {
      const id = ids.get(`${c.obj}/${c.kname}`);
      expect(id, `kernel map ${c.kname} of ${c.obj}.o`).toBeDefined();
      const state = join(tmp, 'state.json');
      writeFileSync(state, JSON.stringify(c.noUpdate ? {} : { [c.map]: [{ key: c.key, value: c.value }] }));
      if (!c.noUpdate) bpftool('map', 'update', 'id', String(id), 'key', ...words(c.key), 'value', ...words(c.value));
      try {
        for (const json of [false, true]) {
          const flag = json ? ['--json'] : [];
          const kflag = json ? ['-j'] : [];
          const common = ['--state', state, '--cpus', String(cpus), ...flag];
          const dump = cli(['map', 'dump', join(FIX, `${c.obj}.o`), c.map, ...common]);
          expect(dump.stderr).toBe('');
          expect(dump.stdout, `dump${json ? ' --json' : ''}`).toBe(bpftool(...kflag, 'map', 'dump', 'id', String(id)));
          const look = cli(['map', 'lookup', join(FIX, `${c.obj}.o`), c.map, 'key', ...words(c.key), ...common]);
          expect(look.stderr).toBe('');
          expect(look.stdout, `lookup${json ? ' --json' : ''}`).toBe(bpftool(...kflag, 'map', 'lookup', 'id', String(id), 'key', ...words(c.key)));
          compared += 2;
        }
      } finally {
        if (c.noUpdate) {
          /* nothing was written */
        } else if (c.array) bpftool('map', 'update', 'id', String(id), 'key', ...words(c.key), 'value', ...words('00'.repeat(c.value.length / 2)));
        else bpftool('map', 'delete', 'id', String(id), 'key', ...words(c.key));
      }
    }, 60_000);
  }
});
