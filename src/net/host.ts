/**
 * A host: one network namespace with its devices (ifindexes are per namespace, 1 is lo), its
 * routing and neighbour tables, IP forwarding (net.ipv4.ip_forward, off by default as in Linux),
 * local delivery to a packet sink, and the L2 bridge for devices enslaved to one. Models the
 * receive side of the stack after tc ingress: br_handle_frame, ip_rcv / ip6_rcv (PACKET_OTHERHOST
 * drop), ip_route_input (local vs forward), ip_forward (TTL, neighbour, output).
 */
import type { FibQuery, FibResult, Host as HostPort } from '../ebpf/runtime/host.ts';
import type { Bridge } from './bridge.ts';
import type { Exec } from './cpu.ts';
import { type Netdev, PACKET_OTHERHOST } from './netdev.ts';
import type { Cell, Network } from './network.ts';
import {
  BPF_FIB_LKUP_RET_FWD_DISABLED,
  BPF_FIB_LKUP_RET_NO_NEIGH,
  BPF_FIB_LKUP_RET_NOT_FWDED,
  BPF_FIB_LKUP_RET_SUCCESS,
  formatIp,
  NeighTable,
  RouteTable,
} from './route.ts';
import type { Skb } from './skb.ts';

const DELIVERED: Record<string, string> = { ipv4: 'delivered/ipv4', ipv6: 'delivered/ipv6', arp: 'delivered/arp' };

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_ARP = 0x0806;

export class Host {
  readonly devices = new Map<string, Netdev>();
  private readonly byIndex = new Map<number, Netdev>();
  readonly routes = new RouteTable();
  readonly neigh = new NeighTable();
  /** net.ipv4.ip_forward / net.ipv6.conf.all.forwarding. */
  forwarding = false;
  private nextIfindex = 2;
  readonly port: HostPort;

  constructor(
    readonly net: Network,
    readonly name: string,
  ) {
    const rng = net.sim.rng(`bpf/prandom/${name}`);
    this.port = {
      nowNs: () => BigInt(Math.round(net.sim.now)),
      bootNs: () => BigInt(Math.round(net.sim.now)),
      randomU32: () => rng.nextU32(),
      hasDevice: (ifindex) => this.byIndex.has(ifindex),
      deviceMtu: (ifindex) => this.byIndex.get(ifindex)?.mtu,
      fibLookup: (q) => this.fibLookup(q),
      tracePrintk: (line) => net.counters.add(`${name}/printk`, line.length > 0 ? 1 : 0),
    };
  }

  private readonly cells = new Map<string, Cell>();

  /** Add to this host's counter `name` ("host/name"), the cell looked up once per name. */
  count(name: string, n = 1): void {
    let c = this.cells.get(name);
    if (!c) this.cells.set(name, (c = this.net.counters.cell(`${this.name}/${name}`)));
    c.v += n;
  }

  allocIfindex(): number {
    return this.nextIfindex++;
  }

  addDevice(dev: Netdev): void {
    if (this.devices.has(dev.name)) throw new Error(`${this.name}: device ${dev.name} exists (RTNETLINK answers: File exists)`);
    this.devices.set(dev.name, dev);
    this.byIndex.set(dev.ifindex, dev);
  }

  removeDevice(dev: Netdev): void {
    this.devices.delete(dev.name);
    this.byIndex.delete(dev.ifindex);
  }

  dev(name: string): Netdev {
    const d = this.devices.get(name);
    if (!d) throw new Error(`${this.name}: no device ${name}`);
    return d;
  }

  byIfindex(ifindex: number): Netdev | undefined {
    return this.byIndex.get(ifindex);
  }

