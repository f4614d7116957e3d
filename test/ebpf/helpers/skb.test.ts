import { describe, expect, it } from 'vitest';
import { TestRun, fromHex, hex } from './harness.ts';
import { skbState } from '../../../src/ebpf/helpers/index.ts';

const EFAULT = -14, EINVAL = -22, ENOMEM = -12, ENOTSUPP = -524, EALREADY = -114;
const MAC = 1, NET = 0;
const ENCAP_IPV4 = 1n << 1n, ENCAP_IPV6 = 1n << 2n, ENCAP_UDP = 1n << 4n, ENCAP_GRE = 1n << 3n;

const ETH = '020000000002' + '020000000001' + '0800';
const IPV4 = '4500001c0001000040110000' + '0a000001' + '0a000002';
const UDP = '1f900035000800aa';
const udpPacket = () => fromHex(ETH + IPV4 + UDP);

describe('bpf_skb_adjust_room: encapsulation byte layout', () => {
  it('IPIP: 20 bytes after the MAC header (BPF_ADJ_ROOM_MAC), the inner packet untouched', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(50, t.skb!.addr, 20, MAC, ENCAP_IPV4)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH + '00'.repeat(20) + IPV4 + UDP);
    const s = skbState(t.skb!);
    expect([s.macOff, s.netOff, s.innerNetOff, s.encapsulation]).toEqual([0, 14, 34, true]);
    // A second encapsulation is refused; decapsulation takes the 20 bytes away again.
    expect(t.num(50, t.skb!.addr, 20, MAC, ENCAP_IPV4)).toBe(EALREADY);
    expect(t.num(50, t.skb!.addr, -20, MAC, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH + IPV4 + UDP);
  });

  it('GUE/UDP: outer IPv4 + UDP + 4-byte GUE header; the transport header is set after the outer IP header', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(50, t.skb!.addr, 20 + 8 + 4, MAC, ENCAP_IPV4 | ENCAP_UDP)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH + '00'.repeat(32) + IPV4 + UDP);
    expect(skbState(t.skb!).transOff).toBe(34);
  });

  it('IPv4-in-IPv6: skb->protocol becomes the outer protocol', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(50, t.skb!.addr, 40, MAC, ENCAP_IPV6)).toBe(0);
    expect(t.skb!.protocol).toBe(0x86dd);
  });

  it('BPF_ADJ_ROOM_NET inserts after the network header', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(50, t.skb!.addr, 8, NET, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH + IPV4 + '00'.repeat(8) + UDP);
    expect(t.num(50, t.skb!.addr, -8, NET, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH + IPV4 + UDP);
  });

  it('checks: flags, size, protocol, mode, and what shrinking must leave', () => {
    const t = new TestRun({ packet: udpPacket() });
    const ctx = t.skb!.addr;
    expect(t.num(50, ctx, 20, MAC, 1n << 20n)).toBe(EINVAL);
    expect(t.num(50, ctx, 0x1000, MAC, 0)).toBe(EFAULT);
    expect(t.num(50, ctx, 20, 2, 0)).toBe(ENOTSUPP);
    expect(t.num(50, ctx, 20, MAC, ENCAP_IPV4 | ENCAP_IPV6)).toBe(EINVAL);
    expect(t.num(50, ctx, 20, MAC, ENCAP_IPV4 | ENCAP_GRE | ENCAP_UDP)).toBe(EINVAL);
    expect(t.num(50, ctx, -9, MAC, 0)).toBe(ENOTSUPP); // 28 - 9 < sizeof(struct iphdr)
    expect(t.num(50, ctx, 20, MAC, 1n << 7n)).toBe(EINVAL); // decap flags only shrink
    const arp = new TestRun({ packet: fromHex(ETH.slice(0, 24) + '0806' + '00'.repeat(28)) });
    expect(arp.num(50, arp.skb!.addr, 4, MAC, 0)).toBe(ENOTSUPP);
  });

  it('sk_skb programs get the simple variant: room at the front, no flags or modes', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_SK_SKB', packet: fromHex('aabbccdd') });
    expect(t.num(50, t.skb!.addr, 2, 0, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe('0000aabbccdd');
    expect(t.num(50, t.skb!.addr, -3, 0, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe('bbccdd');
    expect(t.num(50, t.skb!.addr, 2, 1, 0)).toBe(EINVAL);
    expect(t.num(50, t.skb!.addr, -4, 0, 0)).toBe(ENOMEM);
  });
});

describe('bpf_skb_store_bytes / load_bytes / load_bytes_relative / pull_data', () => {
  it('store and load within the packet; out of range is -EFAULT (load zeroes the buffer)', () => {
    const t = new TestRun({ packet: udpPacket() });
    const ctx = t.skb!.addr;
    const src = t.put(0, [1, 2, 3, 4]);
    expect(t.num(9, ctx, 40, src, 2, 0)).toBe(0);
    expect([...t.packetBytes().subarray(40, 42)]).toEqual([1, 2]);
    expect(t.num(9, ctx, 41, src, 2, 0)).toBe(EFAULT);
    expect(t.num(9, ctx, 0, src, 2, 4)).toBe(EINVAL);
    t.put(16, [9, 9, 9, 9]);
    expect(t.num(26, ctx, 40, t.sp(16), 2)).toBe(0);
    expect([...t.stackBytes(16, 4)]).toEqual([1, 2, 9, 9]);
    expect(t.num(26, ctx, 41, t.sp(16), 2)).toBe(EFAULT);
    expect([...t.stackBytes(16, 4)]).toEqual([0, 0, 9, 9]);
  });

  it('BPF_F_INVALIDATE_HASH clears skb->hash', () => {
    const t = new TestRun({ packet: udpPacket() });
    const ctx = t.skb!.addr;
    t.num(48, ctx, 77);
    expect(t.skb!.get('hash')).toBe(77);
    expect(t.num(9, ctx, 20, t.put(0, [0]), 1, 2)).toBe(0);
    expect(t.skb!.get('hash')).toBe(0);
  });

  it('load_bytes_relative reads from the MAC or network header (a socket filter sees data at L3)', () => {
    const frame = udpPacket();
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_SOCKET_FILTER', packet: frame.subarray(14) });
    // The runtime pulled the Ethernet header: put it back in the headroom as eth_type_trans leaves it.
    t.pkt!.buf.set(frame.subarray(0, 14), t.pkt!.data - 14);
    const ctx = t.skb!.addr;
    expect(t.num(68, ctx, 12, t.sp(0), 2, 0)).toBe(0);
    expect([...t.stackBytes(0, 2)]).toEqual([8, 0]);
    expect(t.num(68, ctx, 9, t.sp(0), 1, 1)).toBe(0);
    expect(t.stackBytes(0, 1)[0]).toBe(17);
    expect(t.num(68, ctx, 0, t.sp(0), 4, 2)).toBe(EFAULT);
    expect(t.num(68, ctx, 0x10000, t.sp(0), 4, 1)).toBe(EFAULT);
    expect(t.num(68, ctx, 26, t.sp(0), 4, 1)).toBe(EFAULT); // 26 + 4 > 28 bytes of L3
  });

  it('pull_data: fine up to the packet length', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(39, t.skb!.addr, 0)).toBe(0);
    expect(t.num(39, t.skb!.addr, 42)).toBe(0);
    expect(t.num(39, t.skb!.addr, 43)).toBe(ENOMEM);
  });
});

