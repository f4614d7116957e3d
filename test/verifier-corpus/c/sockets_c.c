/* Socket lookups and ring buffer records: acquired references must be released. */
#include "case.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event {
	__u32 len;
	__u32 ifindex;
	__u64 ts;
};

static __always_inline struct bpf_sock *lookup(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};

	t.ipv4.daddr = skb->local_ip4;
	t.ipv4.dport = bpf_htons(80);
	return bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
}

SEC("tc")
int unreleased_ref__release_good(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);

	if (!sk)
		return TC_ACT_OK;
	bpf_sk_release(sk);
	return TC_ACT_SHOT;
}

SEC("tc")
int unreleased_ref__leak_bad(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);

	return sk ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int unreleased_ref__leak_on_branch_bad(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);

	if (!sk)
		return TC_ACT_OK;
	if (sk->state == 10)
		return TC_ACT_SHOT;
	bpf_sk_release(sk);
	return TC_ACT_OK;
}

SEC("tc")
int unreleased_ref__read_then_release_good(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	__u32 state;

	if (!sk)
		return TC_ACT_OK;
	state = sk->state;
	bpf_sk_release(sk);
	return state == 10 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int release__use_after_release_bad(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);

	if (!sk)
		return TC_ACT_OK;
	bpf_sk_release(sk);
	return sk->state == 10 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp")
int unreleased_ref__xdp_udp_good(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;

	t.ipv4.dport = bpf_htons(53);
	sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		bpf_sk_release(sk);
		return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("xdp")
int unreleased_ref__tuple_from_packet_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct bpf_sock_tuple *t;
	struct bpf_sock *sk;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	t = (void *)&ip->saddr;
	if ((void *)t + sizeof(t->ipv4) > end)
		return XDP_PASS;
	sk = bpf_sk_lookup_tcp(ctx, t, sizeof(t->ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return XDP_PASS;
	bpf_sk_release(sk);
	return XDP_DROP;
}

SEC("xdp")
int unreleased_ref__ringbuf_good(struct xdp_md *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return XDP_PASS;
	e->len = ctx->data_end - ctx->data;
	e->ifindex = ctx->ingress_ifindex;
	e->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

SEC("xdp")
int unreleased_ref__ringbuf_discard_path_good(struct xdp_md *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return XDP_PASS;
	e->ifindex = ctx->ingress_ifindex;
	if (e->ifindex == 1) {
		bpf_ringbuf_discard(e, 0);
		return XDP_DROP;
	}
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

SEC("xdp")
int unreleased_ref__ringbuf_forgot_bad(struct xdp_md *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return XDP_PASS;
	e->ifindex = ctx->ingress_ifindex;
	if (e->ifindex == 1)
		return XDP_DROP;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

SEC("xdp")
int mem_bounds__ringbuf_overflow_bad(struct xdp_md *ctx)
{
	__u32 *e = bpf_ringbuf_reserve(&events, 8, 0);

	if (!e)
		return XDP_PASS;
	e[2] = 1;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

SEC("xdp")
int unreleased_ref__ringbuf_output_good(struct xdp_md *ctx)
{
	struct event e = { .ifindex = ctx->ingress_ifindex };

	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return XDP_PASS;
}

SEC("tc")
int sock_access__skb_sk_good(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return TC_ACT_OK;
	return sk->family == 2 ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int sock_access__skb_sk_unchecked_bad(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	return sk->family == 2 ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int sock_access__fullsock_good(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return TC_ACT_OK;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return TC_ACT_OK;
	return sk->mark == 5 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int sock_access__common_mark_bad(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return TC_ACT_OK;
	return sk->mark == 5 ? TC_ACT_SHOT : TC_ACT_OK;
}
