/**
 * What a parsed command asks for, before it is applied to a scenario: syntax is settled here,
 * meaning (does the device exist? is the namespace there?) is checked when the op is applied
 * in order, as the kernel would check it when the command ran.
 *
 * `ns` undefined means the namespace a command runs in without `-n` (chainlab's default host).
 * `pos` holds the offsets of notable words in the command text, so a later error can point at
 * the word it is about.
 */
import type { HtbClass, Qdisc, Route } from '../model.ts';

/** add fails on an existing entry (EEXIST), replace overwrites it, del removes it. */
export type EditMode = 'add' | 'replace' | 'del';

export type Pos = Partial<Record<string, number>>;

export interface LinkOpts {
  mac?: string;
  mtu?: number;
  rxQueues?: number;
  txQueues?: number;
}

export type ProgSpec =
  | { kind: 'object'; file: string; section?: string; program?: string }
  | { kind: 'pinned'; path: string };

export type Op =
  | { op: 'netns-add'; name: string; pos: Pos }
  | { op: 'netns-del'; name: string; pos: Pos }
  | { op: 'veth-add'; ns?: string; name: string; opts: LinkOpts; peer: string; peerNs?: string; peerOpts: LinkOpts; pos: Pos }
  | { op: 'bridge-add'; ns?: string; name: string; opts: LinkOpts; pos: Pos }
  | { op: 'link-del'; ns?: string; dev: string; pos: Pos }
  | {
      op: 'link-set';
      ns?: string;
      dev: string;
      up?: boolean;
      /** null: nomaster. */
      master?: string | null;
      netns?: string;
      mac?: string;
      mtu?: number;
      pos: Pos;
    }
  /**
   * `replace`: ip -force (without it iproute2 asks XDP_FLAGS_UPDATE_IF_NOEXIST: an attached program stays).
   * `driverOnly`: xdpdrv (XDP_FLAGS_DRV_MODE); plain xdp falls back to generic on a driver without XDP.
   */
  | { op: 'xdp'; ns?: string; dev: string; hook: 'xdp' | 'xdp-generic'; prog: ProgSpec | null; replace: boolean; driverOnly: boolean; pos: Pos }
  | { op: 'addr'; mode: EditMode; ns?: string; dev: string; cidr: string; pos: Pos }
  | { op: 'route'; mode: EditMode; ns?: string; route: Route; pos: Pos }
  | { op: 'neigh'; mode: EditMode; ns?: string; ip: string; lladdr?: string; dev: string; pos: Pos }
  | { op: 'sysctl'; ns?: string; key: 'ipv4' | 'ipv6'; value: boolean; pos: Pos }
  | { op: 'clsact'; del: boolean; ns?: string; dev: string; pos: Pos }
  | { op: 'qdisc'; ns?: string; dev: string; parent: 'root' | string; qdisc: Qdisc; replace: boolean; pos: Pos }
  | { op: 'qdisc-del'; ns?: string; dev: string; pos: Pos }
  | { op: 'class'; ns?: string; dev: string; cls: HtbClass; replace: boolean; pos: Pos }
  | {
      op: 'filter';
      ns?: string;
      dev: string;
      dir: 'ingress' | 'egress';
      priority?: number;
      directAction: boolean;
      prog: ProgSpec;
      pos: Pos;
    }
  | { op: 'prog-load'; all: boolean; file: string; path: string; pinMaps?: string; pos: Pos }
  | {
      op: 'map-update';
      map: { pinned: string } | { name: string };
      key: Uint8Array;
      value: { bytes: Uint8Array } | { pinnedProg: string };
      pos: Pos;
    }
  /** `replace`: bpftool's "overwrite" (without it bpftool asks XDP_FLAGS_UPDATE_IF_NOEXIST). */
  | { op: 'net-attach'; ns?: string; dev: string; hook: 'xdp' | 'xdp-generic'; prog: string; replace: boolean; driverOnly: boolean; pos: Pos }
  | { op: 'sk-attach'; prog: string; hook: 'sk-skb-parser' | 'sk-skb-verdict' | 'sk-msg'; map: string; pos: Pos };
