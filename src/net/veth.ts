/**
 * A veth pair (drivers/net/veth.c). Without XDP on the receiving side, veth_xmit() hands the skb
 * to the peer through netif_rx (the backlog of the sending CPU). With an XDP program on the peer,
 * the peer runs NAPI over a 256-slot ptr_ring: frames are queued there, XDP runs in the peer's
 * poll, XDP_TX bounces a frame back out to its peer, and frames redirected into a veth
 * (ndo_xdp_xmit) go to its peer's ring. While the peer runs no XDP program its NAPI is off and
 * the veth does not advertise NETDEV_XDP_ACT_NDO_XMIT, so a redirect into it fails at once with
 * -EOPNOTSUPP (Linux ≥ 6.3; older kernels failed later with -ENXIO) and XDP_TX fails at the flush —
 * the behaviour xdp-tools #421 describes, checked against Linux 6.18 in test/net/kernel-topology.
 *
 * Counters follow veth_get_stats64: frames that cross through the ring are counted when the
 * receiving side's NAPI takes them (its rx, and the sender's tx — veth reports the peer's
 * xdp_packets/xdp_bytes as tx), an skb from veth_xmit with its length after eth_type_trans
 * (without the 14-byte MAC header: veth_xdp_rcv adds skb->len), an xdp_frame redirected or
 * XDP_TX'd into the device with its full length; frames through the backlog are counted on
 * both sides at veth_xmit with their full length (dev_sw_netstats_tx_add).
 */
import { begin, end, type Exec } from './cpu.ts';
import { flushBulk, Netdev, type XdpBulk } from './netdev.ts';
import type { Skb } from './skb.ts';

/** VETH_RING_SIZE. */
export const VETH_RING_SIZE = 256;
/** VETH_XDP_BATCH / NAPI budget. */
const VETH_BUDGET = 64;
/** ETH_HLEN: pulled by eth_type_trans before an skb reaches the peer's ring. */
const ETH_HLEN = 14;

export class Veth extends Netdev {
  readonly kind = 'veth' as const;
  peer!: Veth;
  /** The ptr_ring: skbs, and beside each whether it is an xdp_frame (veth_is_xdp_frame). */
  private readonly ring: Skb[] = [];
  private readonly ringXdp: boolean[] = [];
  private scheduled = false;
  /** devmap bulk queues by target, kept across polls (flushed empty at the end of each). */
  private readonly bulks = new Map<Netdev, XdpBulk>();

  override peerDev(): Netdev {
    return this.peer;
  }

  /** The peer's NAPI runs only while it has an XDP program (veth_enable_xdp). */
  private get napiEnabled(): boolean {
    return this.xdp?.mode === 'native';
  }

  /** Queue frames on this device's ring (sent by the peer); false for each that did not fit. */
  private ringPush(x: Exec, frames: readonly Skb[], xdpFrame: boolean): number {
    let n = 0;
    for (const f of frames) {
      if (!this.ringPushOne(x, f, xdpFrame)) break;
      n++;
    }
    return n;
  }

  private ringPushOne(x: Exec, skb: Skb, xdpFrame: boolean): boolean {
    if (this.ring.length >= VETH_RING_SIZE) return false;
    this.ring.push(skb);
    this.ringXdp.push(xdpFrame);
    if (!this.scheduled) {
      this.scheduled = true;
      // napi_schedule on the CPU that transmitted: veth NAPI runs where the sender ran.
      const cpu = x.cpu;
      this.net.sim.scheduleAt(Math.max(this.net.sim.now, Math.ceil(x.t)), this.pollOn(cpu.id));
    }
    return true;
  }

  /** The NAPI poll on a CPU as an event, made once per CPU (one is scheduled for nearly every burst). */
  private pollOn(cpuId: number): () => void {
    return (this.pollEvents[cpuId] ??= () => this.poll(cpuId));
  }
  private readonly pollEvents: (() => void)[] = [];

