/**
 * Calibration profile: what each hop, program and queue costs in CPU time. Defaults come from
 * ../shared/reference/published-costs.csv (each field names its rows); fields without a published
 * figure say "assumption" and are the first to calibrate against real hardware.
 */

export interface CostProfile {
  /** Driver RX work per frame before XDP, incl. the first read of packet data. */
  nicRxNs: number;
  /** Fixed cost of entering a BPF program (dispatch, context set-up). */
  progEntryNs: number;
  /** Per executed eBPF instruction (JIT-compiled code). */
  insnNs: number;
  /** Per helper call (an indirect function call). */
  helperCallNs: number;
  /** Extra for generic (skb) XDP over native XDP. */
  genericXdpNs: number;
  /** XDP_TX: queue the frame on the same NIC's TX ring. */
  xdpTxNs: number;
  /** XDP_REDIRECT through a devmap to another device, per frame, bulked. */
  xdpRedirectNs: number;
  /** XDP_PASS: build the skb and run GRO and netif_receive_skb. */
  skbBuildNs: number;
  /** Freeing an skb (drops after the skb exists). */
  skbFreeNs: number;
  /** Running the tc (clsact) hook, besides the program. */
  tcHookNs: number;
  /** IP forwarding: route lookup, TTL, neighbour, output. */
  forwardNs: number;
  /** Local delivery to a socket (protocol demux, queueing). */
  localDeliverNs: number;
  /** veth transmit to the peer (per frame). */
  vethXmitNs: number;
  /** qdisc enqueue + dequeue. */
  qdiscNs: number;
  /** Interrupt-to-poll latency when NAPI is idle. */
  napiScheduleNs: number;
}

/** The defaults and where each comes from. */
export const DEFAULT_COSTS: CostProfile = {
  // native_xdp_drop_read (83.3 ns/pkt) − bpf_prog_drop (5.0 ns): driver RX with one packet read.
  nicRxNs: 78.3,
  // bpf_prog_drop (5.0 ns self time for a 2-instruction program) − 2 × insnNs.
  progEntryNs: 4.4,
  // assumption: JIT code at ~1 instruction per cycle on a 3.6 GHz core (≈0.28 ns), rounded.
  insnNs: 0.3,
  // function_call (1.3 ns): a direct call; helpers are called through the helper table.
  helperCallNs: 1.3,
  // generic_xdp_drop_read (122.5) − native_xdp_drop_read (83.3).
  genericXdpNs: 39.2,
  // xdp_tx_same_nic_ring256 (59) − xdp_drop_no_touch (41.6).
  xdpTxNs: 17.4,
  // xdp_redirect_devmap_other_nic_ring256 (116) − xdp_drop_no_touch (41.6).
  xdpRedirectNs: 74.4,
  // build_skb_subtree (23.8) + napi_gro_receive_subtree (36.0) + netif_receive_skb_internal_subtree (30.0).
  skbBuildNs: 89.8,
  // kfree_skb_subtree (18.3).
  skbFreeNs: 18.3,
  // assumption: sch_handle_ingress/egress with one filter (no published figure).
  tcHookNs: 20,
  // assumption: ip_forward + neighbour output; linux_iptables_raw_drop (208 ns) is the stack up to the raw table.
  forwardNs: 250,
  // assumption: UDP socket lookup + queueing to the socket.
  localDeliverNs: 300,
  // veth_xdp_tx_bulk (126 ns per frame, bulked).
  vethXmitNs: 126,
  // assumption: pfifo_fast enqueue + dequeue.
  qdiscNs: 30,
  // assumption: IRQ → softirq → napi_poll start.
  napiScheduleNs: 1000,
};

/** A profile with some fields overridden (scenario `costs:`). */
export function costProfile(over: Partial<CostProfile> = {}): CostProfile {
  for (const [k, v] of Object.entries(over)) {
    if (!(k in DEFAULT_COSTS)) throw new Error(`unknown cost '${k}'; known: ${Object.keys(DEFAULT_COSTS).join(', ')}`);
    if (typeof v !== 'number' || !(v >= 0)) throw new Error(`cost '${k}' must be a non-negative number of ns`);
  }
  return { ...DEFAULT_COSTS, ...over };
}
