/**
 * Frame bytes per hop for the packets the viewer shows, without touching the datapath: a tap on
 * every device at every hook (Network.addTap) is called with the frame just before that hop's
 * record is emitted, so the tap keeps a reference and the hop listener copies it — only for the
 * packets it keeps. Opt-in: a session without capture adds no taps.
 */
import type { Network, TapPoint } from '../net/network.ts';
import type { Hook, HopRecord } from '../trace/records.ts';

const HOOKS: readonly Hook[] = [
  'wire', 'nic-rx', 'xdp', 'xdp-tx', 'xdp-redirect', 'xdp-devmap', 'xdp-cpumap', 'gro', 'tc-ingress', 'tc-egress', 'forward', 'local',
  'socket-filter', 'cgroup-ingress', 'cgroup-egress', 'sk-skb', 'qdisc', 'nic-tx', 'veth-xmit', 'drop',
];

export class FrameCapture {
  private last: { dev: string; point: TapPoint; frame: Uint8Array } | undefined;

  constructor(net: Network) {
    for (const h of net.hosts.values()) {
      for (const d of h.devices.values()) {
        const dev = d.id;
        net.addTap(dev, (_t, frame, point) => {
          this.last = { dev, point, frame };
        }, HOOKS);
      }
    }
  }

  /** A copy of the frame the tap saw for this hop, if the hop was tapped. */
  take(r: HopRecord): Uint8Array | undefined {
    const l = this.last;
    if (!l || l.point !== r.hook || l.dev !== `${r.host}/${r.dev ?? ''}`) return undefined;
    this.last = undefined;
    return l.frame.slice();
  }

  /** Forget the pending frame (called for hops of packets that are not kept). */
  skip(): void {
    this.last = undefined;
  }
}
