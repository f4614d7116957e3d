/* Programs shaped like real network functions (parsers, balancers, firewalls, counters),
 * some with the mistakes people make. The names say the intent; the kernel decides. */
#include "case.h"

#define MAX_OPTS 10

SEC("xdp")
int pkt_bounds__tcp_options_mss_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *tcp;
	__u8 *opt;
	__u16 mss = 0;

	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
		return XDP_PASS;
	tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > end)
		return XDP_PASS;
	opt = (void *)(tcp + 1);
#pragma unroll
	for (int i = 0; i < MAX_OPTS; i++) {
		if ((void *)(opt + 1) > end || *opt == 0)
			break;
		if (*opt == 1) {
			opt++;
			continue;
		}
		if ((void *)(opt + 2) > end || opt[1] < 2)
			break;
		if (*opt == 2 && opt[1] == 4) {
			if ((void *)(opt + 4) > end)
				break;
			mss = (opt[2] << 8) | opt[3];
			break;
		}
		opt += opt[1];
	}
	return mss > 1400 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__tcp_options_len_unchecked_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *tcp;
	__u8 *opt;
	__u16 mss = 0;

	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
		return XDP_PASS;
	tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > end)
		return XDP_PASS;
	opt = (void *)(tcp + 1);
#pragma unroll
	for (int i = 0; i < MAX_OPTS; i++) {
		if ((void *)(opt + 2) > end || *opt == 0)
			break;
		if (*opt == 2)
			mss = (opt[2] << 8) | opt[3];
		opt += opt[1];
	}
	return mss > 1400 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__ipv6_ext_walk_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	__u8 next;
	void *p;

	if ((void *)(ip6 + 1) > end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	next = ip6->nexthdr;
	p = ip6 + 1;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		struct { __u8 next, len; } *ext = p;

		if (next != 0 && next != 43 && next != 60)
			break;
		if ((void *)(ext + 1) > end)
			return XDP_PASS;
		next = ext->next;
		p += (ext->len + 1) * 8;
	}
	if (next == IPPROTO_UDP) {
		struct udphdr *udp = p;

		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		return udp->dest == bpf_htons(4789) ? XDP_DROP : XDP_PASS;
	}
	return XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
} backends SEC(".maps");

SEC("xdp")
int map_bounds__lb_rewrite_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 key, *daddr;
	__u32 csum;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	key = (ip->saddr ^ ip->daddr) % 16;
	daddr = bpf_map_lookup_elem(&backends, &key);
	if (!daddr)
		return XDP_ABORTED;
	csum = bpf_csum_diff(&ip->daddr, 4, daddr, 4, ~ip->check);
	ip->daddr = *daddr;
	csum = (csum & 0xffff) + (csum >> 16);
	ip->check = ~((csum & 0xffff) + (csum >> 16));
	return XDP_TX;
}

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist SEC(".maps");

SEC("xdp")
int map_value_null__lpm_firewall_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct lpm_key k = { .prefixlen = 32 };
	__u32 *action;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	k.addr = ip->saddr;
	action = bpf_map_lookup_elem(&blocklist, &k);
	return action && *action ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_value_null__lpm_firewall_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct lpm_key k = { .prefixlen = 32 };
	__u32 *action;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	k.addr = ip->saddr;
	action = bpf_map_lookup_elem(&blocklist, &k);
	return *action ? XDP_DROP : XDP_PASS;
}

struct flow {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 proto, pad[3];
};

struct flow_stats {
	__u64 packets, bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow);
	__type(value, struct flow_stats);
} flows SEC(".maps");

SEC("tc")
int map_value_null__conntrack_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *l4 = (void *)(ip + 1);
	struct flow f = {};
	struct flow_stats *st, init = { 1, 0 };

	if ((void *)(l4 + 1) > end || ip->ihl != 5)
		return TC_ACT_OK;
	f.saddr = ip->saddr;
	f.daddr = ip->daddr;
	f.proto = ip->protocol;
	f.sport = l4->source;
	f.dport = l4->dest;
	st = bpf_map_lookup_elem(&flows, &f);
	if (!st) {
		init.bytes = skb->len;
		bpf_map_update_elem(&flows, &f, &init, BPF_NOEXIST);
		return TC_ACT_OK;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, skb->len);
	return TC_ACT_OK;
}

SEC("tc")
int map_value_null__conntrack_branch_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct flow f = {};
	struct flow_stats *st;

	if ((void *)(ip + 1) > end)
		return TC_ACT_OK;
	f.saddr = ip->saddr;
	f.daddr = ip->daddr;
	st = bpf_map_lookup_elem(&flows, &f);
	if (ip->protocol == IPPROTO_TCP)
		st->packets++;
	else if (st)
		st->bytes += skb->len;
	return TC_ACT_OK;
}

