import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkHelpersSupported, HELPER_NAMES, helperId, helperName, HELPERS_BY_PROG_TYPE, IMPLEMENTED_HELPERS, kernelHelpers } from '../../../src/ebpf/helpers/index.ts';
import { decode } from '../../../src/ebpf/isa/insn.ts';

/** Raw instructions: a call to each helper id, then exit. */
function calls(...ids: number[]): Uint8Array {
  const out = new Uint8Array((ids.length + 1) * 8);
  const v = new DataView(out.buffer);
  ids.forEach((id, i) => {
    out[i * 8] = 0x85;
    v.setInt32(i * 8 + 4, id, true);
  });
  out[ids.length * 8] = 0x95;
  return out;
}

describe('helper names', () => {
  it('follow include/uapi/linux/bpf.h (../shared/reference/helpers.tsv)', () => {
    const rows = readFileSync(new URL('../../../../shared/reference/helpers.tsv', import.meta.url), 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      const [id, name] = row.split('\t');
      expect(HELPER_NAMES[Number(id)]).toBe(name);
    }
    expect(helperName(12)).toBe('bpf_tail_call');
    expect(helperName(999)).toBe('helper#999');
    expect(helperId('redirect_map')).toBe(51);
    expect(helperId('bpf_loop')).toBe(181);
  });
});

describe('the helper table', () => {
  it('kernelHelpers() returns a fresh table with every implemented helper', () => {
    const a = kernelHelpers();
    a.delete(1);
    expect(kernelHelpers().has(1)).toBe(true);
    expect(IMPLEMENTED_HELPERS.size).toBe(kernelHelpers().size);
  });

  it('every implemented helper is callable by at least one program type', () => {
    const allowed = new Set(Object.values(HELPERS_BY_PROG_TYPE).flatMap((s) => [...s]));
    expect([...IMPLEMENTED_HELPERS].filter((id) => !allowed.has(id))).toEqual([]);
  });

  it('per-type lists follow the kernel: XDP may redirect_map but not store_bytes; tc the other way round', () => {
    const xdp = HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_XDP;
    const tc = HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;
    expect([xdp.has(51), xdp.has(9), tc.has(51), tc.has(9)]).toEqual([true, false, false, true]);
    expect(HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER.has(26)).toBe(true);
    expect(HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER.has(9)).toBe(false);
    expect(HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_SK_SKB.has(52)).toBe(true);
    expect(HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_SK_MSG.has(60)).toBe(true);
    expect(HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB.has(23)).toBe(false);
    expect(HELPERS_BY_PROG_TYPE.BPF_PROG_TYPE_KPROBE.has(14)).toBe(true);
    for (const set of Object.values(HELPERS_BY_PROG_TYPE)) for (const id of [1, 2, 3, 12, 5, 7, 181]) expect(set.has(id)).toBe(true);
  });
});

describe('checkHelpersSupported', () => {
  it('passes a program whose calls are all implemented and allowed', () => {
    expect(checkHelpersSupported(decode(calls(1, 2, 44, 51, 6)), 'BPF_PROG_TYPE_XDP')).toEqual([]);
  });

  it('names a helper the program type may not call, and one chainlab does not implement, once each', () => {
    const r = checkHelpersSupported(decode(calls(1, 9, 20, 9, 1000)), 'BPF_PROG_TYPE_XDP');
    expect(r.map(({ id, name, reason, pc }) => ({ id, name, reason, pc }))).toEqual([
      { id: 9, name: 'bpf_skb_store_bytes', reason: 'not-allowed', pc: 1 },
      { id: 20, name: 'bpf_skb_get_tunnel_key', reason: 'not-allowed', pc: 2 },
      { id: 1000, name: 'helper#1000', reason: 'not-allowed', pc: 4 },
    ]);
    const tc = checkHelpersSupported(decode(calls(137, 107)), 'BPF_PROG_TYPE_SCHED_CLS');
    expect(tc.map((u) => [u.id, u.reason])).toEqual([
      [137, 'not-implemented'],
      [107, 'not-implemented'],
    ]);
    expect(tc[0].message).toBe('chainlab does not implement bpf_skc_to_tcp_sock (helper 137)');
  });

  it('an unknown program type is checked against the implemented helpers only', () => {
    expect(checkHelpersSupported(decode(calls(9, 137)), 'BPF_PROG_TYPE_WHATEVER').map((u) => u.id)).toEqual([137]);
  });

  it('GPL-only helpers are refused for a program whose license is not GPL-compatible', () => {
    const insns = decode(calls(1, 6, 69));
    expect(checkHelpersSupported(insns, 'BPF_PROG_TYPE_XDP', { gplCompatible: true })).toEqual([]);
    expect(checkHelpersSupported(insns, 'BPF_PROG_TYPE_XDP', { gplCompatible: false }).map((u) => [u.name, u.reason])).toEqual([
      ['bpf_trace_printk', 'gpl-only'],
      ['bpf_fib_lookup', 'gpl-only'],
    ]);
  });

  it('ignores bpf-to-bpf calls', () => {
    const bytes = calls(1);
    bytes[1] = 0x10; // src_reg = BPF_PSEUDO_CALL
    expect(checkHelpersSupported(decode(bytes), 'BPF_PROG_TYPE_XDP')).toEqual([]);
  });
});
