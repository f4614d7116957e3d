/* Helper arguments from C: sizes, memory, structures on the stack, per-type availability. */
#include "case.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[128]);
} scratch SEC(".maps");

SEC("tc")
int helper_arg__load_bytes_const_good(struct __sk_buff *skb)
{
	__u8 hdr[20];

	if (bpf_skb_load_bytes(skb, 14, hdr, sizeof(hdr)))
		return TC_ACT_OK;
	return hdr[9] == IPPROTO_TCP ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int helper_arg__load_bytes_var_len_good(struct __sk_buff *skb)
{
	__u8 buf[64];
	__u32 len = skb->len & 63;

	if (len == 0 || bpf_skb_load_bytes(skb, 0, buf, len))
		return TC_ACT_OK;
	return buf[0] & 1;
}

SEC("tc")
int helper_arg__load_bytes_var_len_bad(struct __sk_buff *skb)
{
	__u8 buf[64];
	__u32 len = skb->len & 127;

	if (len == 0 || bpf_skb_load_bytes(skb, 0, buf, len))
		return TC_ACT_OK;
	return buf[0] & 1;
}

SEC("tc")
int helper_arg__load_bytes_into_map_good(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u8 *b = bpf_map_lookup_elem(&scratch, &key);

	if (!b)
		return TC_ACT_OK;
	return bpf_skb_load_bytes(skb, 0, b, 128) ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int helper_arg__store_bytes_good(struct __sk_buff *skb)
{
	__u8 tos = 0x10;

	bpf_skb_store_bytes(skb, 15, &tos, 1, BPF_F_RECOMPUTE_CSUM);
	return TC_ACT_OK;
}

SEC("tc")
int helper_arg__csum_replace_good(struct __sk_buff *skb)
{
	bpf_l3_csum_replace(skb, 24, bpf_htonl(1), bpf_htonl(2), 4);
	bpf_l4_csum_replace(skb, 50, bpf_htonl(1), bpf_htonl(2), BPF_F_PSEUDO_HDR | 4);
	return TC_ACT_OK;
}

SEC("xdp")
int helper_arg__perf_output_good(struct xdp_md *ctx)
{
	struct { __u32 a, b; } e = { ctx->ingress_ifindex, ctx->rx_queue_index };

	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return XDP_PASS;
}

SEC("xdp")
int helper_arg__perf_output_too_big_bad(struct xdp_md *ctx)
{
	struct { __u32 a, b; } e = { ctx->ingress_ifindex, ctx->rx_queue_index };

	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &e, sizeof(e) + 8);
	return XDP_PASS;
}

SEC("xdp")
int helper_arg__fib_lookup_good(struct xdp_md *ctx)
{
	struct bpf_fib_lookup p = {};

	p.family = 2;
	p.ifindex = ctx->ingress_ifindex;
	return bpf_fib_lookup(ctx, &p, sizeof(p), 0) == 0 ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int helper_arg__fib_lookup_short_good(struct xdp_md *ctx)
{
	struct bpf_fib_lookup p = {};

	p.family = 2;
	return bpf_fib_lookup(ctx, &p, 16, 0) == 0 ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int helper_arg__csum_diff_pkt_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__be32 *p = data;

	if ((void *)(p + 5) > end)
		return XDP_PASS;
	return bpf_csum_diff(0, 0, p, 20, 0) & 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int helper_unavailable__skb_load_bytes_in_xdp_bad(struct xdp_md *ctx)
{
	__u8 b[4];

	return bpf_skb_load_bytes(ctx, 0, b, 4) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int helper_arg__xdp_load_bytes_good(struct xdp_md *ctx)
{
	__u8 b[4];

	return bpf_xdp_load_bytes(ctx, 0, b, 4) ? XDP_PASS : (b[0] & 1);
}

SEC("socket")
int helper_unavailable__redirect_in_socket_bad(struct __sk_buff *skb)
{
	return bpf_redirect(1, 0);
}

SEC("socket")
int helper_arg__socket_load_bytes_good(struct __sk_buff *skb)
{
	__u16 proto;

	if (bpf_skb_load_bytes(skb, 12, &proto, 2))
		return 0;
	return proto == bpf_htons(ETH_P_IP) ? skb->len : 0;
}

SEC("tc")
int helper_arg__adjust_room_good(struct __sk_buff *skb)
{
	if (bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int helper_arg__vlan_push_then_read_good(struct __sk_buff *skb)
{
	void *data, *end;

	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 5);
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + 14 > end)
		return TC_ACT_OK;
	return *(__u8 *)data & 1;
}

SEC("sk_skb/stream_verdict")
int helper_arg__sk_pull_data_good(struct __sk_buff *skb)
{
	bpf_skb_pull_data(skb, 10);
	return SK_PASS;
}

SEC("tc")
int helper_arg__ktime_stack_good(struct __sk_buff *skb)
{
	__u64 t = bpf_ktime_get_ns();

	skb->mark = (__u32)t;
	return TC_ACT_OK;
}
