/**
 * One test per fixture: what the loader reads from each committed object, checked against
 * the C source's intent and against llvm-objdump's own reading (golden/*.objdump.txt).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, encode } from '../../../src/ebpf/isa/insn.ts';
import { BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../../../src/ebpf/isa/opcodes.ts';
import { loadObject } from '../../../src/ebpf/elf/load.ts';
import type { ObjectSpec, ProgramSpec } from '../../../src/ebpf/elf/spec.ts';
import { FIXTURE_OBJECTS, fixtureBytes, golden, hasGolden } from './fixture-files.ts';
import { parseObjdump } from './objdump-golden.ts';

type Prog = [name: string, section: string, progType: string, attachType?: string];
type Map_ = [name: string, type: string, keySize: number, valueSize: number, maxEntries: number];

interface Expect {
  license: string;
  programs: Prog[];
  maps: Map_[];
}

const XDP = 'BPF_PROG_TYPE_XDP';
const CLS = 'BPF_PROG_TYPE_SCHED_CLS';
const SK = 'BPF_PROG_TYPE_SK_SKB';
const CG = 'BPF_PROG_TYPE_CGROUP_SKB';

const EXPECTED: Record<string, Expect> = {
  xdp_proto_count: {
    license: 'Dual BSD/GPL',
    programs: [['xdp_proto_count', 'xdp', XDP, 'BPF_XDP']],
    maps: [['proto_count', 'BPF_MAP_TYPE_PERCPU_ARRAY', 4, 8, 11]],
  },
  tc_nat: {
    license: 'GPL',
    programs: [
      ['tc_dnat', 'tc', CLS],
      ['tc_snat', 'tc', CLS],
    ],
    maps: [
      ['dnat_table', 'BPF_MAP_TYPE_HASH', 8, 8, 256],
      ['snat_table', 'BPF_MAP_TYPE_HASH', 8, 8, 256],
    ],
  },
  tail_chain: {
    license: 'GPL',
    programs: [
      ['stage_one', 'xdp', XDP, 'BPF_XDP'],
      ['stage_two', 'xdp', XDP, 'BPF_XDP'],
      ['chain_entry', 'xdp', XDP, 'BPF_XDP'],
    ],
    maps: [
      ['chain', 'BPF_MAP_TYPE_PROG_ARRAY', 4, 4, 8],
      ['hops', 'BPF_MAP_TYPE_ARRAY', 4, 8, 4],
    ],
  },
  xdp_redirect: {
    license: 'GPL',
    programs: [
      ['xdp_devmap', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_ifindex', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_cpumap', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_tx_swap', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_pass', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_drop', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_parse_redirect', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_devmap_prog', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_devmap_by_src', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_broadcast', 'xdp', XDP, 'BPF_XDP'],
      ['tc_redirect', 'tc', CLS],
      ['devmap_mark', 'xdp/devmap', XDP, 'BPF_XDP_DEVMAP'],
      ['cpumap_mark', 'xdp/cpumap', XDP, 'BPF_XDP_CPUMAP'],
    ],
    maps: [
      ['tx_port', 'BPF_MAP_TYPE_DEVMAP', 4, 4, 8],
      ['cpus', 'BPF_MAP_TYPE_CPUMAP', 4, 8, 4],
      ['tx_prog_port', 'BPF_MAP_TYPE_DEVMAP', 4, 8, 4],
      ['bcast_ports', 'BPF_MAP_TYPE_DEVMAP_HASH', 4, 8, 4],
      ['entry_seen', 'BPF_MAP_TYPE_ARRAY', 4, 8, 16],
      ['.bss', 'BPF_MAP_TYPE_ARRAY', 4, 8, 1],
      ['.data', 'BPF_MAP_TYPE_ARRAY', 4, 4, 1],
    ],
  },
  xdp_encap: {
    license: 'GPL',
    programs: [
      ['xdp_ipip_encap', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_ipip_decap', 'xdp', XDP, 'BPF_XDP'],
    ],
    maps: [],
  },
  bpf_calls: {
    license: 'GPL',
    programs: [
      ['calls_check', 'tc', CLS],
      ['calls_len', 'tc', CLS],
    ],
    // The struct initialiser of loop_ctx lands in a mergeable-constant section.
    maps: [['.rodata.cst16', 'BPF_MAP_TYPE_ARRAY', 4, 16, 1]],
  },
  global_data: {
    license: 'GPL',
    programs: [['global_check', 'tc', CLS]],
    maps: [
      ['.data', 'BPF_MAP_TYPE_ARRAY', 4, 4, 1],
      ['.rodata', 'BPF_MAP_TYPE_ARRAY', 4, 5, 1],
      ['.data.tuning', 'BPF_MAP_TYPE_ARRAY', 4, 4, 1],
      ['.bss', 'BPF_MAP_TYPE_ARRAY', 4, 20, 1],
      ['.rodata.str1.1', 'BPF_MAP_TYPE_ARRAY', 4, 15, 1],
    ],
  },
  loops_atomics: {
    license: 'GPL',
    programs: [['loop_atomic_check', 'tc', CLS]],
    maps: [['cells', 'BPF_MAP_TYPE_ARRAY', 4, 8, 4]],
  },
  maps_user: {
    license: 'GPL',
    programs: [['xdp_firewall', 'xdp', XDP, 'BPF_XDP']],
    maps: [
      ['allow_v4', 'BPF_MAP_TYPE_LPM_TRIE', 8, 4, 64],
      ['blocked_ports', 'BPF_MAP_TYPE_HASH', 2, 1, 32],
      ['bytes_by_proto', 'BPF_MAP_TYPE_PERCPU_HASH', 4, 8, 16],
      ['flows', 'BPF_MAP_TYPE_LRU_HASH', 16, 16, 1024],
      ['events', 'BPF_MAP_TYPE_RINGBUF', 0, 0, 4096],
      ['perf_events', 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', 4, 4, 0],
      ['tx_ports', 'BPF_MAP_TYPE_DEVMAP', 4, 4, 8],
    ],
  },
  map_kinds: {
    license: 'GPL',
    programs: [
      ['xdp_map_kinds', 'xdp', XDP, 'BPF_XDP'],
      ['tc_map_kinds', 'tc', CLS],
    ],
    maps: [
      ['xsks', 'BPF_MAP_TYPE_XSKMAP', 4, 4, 4],
      ['lens', 'BPF_MAP_TYPE_QUEUE', 0, 4, 4],
      ['protos', 'BPF_MAP_TYPE_STACK', 0, 4, 4],
      ['bytes_by_src', 'BPF_MAP_TYPE_LRU_PERCPU_HASH', 4, 8, 16],
      ['results', 'BPF_MAP_TYPE_ARRAY', 4, 8, 32],
    ],
  },
  skb_fields: {
    license: 'GPL',
    programs: [
      ['tc_skb_fields', 'tc', CLS],
      ['tc_skb_writes', 'tc', CLS],
      ['socket_skb_fields', 'socket', 'BPF_PROG_TYPE_SOCKET_FILTER'],
      ['cgroup_skb_fields', 'cgroup_skb/ingress', CG, 'BPF_CGROUP_INET_INGRESS'],
    ],
    maps: [['fields', 'BPF_MAP_TYPE_ARRAY', 4, 8, 64]],
  },
  helpers_misc: {
    license: 'GPL',
    programs: [['tc_helpers_misc', 'tc', CLS]],
    maps: [
      ['results', 'BPF_MAP_TYPE_ARRAY', 4, 8, 48],
      ['.rodata', 'BPF_MAP_TYPE_ARRAY', 4, 6, 1],
      // The strings the stack buffers are initialised from.
      ['.rodata.str1.1', 'BPF_MAP_TYPE_ARRAY', 4, 114, 1],
    ],
  },
  helpers_net: {
    license: 'GPL',
    programs: [
      ['tc_check_mtu', 'tc', CLS],
      ['tc_skb_meta', 'tc', CLS],
      ['tc_tunnel', 'tc', CLS],
      ['tc_tunnel6', 'tc', CLS],
      ['tc_sk_lookup', 'tc', CLS],
      ['xdp_check_mtu', 'xdp', XDP, 'BPF_XDP'],
      ['xdp_sk_lookup', 'xdp', XDP, 'BPF_XDP'],
      ['cgroup_skb_meta', 'cgroup_skb/ingress', CG, 'BPF_CGROUP_INET_INGRESS'],
    ],
    maps: [['results', 'BPF_MAP_TYPE_ARRAY', 4, 8, 160]],
  },
  btf_maps: {
    license: 'GPL',
    programs: [['btf_maps_xdp', 'xdp', XDP, 'BPF_XDP']],
    maps: [
      ['verdicts', 'BPF_MAP_TYPE_ARRAY', 4, 4, 4],
      ['port_rules', 'BPF_MAP_TYPE_HASH', 20, 48, 16],
      ['stats', 'BPF_MAP_TYPE_PERCPU_HASH', 2, 16, 8],
    ],
  },
  xdp_frags: {
    license: 'GPL',
    programs: [
      ['frags_probe', 'xdp.frags', XDP, 'BPF_XDP'],
      ['frags_store', 'xdp.frags', XDP, 'BPF_XDP'],
      ['frags_grow', 'xdp.frags', XDP, 'BPF_XDP'],
      ['frags_shrink', 'xdp.frags', XDP, 'BPF_XDP'],
      ['frags_perf', 'xdp.frags', XDP, 'BPF_XDP'],
      ['xdp_plain', 'xdp', XDP, 'BPF_XDP'],
    ],
    maps: [
      ['events', 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', 4, 4, 0],
      ['results', 'BPF_MAP_TYPE_ARRAY', 4, 8, 16],
      ['.rodata.cst16', 'BPF_MAP_TYPE_ARRAY', 4, 16, 1],
    ],
  },
  map_in_map: {
    license: 'GPL',
    programs: [['xdp_parity', 'xdp', XDP, 'BPF_XDP']],
    maps: [
      ['even_counter', 'BPF_MAP_TYPE_ARRAY', 4, 8, 1],
      ['odd_counter', 'BPF_MAP_TYPE_ARRAY', 4, 8, 1],
      ['by_parity', 'BPF_MAP_TYPE_ARRAY_OF_MAPS', 4, 4, 4],
      ['tenants', 'BPF_MAP_TYPE_HASH_OF_MAPS', 4, 4, 8],
    ],
  },
  legacy_maps: {
    license: 'GPL',
    programs: [['legacy_count', 'classifier', CLS]],
    maps: [
      ['pkt_count', 'BPF_MAP_TYPE_ARRAY', 4, 8, 4],
      ['proto_seen', 'BPF_MAP_TYPE_HASH', 2, 8, 64],
    ],
  },
  socket_ldabs: {
    license: 'GPL',
    programs: [['socket_http', 'socket', 'BPF_PROG_TYPE_SOCKET_FILTER']],
    maps: [],
  },
  core_uapi: {
    license: 'GPL',
    programs: [['core_check', 'tc', CLS]],
    maps: [],
  },
  cpu_v4: {
    license: 'GPL',
    programs: [['cpu_v4_check', 'tc', CLS]],
    maps: [['.bss', 'BPF_MAP_TYPE_ARRAY', 4, 48, 1]],
  },
  btf_kinds: {
    license: 'GPL',
    programs: [['btf_kinds_check', 'tc', CLS]],
    maps: [['.bss', 'BPF_MAP_TYPE_ARRAY', 4, 96, 1]],
  },
  sections: {
    license: 'GPL',
    programs: [
      ['sec_xdp_frags', 'xdp.frags', XDP, 'BPF_XDP'],
      ['sec_xdp_devmap', 'xdp/devmap', XDP, 'BPF_XDP_DEVMAP'],
      ['sec_xdp_cpumap', 'xdp/cpumap', XDP, 'BPF_XDP_CPUMAP'],
      ['sec_classifier', 'classifier', CLS],
      ['sec_action', 'action', 'BPF_PROG_TYPE_SCHED_ACT'],
      ['sec_socket', 'socket', 'BPF_PROG_TYPE_SOCKET_FILTER'],
      ['sec_stream_parser', 'sk_skb/stream_parser', SK, 'BPF_SK_SKB_STREAM_PARSER'],
      ['sec_stream_verdict', 'sk_skb/stream_verdict', SK, 'BPF_SK_SKB_STREAM_VERDICT'],
      ['sec_sk_skb', 'sk_skb', SK],
      ['sec_sk_msg', 'sk_msg', 'BPF_PROG_TYPE_SK_MSG', 'BPF_SK_MSG_VERDICT'],
      ['sec_cgroup_ingress', 'cgroup_skb/ingress', CG, 'BPF_CGROUP_INET_INGRESS'],
      ['sec_cgroup_egress', 'cgroup_skb/egress', CG, 'BPF_CGROUP_INET_EGRESS'],
      ['sec_cgroup_skb', 'cgroup/skb', CG],
      ['sec_tracepoint', 'tracepoint/net/netif_receive_skb', 'BPF_PROG_TYPE_TRACEPOINT'],
      ['sec_tp', 'tp/xdp/xdp_redirect', 'BPF_PROG_TYPE_TRACEPOINT'],
      ['sec_raw_tp', 'raw_tp/xdp_exception', 'BPF_PROG_TYPE_RAW_TRACEPOINT'],
      ['sec_raw_tracepoint', 'raw_tracepoint/kfree_skb', 'BPF_PROG_TYPE_RAW_TRACEPOINT'],
      ['sec_kprobe', 'kprobe/dev_queue_xmit', 'BPF_PROG_TYPE_KPROBE'],
      ['sec_kretprobe', 'kretprobe/dev_queue_xmit', 'BPF_PROG_TYPE_KPROBE'],
    ],
    maps: [
      ['sock_map', 'BPF_MAP_TYPE_SOCKMAP', 4, 4, 4],
      ['sock_hash', 'BPF_MAP_TYPE_SOCKHASH', 4, 4, 4],
    ],
  },
};

/** Refused on purpose (see core.test.ts). */
const REFUSED = new Set(['core_unsupported']);