  /** `ip addr add`: the address and its connected route. */
  addAddress(dev: Netdev, addr: Uint8Array, prefixLen: number): void {
    const family = addr.length === 4 ? 4 : 6;
    dev.addrs.push({ family, addr, prefixLen });
    if (family === 4) this.local4.add(((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0);
    const net = addr.slice();
    for (let i = 0; i < net.length * 8; i++) if (i >= prefixLen) net[i >> 3] &= ~(0x80 >> (i & 7));
    if (prefixLen < addr.length * 8) this.routes.add({ family, dst: net, prefixLen, ifindex: dev.ifindex, metric: 0 });
  }

  /** IPv4 addresses of this host as numbers, kept in step with addAddress (looked up per packet). */
  private readonly local4 = new Set<number>();

  isLocal(ip: Uint8Array): boolean {
    if (ip.length === 4) return ip[0] === 127 || this.local4.has(((ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]) >>> 0);
    for (const d of this.devices.values()) for (const a of d.addrs) if (a.addr.length === 16 && a.addr.every((b, i) => b === ip[i])) return true;
    return false;
  }

  /** __netif_receive_skb_core after tc ingress: the bridge, then the L3 protocol handlers. */
  stackReceive(x: Exec, dev: Netdev, skb: Skb, pktType: number): void {
    if (dev.master) {
      this.bridgeInput(x, dev, skb);
      return;
    }
    // The offloaded tag (skb_vlan_untag took it before tc): no VLAN devices exist, so a non-zero
    // VID makes the frame PACKET_OTHERHOST; a priority tag (VID 0) is cleared (__vlan_hwaccel_clear_tag).
    // Why the frame is PACKET_OTHERHOST, for the drop's explanation: its MAC or a VLAN without a device.
    let vlanWithoutDev = -1;
    if (skb.vlan) {
      if ((skb.vlan.tci & 0x0fff) !== 0 && pktType !== PACKET_OTHERHOST) {
        pktType = PACKET_OTHERHOST;
        vlanWithoutDev = skb.vlan.tci & 0x0fff;
      } else if ((skb.vlan.tci & 0x0fff) === 0) skb.vlan = undefined;
    }
    const d = skb.data;
    let off = 12;
    let et = d.length >= 14 ? (d[12] << 8) | d[13] : 0;
    // Hosts have no VLAN devices: a tag with a non-zero VID marks the frame PACKET_OTHERHOST
    // (vlan_do_receive finds no device); a priority tag (VID 0) is stripped and the tag inside it,
    // if any, looked at the same way (__netif_receive_skb_core, check_vlan_id).
    while ((et === 0x8100 || et === 0x88a8) && d.length >= off + 6) {
      const vid = ((d[off + 2] << 8) | d[off + 3]) & 0x0fff;
      off += 4;
      et = (d[off] << 8) | d[off + 1];
      if (vid !== 0) {
        if (pktType !== PACKET_OTHERHOST) vlanWithoutDev = vid;
        pktType = PACKET_OTHERHOST;
        break;
      }
    }
    const l3 = off + 2;
    if (et === ETH_P_ARP) {
      dev.count('arp_rx');
      this.deliver(x, dev, skb, 'arp');
      return;
    }
    if (et !== ETH_P_IP && et !== ETH_P_IPV6) {
      dev.drop(x, skb, 'local', 'UNHANDLED_PROTO');
      return;
    }
    if (pktType === PACKET_OTHERHOST) {
      // ip_rcv_core drops frames for another host's MAC (SKB_DROP_REASON_OTHERHOST).
      dev.drop(x, skb, 'local', 'OTHERHOST', vlanWithoutDev >= 0
        ? `tagged with VLAN ${vlanWithoutDev}, which has no VLAN device on ${dev.name}: vlan_do_receive marks it PACKET_OTHERHOST`
        : 'the destination MAC is not this device\'s');
      return;
    }
    const v6 = et === ETH_P_IPV6;
    if (d.length < l3 + (v6 ? 40 : 20)) {
      dev.drop(x, skb, 'local', 'PKT_TOO_SMALL');
      return;
    }
    if (!v6) {
      // IPv4 without building a view: local, loopback or multicast/broadcast → deliver.
      const a = d[l3 + 16];
      if (a === 127 || a >= 224 || this.local4.has(((a << 24) | (d[l3 + 17] << 16) | (d[l3 + 18] << 8) | d[l3 + 19]) >>> 0)) {
        this.deliver(x, dev, skb, 'ipv4');
        return;
      }
    }
    const dst = v6 ? d.subarray(l3 + 24, l3 + 40) : d.subarray(l3 + 16, l3 + 20);
    if (v6 && this.isLocal(dst)) {
      this.deliver(x, dev, skb, v6 ? 'ipv6' : 'ipv4');
      return;
    }
    this.forward(x, dev, skb, l3, v6, dst);
  }

  private forward(x: Exec, dev: Netdev, skb: Skb, l3: number, v6: boolean, dst: Uint8Array): void {
    if (!this.forwarding) {
      dev.drop(x, skb, 'forward', 'IP_FORWARD_DISABLED', `${formatIp(dst)} is not local and forwarding is off (sysctl net.ipv${v6 ? '6.conf.all.forwarding' : '4.ip_forward'}=1)`);
      return;
    }
    const d = skb.data;
    const ttl = v6 ? d[l3 + 7] : d[l3 + 8];
    if (ttl <= 1) {
      dev.drop(x, skb, 'forward', 'IP_INHDR', 'TTL exceeded');
      return;
    }
    const r = this.routes.lookup(dst);
    if (!r) {
      dev.drop(x, skb, 'forward', 'IP_NOROUTE', `no route to ${formatIp(dst)}`);
      return;
    }
    const out = this.byIndex.get(r.ifindex);
    if (!out) {
      dev.drop(x, skb, 'forward', 'IP_NOROUTE', `route to ${formatIp(dst)} via missing ifindex ${r.ifindex}`);
      return;
    }
    const nh = r.via ?? dst;
    const mac = this.neigh.lookup(out.ifindex, nh);
    if (!mac) {
      dev.drop(x, skb, 'forward', 'NEIGH_FAILED', `no neighbour entry for ${formatIp(nh)} on ${out.name} (add one with ip neigh)`);
      return;
    }
    x.t += this.net.costs.forwardNs;
    // ip_forward: decrement TTL (incremental checksum for IPv4), new MAC header.
    if (v6) d[l3 + 7] = ttl - 1;
    else {
      d[l3 + 8] = ttl - 1;
      // ip_decrease_ttl: check += htons(0x0100); check + (check >= 0xFFFF). The end-around carry
      // also turns a result of 0xffff into 0x0000, as the kernel writes it (checked against it).
      let sum = ((d[l3 + 10] << 8) | d[l3 + 11]) + 0x0100;
      sum = (sum + (sum >= 0xffff ? 1 : 0)) & 0xffff;
      d[l3 + 10] = (sum >> 8) & 0xff;
      d[l3 + 11] = sum & 0xff;
    }
    d.set(mac, 0);
    d.set(out.mac, 6);
    this.count('forwarded');
    if (this.net.observed) dev.hop(x, skb, 'forward', { verdict: `to ${out.name} via ${formatIp(nh)}` });
    out.xmit(x, skb);
  }

  /** Local delivery: the sink counts per flow and records latency (sockets come later). */
  deliver(x: Exec, dev: Netdev, skb: Skb, what: string): void {
    x.t += this.net.costs.localDeliverNs;
    this.count('delivered');
    this.count(DELIVERED[what] ?? `delivered/${what}`);
    if (this.net.observed) dev.hop(x, skb, 'local', { verdict: `deliver ${what}` });
    this.net.recordDelivery(dev, skb, x.t);
  }

  /** br_handle_frame: learn the source MAC, then forward to the known port or flood. */
  private bridgeInput(x: Exec, port: Netdev, skb: Skb): void {
    const br = port.master as Bridge;
    const fdb = br.fdb;
    const mac = (o: number): string => [...skb.data.subarray(o, o + 6)].join(':');
    fdb.set(mac(6), port);
    const dst = mac(0);
    if (skb.data.subarray(0, 6).every((b, i) => b === br.mac[i])) {
      this.stackReceive(x, br, skb, br.pktType(skb));
      return;
    }
    const known = fdb.get(dst);
    const ports = br.ports().filter((d) => d !== port);
    if (known && known !== port) {
      if (this.net.observed) port.hop(x, skb, 'forward', { verdict: `bridge ${br.name} to ${known.name}` });
      known.xmit(x, skb);
      return;
    }
    if (this.net.observed) port.hop(x, skb, 'forward', { verdict: `bridge ${br.name} flood` });
    ports.forEach((p, i) => p.xmit(x, i === ports.length - 1 ? skb : skb.clone(x.t)));
    if (skb.data[0] & 1) this.stackReceive(x, br, skb.clone(x.t), br.pktType(skb));
  }

  /** bpf_fib_lookup against this namespace's tables. */
  private fibLookup(q: FibQuery): FibResult {
    const none = { smac: new Uint8Array(6), dmac: new Uint8Array(6), mtu: 0 };
    if (!this.forwarding) return { ret: BPF_FIB_LKUP_RET_FWD_DISABLED, ifindex: 0, ...none };
    const r = this.routes.lookup(q.dst);
    if (!r || this.isLocal(q.dst)) return { ret: BPF_FIB_LKUP_RET_NOT_FWDED, ifindex: 0, ...none };
    const out = this.byIndex.get(r.ifindex);
    if (!out) return { ret: BPF_FIB_LKUP_RET_NOT_FWDED, ifindex: 0, ...none };
    const mac = this.neigh.lookup(out.ifindex, r.via ?? q.dst);
    if (!mac) return { ret: BPF_FIB_LKUP_RET_NO_NEIGH, ifindex: out.ifindex, smac: out.mac, dmac: new Uint8Array(6), mtu: out.mtu };
    return { ret: BPF_FIB_LKUP_RET_SUCCESS, ifindex: out.ifindex, smac: out.mac, dmac: mac, mtu: out.mtu };
  }
}