  private poll(cpuId: number): void {
    const cpu = this.net.cpu(cpuId);
    const x = begin(cpu, this.net.sim.now);
    const startT = x.t;
    const bulks = this.bulks;
    let done = 0;
    while (done < VETH_BUDGET && this.ring.length > 0) {
      const skb = this.ring.shift() as Skb;
      const xdpFrame = this.ringXdp.shift() as boolean;
      done++;
      const bytes = xdpFrame ? skb.len : skb.len - ETH_HLEN;
      this.countRx(bytes);
      this.peer.countTx(bytes);
      if (!this.nativeXdp(x, skb, 0, bulks)) continue;
      x.t += this.net.costs.skbBuildNs;
      this.receiveSkb(x, skb, 0);
    }
    for (const b of bulks.values()) flushBulk(x, b, this);
    this.net.flushCpumaps(x);
    end(x, startT);
    if (this.ring.length > 0) this.net.sim.scheduleAt(Math.max(this.net.sim.now, Math.ceil(x.t)), this.pollOn(cpuId));
    else this.scheduled = false;
  }

  /** veth_xmit: to the peer's ring when its NAPI runs, else to the peer's stack through the backlog. */
  protected driverXmit(x: Exec, skb: Skb): void {
    const peer = this.peer;
    x.t += this.net.costs.vethXmitNs;
    // An offloaded VLAN tag travels in-band to the peer, which untags it again on receive.
    if (skb.vlan) {
      skb.data = skb.withVlanTag();
      skb.vlan = undefined;
    }
    if (this.net.observed) this.hop(x, skb, 'veth-xmit', { verdict: `to ${peer.id}` });
    if (this.net.taps.size > 0) this.net.tap(this, 'tx', skb, x.t);
    if (!peer.up) {
      this.drop(x, skb, 'veth-xmit', 'DEV_READY', 'peer down');
      return;
    }
    if (peer.napiEnabled) {
      if (!peer.ringPushOne(x, skb, false)) this.drop(x, skb, 'veth-xmit', 'FULL_RING', `peer ring of ${VETH_RING_SIZE} full`);
      return;
    }
    // netif_rx(): the peer receives on the backlog of this CPU, after the current work.
    this.countTx(skb.len);
    const cpu = x.cpu;
    this.net.sim.scheduleAt(Math.max(this.net.sim.now, Math.ceil(x.t)), () => {
      const y = begin(cpu, this.net.sim.now);
      const s = y.t;
      peer.countRx(skb.len);
      peer.receiveSkb(y, skb, 0);
      end(y, s);
    });
  }

  /** ndo_xdp_xmit (veth_xdp_xmit): frames sent out of this device land on the peer's ring. */
  xdpXmit(x: Exec, frames: Skb[]): number {
    if (!this.peer.napiEnabled) return 0;
    x.t += this.net.costs.vethXmitNs * frames.length;
    return this.peer.ringPush(x, frames, true);
  }

  /** XDP_TX on a veth: the frame goes to the peer's ring (veth_xdp_tx). */
  private bounceToPeer(x: Exec, skb: Skb): boolean {
    x.t += this.net.costs.vethXmitNs;
    return this.peer.ringPushOne(x, skb, true);
  }

  /** veth advertises NDO_XMIT only while its peer's NAPI runs (veth_xdp_set / xdp_features). */
  override acceptsXdpFrames(): boolean {
    return this.peer.napiEnabled;
  }

  override xmitRefusal(): string {
    return this.peer.napiEnabled ? 'veth ring full' : `veth peer ${this.peer.id} has no XDP program, its NAPI is off`;
  }

  protected xdpTx(x: Exec, skb: Skb): void {
    if (!this.peer.napiEnabled || !this.bounceToPeer(x, skb)) this.drop(x, skb, 'xdp-tx', 'XDP_XMIT_ERR', this.xmitRefusal());
  }
}
