import { describe, expect, it } from 'vitest';
import { TestRun } from './harness.ts';

const EINVAL = -22, EACCES = -13, EFAULT = -14;

/** An XDP frame like BPF_PROG_TEST_RUN's: a 4 KB page, 256 bytes of headroom, 64 bytes of packet. */
const frame = () => {
  const packet = Uint8Array.from({ length: 64 }, (_, i) => i);
  return new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet, frameSize: 4096 });
};

/** Return codes from Linux 6.18 (BPF_PROG_TEST_RUN, 64-byte packet, 256-byte headroom). */
describe('bpf_xdp_adjust_meta', () => {
  it.each([
    [-4, 0, 4],
    [-32, 0, 32],
    [-36, 0, 36], // more than 32 bytes: allowed since the limit became skb_shared_info.meta_len (255)
    [-64, 0, 64],
    [-212, 0, 212],
    [-216, 0, 216], // down to the end of the xdp_frame in the headroom
    [-220, EINVAL, 0],
    [-252, EINVAL, 0],
    [-2, EACCES, 0],
    [4, EINVAL, 0],
    [0, 0, 0],
  ])('delta %i → %i (meta %i bytes)', (delta, ret, metaLen) => {
    const t = frame();
    expect(t.num(54, t.xdp!.addr, delta)).toBe(ret);
    expect(t.pkt!.metaLen).toBe(metaLen);
    expect(t.pkt!.len).toBe(64);
  });

  it('metadata is readable and writable through the context pointers', () => {
    const t = frame();
    t.num(54, t.xdp!.addr, -8);
    const meta = t.pkt!.addr(t.pkt!.dataMeta);
    t.mem.writable(meta, 8).fill(0xaa);
    expect(() => t.mem.writable(meta - 1n, 1)).toThrow(/out of bounds/);
  });
});

describe('bpf_xdp_adjust_head', () => {
  it.each([
    [-216, 0, 280],
    [-217, EINVAL, 64],
    [-256, EINVAL, 64],
    [50, 0, 14], // at least an Ethernet header must stay
    [51, EINVAL, 64],
    [-1, 0, 65],
  ])('delta %i → %i (packet %i bytes)', (delta, ret, len) => {
    const t = frame();
    expect(t.num(44, t.xdp!.addr, delta)).toBe(ret);
    expect(t.pkt!.len).toBe(len);
  });

  it('metadata moves with data and limits how far the head can grow', () => {
    const t = frame();
    expect(t.num(54, t.xdp!.addr, -8)).toBe(0);
    t.mem.writable(t.pkt!.addr(t.pkt!.dataMeta), 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(t.num(44, t.xdp!.addr, -209)).toBe(EINVAL);
    expect(t.num(44, t.xdp!.addr, -208)).toBe(0);
    expect([...t.pkt!.meta()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(t.pkt!.len).toBe(272);
  });
});

describe('bpf_xdp_adjust_tail and bpf_xdp_get_buff_len', () => {
  it.each([
    [3000, 0, 3064],
    [3456, 0, 3520], // the page less headroom and skb_shared_info
    [3457, EINVAL, 64],
    [-50, 0, 14],
    [-51, EINVAL, 64],
  ])('delta %i → %i (packet %i bytes)', (delta, ret, len) => {
    const t = frame();
    expect(t.num(65, t.xdp!.addr, delta)).toBe(ret);
    expect(t.pkt!.len).toBe(len);
    expect(t.num(188, t.xdp!.addr)).toBe(len);
  });

  it('grown bytes are zeroed', () => {
    const t = frame();
    t.num(65, t.xdp!.addr, -10);
    t.num(65, t.xdp!.addr, 10);
    expect([...t.packetBytes().subarray(54)]).toEqual(new Array(10).fill(0));
  });
});

describe('bpf_xdp_load_bytes / bpf_xdp_store_bytes', () => {
  it('copies in and out of the frame with the kernel range checks', () => {
    const t = frame();
    expect(t.num(189, t.xdp!.addr, 60, t.sp(0), 4)).toBe(0);
    expect([...t.stackBytes(0, 4)]).toEqual([60, 61, 62, 63]);
    expect(t.num(189, t.xdp!.addr, 61, t.sp(0), 4)).toBe(EINVAL);
    expect(t.num(189, t.xdp!.addr, 0x10000, t.sp(0), 4)).toBe(EFAULT);
    t.put(8, [9, 9]);
    expect(t.num(190, t.xdp!.addr, 0, t.sp(8), 2)).toBe(0);
    expect([...t.packetBytes().subarray(0, 3)]).toEqual([9, 9, 2]);
  });
});
