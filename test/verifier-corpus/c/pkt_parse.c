/* Packet parsing: headers read only after comparisons with data_end prove them. */
#include "case.h"

SEC("xdp")
int pkt_bounds__eth_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int pkt_bounds__eth_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)eth + 12 > end)
		return XDP_PASS;
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int pkt_bounds__ipv4_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return ip->protocol == IPPROTO_UDP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__tcp_unchecked_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	return tcp->dest == bpf_htons(80) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__tcp_checked_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > end)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	return tcp->dest == bpf_htons(80) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__ihl_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	return udp->dest == bpf_htons(53) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__ihl_check_before_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp;

	if ((void *)(ip + 1) + sizeof(*udp) > end)
		return XDP_PASS;
	udp = (void *)ip + ip->ihl * 4;
	return udp->dest == bpf_htons(53) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int pkt_bounds__tc_vlan_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vh;
	__u16 proto;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	proto = eth->h_proto;
	vh = (void *)(eth + 1);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return TC_ACT_OK;
		proto = vh->encap_proto;
		vh++;
	}
	return proto == bpf_htons(ETH_P_IPV6) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int pkt_bounds__tc_write_mac_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	__builtin_memset(eth->h_dest, 0xff, ETH_ALEN);
	return TC_ACT_OK;
}

SEC("cgroup_skb/ingress")
int pkt_bounds__cgroup_write_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;

	if ((void *)(ip + 1) > end)
		return 1;
	ip->tos = 0;
	return 1;
}

SEC("cgroup_skb/ingress")
int pkt_bounds__cgroup_read_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;

	if ((void *)(ip + 1) > end)
		return 1;
	return ip->ttl > 1;
}

SEC("xdp")
int pkt_bounds__var_offset_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 off;

	if (data + 1 > end)
		return XDP_PASS;
	off = p[0] & 0x3f;
	if (data + off + 1 > end)
		return XDP_PASS;
	return p[off] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__var_offset_unbounded_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 off;

	if (data + 4 > end)
		return XDP_PASS;
	off = *(__u32 *)p;
	if (data + off + 1 > end)
		return XDP_PASS;
	return p[off] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__adjust_head_good(struct xdp_md *ctx)
{
	void *data, *end;
	struct ethhdr *eth;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct ethhdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	eth->h_proto = bpf_htons(ETH_P_IP);
	return XDP_TX;
}

SEC("xdp")
int pkt_bounds__adjust_head_stale_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (bpf_xdp_adjust_head(ctx, 4))
		return XDP_ABORTED;
	return eth->h_proto ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int pkt_bounds__loop_walk_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 sum = 0;

	for (int i = 0; i < 32; i++) {
		if ((void *)(p + i + 1) > end)
			break;
		sum += p[i];
	}
	return sum & 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__meta_good(struct xdp_md *ctx)
{
	void *meta = (void *)(long)ctx->data_meta, *data = (void *)(long)ctx->data;
	__u32 *m = meta;

	if ((void *)(m + 1) > data)
		return XDP_PASS;
	return *m == 7 ? XDP_DROP : XDP_PASS;
}

SEC("sk_skb/stream_verdict")
int pkt_bounds__sk_skb_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;

	if ((void *)(p + 4) > end)
		return SK_PASS;
	return p[3] == 'x' ? SK_DROP : SK_PASS;
}

SEC("sk_msg")
int pkt_bounds__sk_msg_bad(struct sk_msg_md *msg)
{
	__u8 *p = msg->data;

	if ((void *)(p + 2) > msg->data_end)
		return SK_PASS;
	return p[2] == 'x' ? SK_DROP : SK_PASS;
}

SEC("sk_msg")
int pkt_bounds__sk_msg_good(struct sk_msg_md *msg)
{
	__u8 *p = msg->data;

	if ((void *)(p + 3) > msg->data_end)
		return SK_PASS;
	return p[2] == 'x' ? SK_DROP : SK_PASS;
}
