/**
 * A Linux bridge (net/bridge): a device whose ports are other devices. Frames received on a port
 * are learned and forwarded by the host (Host.stackReceive → bridgeInput); frames the host sends
 * out of the bridge itself go to the port that knows the destination MAC, or to every port.
 */
import type { Exec } from './cpu.ts';
import { Netdev } from './netdev.ts';
import type { Skb } from './skb.ts';

export class Bridge extends Netdev {
  readonly kind = 'bridge' as const;
  /** Forwarding database: MAC (as "a:b:c:d:e:f" of decimal bytes) → port. */
  readonly fdb = new Map<string, Netdev>();

  ports(): Netdev[] {
    return [...this.host.devices.values()].filter((d) => d.master === this);
  }

  protected driverXmit(x: Exec, skb: Skb): void {
    const dst = [...skb.data.subarray(0, 6)].join(':');
    const port = this.fdb.get(dst);
    if (port) {
      port.xmit(x, skb);
      return;
    }
    const ports = this.ports();
    if (ports.length === 0) {
      this.drop(x, skb, 'forward', 'NO_TX_TARGET', `bridge ${this.name} has no ports`);
      return;
    }
    ports.forEach((p, i) => p.xmit(x, i === ports.length - 1 ? skb : skb.clone(x.t)));
  }

  xdpXmit(): number {
    return 0;
  }

  override acceptsXdpFrames(): boolean {
    return false;
  }

  override xmitRefusal(): string {
    return 'a bridge does not take XDP frames';
  }

  protected xdpTx(x: Exec, skb: Skb): void {
    this.drop(x, skb, 'xdp-tx', 'XDP_XMIT_ERR', 'XDP_TX on a bridge');
  }
}
