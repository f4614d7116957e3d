import { describe, expect, it } from 'vitest';
import { TestRun } from './harness.ts';
import { setSkbState } from '../../../src/ebpf/helpers/index.ts';
import { CpuMap, DevMap } from '../../../src/ebpf/maps/index.ts';
import { TC_ACT_REDIRECT, TC_ACT_SHOT, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX } from '../../../src/ebpf/runtime/env.ts';

const EINVAL = -22, ERANGE = -34;
const BROADCAST = 1n << 3n, EXCLUDE_INGRESS = 1n << 4n;
const eth = () => Uint8Array.from({ length: 60 }, (_, i) => (i === 12 ? 8 : i === 13 ? 0 : i));

describe('bpf_redirect', () => {
  it('XDP: any flag aborts; otherwise XDP_REDIRECT to the ifindex', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: eth() });
    expect(t.num(23, 5, 1)).toBe(XDP_ABORTED);
    expect(t.env.redirect).toBeUndefined();
    expect(t.num(23, 5, 0)).toBe(XDP_REDIRECT);
    expect(t.env.redirect).toEqual({ kind: 'ifindex', ifindex: 5, flags: 0 });
  });

  it('tc: BPF_F_INGRESS is the only flag; others give TC_ACT_SHOT', () => {
    const t = new TestRun({ packet: eth() });
    expect(t.num(23, 3, 1)).toBe(TC_ACT_REDIRECT);
    expect(t.env.redirect).toEqual({ kind: 'ifindex', ifindex: 3, flags: 1 });
    expect(t.num(23, 3, 2)).toBe(TC_ACT_SHOT);
    expect(t.num(23, 3, 1n << 40n)).toBe(TC_ACT_SHOT);
  });
});

describe('bpf_redirect_map', () => {
  function devmap() {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: eth() });
    const m = t.map({ type: 'BPF_MAP_TYPE_DEVMAP', maxEntries: 8, valueSize: 4 }) as DevMap;
    expect(m.setTarget(2, 7)).toBe(0);
    return { t, m };
  }

  it('redirects to the target under the key', () => {
    const { t, m } = devmap();
    expect(t.num(51, m.handle, 2, 0)).toBe(XDP_REDIRECT);
    expect(t.env.redirect).toMatchObject({ kind: 'map', map: m, key: 2, flags: 0 });
    expect((t.env.redirect as { target: unknown }).target).toBe(m.target(2));
  });

  it.each([
    [0n, XDP_ABORTED],
    [1n, XDP_DROP],
    [2n, XDP_PASS],
    [3n, XDP_TX],
  ])('a missing key returns the fallback action in the low bits of flags (%i → %i)', (flags, action) => {
    const { t, m } = devmap();
    expect(t.num(51, m.handle, 5, flags)).toBe(action);
    expect(t.num(51, m.handle, 100, flags)).toBe(action);
  });

  it('after a miss the redirect state is an ifindex redirect to the last target index', () => {
    const { t, m } = devmap();
    t.num(51, m.handle, 2, 0);
    t.num(51, m.handle, 5, XDP_PASS);
    expect(t.env.redirect).toEqual({ kind: 'ifindex', ifindex: 2, flags: 0 });
  });

  it('BPF_F_BROADCAST redirects even on a miss and keeps the flags; unknown flags abort', () => {
    const { t, m } = devmap();
    expect(t.num(51, m.handle, 5, BROADCAST | EXCLUDE_INGRESS)).toBe(XDP_REDIRECT);
    expect(t.env.redirect).toMatchObject({ kind: 'map', key: 5, flags: Number(BROADCAST | EXCLUDE_INGRESS), target: undefined });
    expect(t.num(51, m.handle, 2, 1n << 5n)).toBe(XDP_ABORTED);
  });

  it('cpumap takes no broadcast flags', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: eth(), nCpus: 4 });
    const m = t.map({ type: 'BPF_MAP_TYPE_CPUMAP', maxEntries: 4, valueSize: 4 }) as CpuMap;
    expect(m.setTarget(1, 192)).toBe(0);
    expect(t.num(51, m.handle, 1, 0)).toBe(XDP_REDIRECT);
    expect(t.num(51, m.handle, 1, BROADCAST)).toBe(XDP_ABORTED);
    expect(t.num(51, m.handle, 3, XDP_DROP)).toBe(XDP_DROP);
  });

  it('a map that is no redirect map is refused', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: eth() });
    const m = t.map({ type: 'BPF_MAP_TYPE_ARRAY' });
    expect(() => t.call(51, m.handle, 0, 0)).toThrow(/not a devmap/);
  });
});

describe('bpf_redirect_peer, bpf_redirect_neigh', () => {
  it('peer: flags must be 0', () => {
    const t = new TestRun({ packet: eth() });
    expect(t.num(155, 4, 1)).toBe(TC_ACT_SHOT);
    expect(t.num(155, 4, 0)).toBe(TC_ACT_REDIRECT);
    expect(t.env.redirect).toEqual({ kind: 'peer', ifindex: 4, flags: 0 });
  });

  it('neigh: params of at least sizeof(struct bpf_redir_neigh) or none; flags must be 0', () => {
    const t = new TestRun({ packet: eth() });
    expect(t.num(152, 4, 0, 0, 0)).toBe(TC_ACT_REDIRECT);
    expect(t.env.redirect).toEqual({ kind: 'ifindex', ifindex: 4, flags: 2 });
    const nh = t.put(0, [2, 0, 0, 0, 10, 0, 0, 1, ...new Array(12).fill(0)]);
    expect(t.num(152, 4, nh, 20, 0)).toBe(TC_ACT_REDIRECT);
    expect(t.env.redirect).toMatchObject({ kind: 'ifindex', ifindex: 4, flags: 2 | 8 });
    expect(t.num(152, 4, nh, 19, 0)).toBe(TC_ACT_SHOT);
    expect(t.num(152, 4, 0, 0, 1)).toBe(TC_ACT_SHOT);
  });
});

describe('bpf_clone_redirect', () => {
  it('sends a copy of the packet now, from the MAC header; the original is untouched', () => {
    const t = new TestRun({ packet: eth() });
    expect(t.num(13, t.skb!.addr, 1, 1)).toBe(0);
    expect(t.env.clones).toHaveLength(1);
    expect(t.env.clones[0]).toMatchObject({ ifindex: 1, ingress: true });
    expect(t.env.clones[0].bytes).toEqual(eth());
    t.pkt!.bytes()[0] = 0xff;
    expect(t.env.clones[0].bytes[0]).toBe(0);
  });

  it('unknown device or flags: -EINVAL; no MAC header: -ERANGE', () => {
    const t = new TestRun({ packet: eth() });
    expect(t.num(13, t.skb!.addr, 9, 0)).toBe(EINVAL);
    expect(t.num(13, t.skb!.addr, 1, 2)).toBe(EINVAL);
    // An skb from an L3 device (tun, ipip): the MAC header is empty.
    const l3 = new TestRun({ packet: eth() });
    setSkbState(l3.skb!, { macOff: 0, netOff: 0 });
    expect(l3.num(13, l3.skb!.addr, 1, 0)).toBe(ERANGE);
    expect(t.env.clones).toHaveLength(0);
  });
});