const slotsOf = (p: ProgramSpec): number => p.insns.reduce((n, i) => n + (i.op.kind === 'lddw' ? 2 : 1), 0);

/** Hold every function of a linked program against llvm-objdump's reading of the object. */
function checkAgainstObjdump(spec: ObjectSpec, dumpText: string): number {
  const dump = parseObjdump(dumpText);
  let compared = 0;
  for (const p of spec.programs) {
    const byPc = new Map(p.insns.map((i) => [i.pc, i]));
    const total = slotsOf(p);
    p.funcs.forEach((f, k) => {
      const secName = k === 0 ? p.section : '.text';
      const sec = dump.get(secName);
      expect(sec, `objdump has section ${secName}`).toBeDefined();
      const start = sec!.labels.get(f.name);
      expect(start, `objdump has <${f.name}> in ${secName}`).toBeDefined();
      const end = k + 1 < p.funcs.length ? p.funcs[k + 1].pc : total;
      for (let pc = f.pc; pc < end; pc++) {
        const insn = byPc.get(pc);
        if (!insn) continue; // second slot of an LD_IMM64
        const slot = start! + (pc - f.pc);
        const raw = sec!.slots.get(slot);
        const where = `${p.name} pc ${pc} (${secName} slot ${slot})`;
        expect(raw, where).toBeDefined();
        const reloc = sec!.relocs.get(slot);
        const mapRef = p.mapRefs.find((r) => r.pc === pc);
        const funcRef = p.funcRefs.find((r) => r.pc === pc);
        if (mapRef) {
          expect(reloc?.type, where).toBe('R_BPF_64_64');
          const sym = reloc!.symbol;
          if (mapRef.kind === 'fd') {
            expect(sym, where).toBe(mapRef.map);
            expect(insn.src).toBe(BPF_PSEUDO_MAP_FD);
          } else {
            // Global data: relocated against the variable or, for statics, the section.
            const map = spec.maps.find((m) => m.name === mapRef.map)!;
            const ds = spec.btf?.types[map.btfValueType ?? 0];
            const vars = ds?.kind === 'DATASEC' ? ds.vars.map((v) => spec.btf!.types[v.type].name) : [];
            expect([mapRef.map, ...vars], where).toContain(sym);
            expect(insn.src).toBe(BPF_PSEUDO_MAP_VALUE);
          }
        } else if (funcRef) {
          if (reloc) expect([funcRef.func, '.text'], where).toContain(reloc.symbol);
          else {
            // A static call inside .text: objdump's own target must be the same function.
            const origImm = new DataView(hexBytes(raw!).buffer).getInt32(4, true);
            const target = slot + origImm + 1;
            expect([...sec!.labels].find(([n, s]) => s === target && !n.startsWith('LBB'))?.[0], where).toBe(funcRef.func);
          }
          expect(pc + insn.imm + 1, `${where}: call lands on the function`).toBe(funcRef.target);
          if (funcRef.kind === 'callback') expect(insn.src).toBe(BPF_PSEUDO_FUNC);
        } else {
          expect(reloc, `${where}: objdump has a relocation the loader missed`).toBeUndefined();
          expect(bytesToHex(encode([insn])), where).toBe(raw);
        }
        compared++;
      }
    });
  }
  return compared;
}