SEC("xdp")
int pkt_bounds__icmp_echo_reply_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct icmp_hdr *icmp = (void *)(ip + 1);
	__u8 mac[ETH_ALEN];
	__u32 a;

	if ((void *)(icmp + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_ICMP || icmp->type != 8)
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	a = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = a;
	icmp->type = 0;
	icmp->checksum += bpf_htons(0x0800);
	return XDP_TX;
}

SEC("xdp")
int pkt_bounds__checksum_loop_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u16 *w = data + sizeof(struct ethhdr);
	__u32 sum = 0;

	if ((void *)(w + 10) > end)
		return XDP_PASS;
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum == 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int pkt_bounds__checksum_loop_len_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u16 *w = (void *)ip;
	__u32 sum = 0;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	for (int i = 0; i < ip->ihl * 2 && i < 30; i++)
		sum += w[i];
	return sum & 1 ? XDP_DROP : XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

SEC("xdp")
int helper_arg__sample_packet_good(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	__u32 meta = len;

	if (len > 64)
		len = 64;
	bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU | (len << 32), &meta, sizeof(meta));
	return XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} uid_bytes SEC(".maps");

SEC("cgroup_skb/egress")
int map_value_null__per_uid_good(struct __sk_buff *skb)
{
	__u32 uid = bpf_get_socket_uid(skb);
	__u64 *b = bpf_map_lookup_elem(&uid_bytes, &uid);

	if (b)
		__sync_fetch_and_add(b, skb->len);
	else {
		__u64 v = skb->len;
		bpf_map_update_elem(&uid_bytes, &uid, &v, BPF_ANY);
	}
	return 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} sock_by_port SEC(".maps");

SEC("sk_msg")
int map_compat__msg_redirect_good(struct sk_msg_md *msg)
{
	__u32 key = bpf_ntohl(msg->remote_port) & 0xffff;

	return bpf_msg_redirect_hash(msg, &sock_by_port, &key, BPF_F_INGRESS);
}

SEC("sk_skb/stream_verdict")
int map_compat__skb_redirect_good(struct __sk_buff *skb)
{
	__u32 key = skb->local_port;

	return bpf_sk_redirect_hash(skb, &sock_by_port, &key, 0);
}

static long scan_cb(__u32 i, void *c)
{
	__u32 *acc = c;

	*acc = *acc * 31 + i;
	return *acc > 1000;
}

SEC("xdp")
int callback__bpf_loop_hash_good(struct xdp_md *ctx)
{
	__u32 acc = ctx->rx_queue_index;

	bpf_loop(64, scan_cb, &acc, 0);
	return acc & 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pkt_bounds__dns_name_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data + 14 + 20 + 8 + 12;
	int labels = 0;

	for (int i = 0; i < 32; i++) {
		__u8 n;

		if ((void *)(p + 1) > end)
			return XDP_PASS;
		n = *p;
		if (n == 0)
			break;
		if (n > 63)
			return XDP_DROP;
		p += n + 1;
		labels++;
	}
	return labels > 5 ? XDP_DROP : XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[256]);
} heap SEC(".maps");

SEC("tc")
int helper_arg__copy_payload_good(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u8 *buf = bpf_map_lookup_elem(&heap, &zero);
	__u32 len = skb->len;

	if (!buf)
		return TC_ACT_OK;
	if (len > 256)
		len = 256;
	if (len < 1)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, 0, buf, len))
		return TC_ACT_OK;
	return buf[0] == 0x45 ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int helper_arg__copy_payload_signed_bad(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u8 *buf = bpf_map_lookup_elem(&heap, &zero);
	int len = skb->len - 14;

	if (!buf)
		return TC_ACT_OK;
	if (len > 256)
		len = 256;
	if (bpf_skb_load_bytes(skb, 14, buf, len))
		return TC_ACT_OK;
	return buf[0] == 0x45 ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int helper_arg__vlan_rewrite_good(struct __sk_buff *skb)
{
	if (skb->vlan_present)
		bpf_skb_vlan_pop(skb);
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), skb->mark & 0xfff);
	return TC_ACT_OK;
}

SEC("tc")
int map_bounds__histogram_good(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u8 *h = bpf_map_lookup_elem(&heap, &zero);
	__u32 bucket = skb->len >> 6;

	if (!h)
		return TC_ACT_OK;
	if (bucket > 255)
		bucket = 255;
	h[bucket]++;
	return TC_ACT_OK;
}

SEC("tc")
int map_bounds__histogram_log2_good(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u8 *h = bpf_map_lookup_elem(&heap, &zero);
	__u32 v = skb->len, b = 0;

	if (!h)
		return TC_ACT_OK;
	for (int i = 0; i < 32; i++) {
		if (v <= 1)
			break;
		v >>= 1;
		b++;
	}
	h[b]++;
	return TC_ACT_OK;
}
