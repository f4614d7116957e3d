/* bpf_spin_lock in map values: one lock at a time, no helper calls while held, released
 * on every path, never touched by plain loads and stores. */
#include "case.h"

struct bucket {
	struct bpf_spin_lock lock;
	__u32 tokens;
	__u64 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bucket);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct bucket);
} hbuckets SEC(".maps");

SEC("tc")
int spin_lock__rate_limit_good(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &key);
	int drop = 0;

	if (!b)
		return TC_ACT_OK;
	bpf_spin_lock(&b->lock);
	if (b->tokens)
		b->tokens--;
	else
		drop = 1;
	bpf_spin_unlock(&b->lock);
	return drop ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int spin_lock__missing_unlock_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &key);

	if (!b)
		return TC_ACT_OK;
	bpf_spin_lock(&b->lock);
	if (!b->tokens)
		return TC_ACT_SHOT;
	b->tokens--;
	bpf_spin_unlock(&b->lock);
	return TC_ACT_OK;
}

SEC("tc")
int spin_lock__helper_while_locked_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &key);

	if (!b)
		return TC_ACT_OK;
	bpf_spin_lock(&b->lock);
	b->last = bpf_ktime_get_ns();
	bpf_spin_unlock(&b->lock);
	return TC_ACT_OK;
}

SEC("tc")
int spin_lock__hash_good(struct __sk_buff *skb)
{
	__u32 key = skb->mark;
	struct bucket *b = bpf_map_lookup_elem(&hbuckets, &key);

	if (!b)
		return TC_ACT_OK;
	bpf_spin_lock(&b->lock);
	b->tokens += 10;
	bpf_spin_unlock(&b->lock);
	return TC_ACT_OK;
}

SEC("tc")
int spin_lock__two_locks_bad(struct __sk_buff *skb)
{
	__u32 k0 = 0, k1 = 1;
	struct bucket *a = bpf_map_lookup_elem(&buckets, &k0);
	struct bucket *b = bpf_map_lookup_elem(&buckets, &k1);

	if (!a || !b)
		return TC_ACT_OK;
	bpf_spin_lock(&a->lock);
	bpf_spin_lock(&b->lock);
	a->tokens = b->tokens;
	bpf_spin_unlock(&b->lock);
	bpf_spin_unlock(&a->lock);
	return TC_ACT_OK;
}

SEC("tc")
int spin_lock__unlock_other_bad(struct __sk_buff *skb)
{
	__u32 k0 = 0, k1 = 1;
	struct bucket *a = bpf_map_lookup_elem(&buckets, &k0);
	struct bucket *b = bpf_map_lookup_elem(&buckets, &k1);

	if (!a || !b)
		return TC_ACT_OK;
	bpf_spin_lock(&a->lock);
	a->tokens++;
	bpf_spin_unlock(&b->lock);
	return TC_ACT_OK;
}

SEC("tc")
int spin_lock__touch_lock_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &key);

	if (!b)
		return TC_ACT_OK;
	return *(__u32 *)&b->lock ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int spin_lock__wrong_offset_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &key);

	if (!b)
		return TC_ACT_OK;
	bpf_spin_lock((struct bpf_spin_lock *)&b->tokens);
	bpf_spin_unlock((struct bpf_spin_lock *)&b->tokens);
	return TC_ACT_OK;
}

SEC("tc")
int spin_lock__unlock_without_lock_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &key);

	if (!b)
		return TC_ACT_OK;
	bpf_spin_unlock(&b->lock);
	return TC_ACT_OK;
}

SEC("xdp")
int spin_lock__xdp_branches_good(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index & 3;
	struct bucket *b = bpf_map_lookup_elem(&buckets, &key);
	__u32 t;

	if (!b)
		return XDP_PASS;
	bpf_spin_lock(&b->lock);
	t = b->tokens;
	if (t > 100)
		b->tokens = 100;
	else if (t)
		b->tokens = t - 1;
	bpf_spin_unlock(&b->lock);
	return t ? XDP_PASS : XDP_DROP;
}