function hexBytes(h: string): Uint8Array {
  return Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
}

describe('fixtures', () => {
  it('every committed object has an expectation here', () => {
    expect(FIXTURE_OBJECTS.filter((n) => !REFUSED.has(n)).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))('%s.o', (name) => {
    const e = EXPECTED[name];
    const spec = loadObject(fixtureBytes(name), `${name}.o`);
    expect(spec.license).toBe(e.license);
    expect(spec.programs.map((p) => (p.attachType ? [p.name, p.section, p.progType, p.attachType] : [p.name, p.section, p.progType]))).toEqual(e.programs);
    expect(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries])).toEqual(e.maps);
    // Every map reference names a map of the object.
    const names = new Set(spec.maps.map((m) => m.name));
    for (const p of spec.programs) for (const r of p.mapRefs) expect(names, `${p.name} pc ${r.pc}`).toContain(r.map);
    if (hasGolden(name)) expect(checkAgainstObjdump(spec, golden(name, 'objdump'))).toBeGreaterThan(0);
  });

  it('loading is deterministic: two loads give the same JSON', () => {
    for (const name of Object.keys(EXPECTED)) {
      const a = JSON.stringify(loadObject(fixtureBytes(name), `${name}.o`));
      // The second load reads from an offset view into a larger buffer.
      const bytes = fixtureBytes(name);
      const big = new Uint8Array(bytes.length + 13);
      big.set(bytes, 13);
      const b = JSON.stringify(loadObject(big.subarray(13), `${name}.o`));
      expect(b, name).toBe(a);
    }
  });

  it('does not alias the input buffer', () => {
    const bytes = fixtureBytes('global_data').slice();
    const spec = loadObject(bytes, 'global_data.o');
    bytes.fill(0);
    expect(spec.maps.find((m) => m.name === '.data')?.initial).toEqual(Uint8Array.of(0x0d, 0xf0, 0xed, 0xfe));
  });
});