describe('bpf_skb_change_head / change_tail / change_proto / change_type', () => {
  it('change_head pushes zeroed bytes that become the MAC header', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_SCHED_CLS', packet: fromHex(IPV4 + UDP) });
    expect(t.num(43, t.skb!.addr, 14, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe('00'.repeat(14) + IPV4 + UDP);
    expect(t.num(43, t.skb!.addr, 1, 1)).toBe(EINVAL);
    expect(t.num(43, t.skb!.addr, 0xffff_ffff, 0)).toBe(EINVAL);
  });

  it('change_tail grows with zeros and trims, never below the network header', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(38, t.skb!.addr, 50, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH + IPV4 + UDP + '00'.repeat(8));
    expect(t.num(38, t.skb!.addr, 14, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH);
    expect(t.num(38, t.skb!.addr, 13, 0)).toBe(EINVAL);
    expect(t.num(38, t.skb!.addr, 16065, 0)).toBe(EINVAL);
  });

  it('change_proto: IPv4 -> IPv6 opens 20 bytes after the MAC header, and back', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(31, t.skb!.addr, 0xdd86, 0)).toBe(0);
    expect(t.skb!.protocol).toBe(0x86dd);
    expect(hex(t.packetBytes())).toBe(ETH + '00'.repeat(20) + IPV4 + UDP);
    expect(t.num(31, t.skb!.addr, 0x0008, 0)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH + IPV4 + UDP);
    expect(t.num(31, t.skb!.addr, 0x0608, 0)).toBe(ENOTSUPP);
    expect(t.num(31, t.skb!.addr, 0xdd86, 1)).toBe(EINVAL);
  });

  it('change_type only between host, broadcast, multicast and otherhost', () => {
    const t = new TestRun({ packet: udpPacket() });
    expect(t.num(32, t.skb!.addr, 3)).toBe(0);
    expect(t.skb!.get('pkt_type')).toBe(3);
    expect(t.num(32, t.skb!.addr, 4)).toBe(EINVAL);
  });
});

describe('bpf_skb_vlan_push / bpf_skb_vlan_pop', () => {
  it('the first push sets the accelerated tag; a second one moves it into the packet', () => {
    const t = new TestRun({ packet: udpPacket() });
    const ctx = t.skb!.addr;
    expect(t.num(18, ctx, 0x0081, 0x0064)).toBe(0);
    expect([t.skb!.get('vlan_present'), t.skb!.get('vlan_tci'), t.skb!.get('vlan_proto')]).toEqual([1, 0x64, 0x0081]);
    expect(hex(t.packetBytes())).toBe(ETH + IPV4 + UDP);
    expect(t.num(18, ctx, 0xa888, 0x00c8)).toBe(0);
    expect(hex(t.packetBytes())).toBe(ETH.slice(0, 24) + '81000064' + '0800' + IPV4 + UDP);
    expect(t.skb!.protocol).toBe(0x8100);
    expect(t.skb!.get('vlan_tci')).toBe(0xc8);
    // Pop: the accelerated tag goes, and the one in the packet becomes the accelerated tag.
    expect(t.num(19, ctx)).toBe(0);
    expect([t.skb!.get('vlan_present'), t.skb!.get('vlan_tci')]).toEqual([1, 0x64]);
    expect(hex(t.packetBytes())).toBe(ETH + IPV4 + UDP);
    expect(t.num(19, ctx)).toBe(0);
    expect(t.skb!.get('vlan_present')).toBe(0);
    expect(t.num(19, ctx)).toBe(0);
  });
});
