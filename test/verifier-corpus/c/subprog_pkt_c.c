/* Packet pointers across function calls: a callee that may move the packet invalidates them. */
#include "case.h"

static __noinline int pull(struct __sk_buff *skb)
{
	return bpf_skb_pull_data(skb, 64);
}

SEC("tc")
int pkt_bounds__static_pull_stale_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;

	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	pull(skb);
	return *p;
}

SEC("tc")
int pkt_bounds__static_pull_reload_good(struct __sk_buff *skb)
{
	void *data, *end;
	__u8 *p;

	pull(skb);
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	p = data;
	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	return *p;
}

__noinline int gpull(struct __sk_buff *skb)
{
	return bpf_skb_pull_data(skb, 64);
}

SEC("tc")
int pkt_bounds__global_pull_stale_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;

	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	gpull(skb);
	return *p;
}

__noinline int gread(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("tc")
int pkt_bounds__global_no_pull_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;

	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	gread(skb);
	return *p;
}

static __noinline int sum_pkt(__u8 *p, void *end)
{
	int s = 0;

	for (int i = 0; i < 8; i++) {
		if ((void *)(p + i + 1) > end)
			break;
		s += p[i];
	}
	return s;
}

SEC("xdp")
int pkt_bounds__pkt_to_static_good(struct xdp_md *ctx)
{
	return sum_pkt((void *)(long)ctx->data, (void *)(long)ctx->data_end) & 1;
}

static __noinline int first_byte(__u8 *p)
{
	return *p;
}

SEC("xdp")
int pkt_bounds__pkt_to_static_unchecked_bad(struct xdp_md *ctx)
{
	return first_byte((void *)(long)ctx->data) & 1;
}

SEC("xdp")
int pkt_bounds__pkt_to_static_checked_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + 1 > end)
		return XDP_PASS;
	return first_byte(data) & 1;
}

static __noinline struct bpf_sock *find(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};

	t.ipv4.dport = bpf_htons(22);
	return bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
}

SEC("tc")
int unreleased_ref__ref_from_callee_good(struct __sk_buff *skb)
{
	struct bpf_sock *sk = find(skb);

	if (sk)
		bpf_sk_release(sk);
	return TC_ACT_OK;
}

SEC("tc")
int unreleased_ref__ref_from_callee_leak_bad(struct __sk_buff *skb)
{
	struct bpf_sock *sk = find(skb);

	return sk ? TC_ACT_SHOT : TC_ACT_OK;
}
