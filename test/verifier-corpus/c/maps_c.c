/* Map lookups from C: null checks, indexes into values, map types and their helpers. */
#include "case.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct val {
	__u32 arr[16];
	__u64 hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct val);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, struct val);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jumps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __u64);
} fifo SEC(".maps");

SEC("xdp")
int map_value_null__hash_checked_good(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (!v)
		return XDP_PASS;
	__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}

SEC("xdp")
int map_value_null__hash_unchecked_bad(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	*v += 1;
	return XDP_PASS;
}

SEC("xdp")
int map_value_null__array_dynamic_key_bad(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;
	struct val *v = bpf_map_lookup_elem(&table, &key);

	return v->hits ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_value_null__array_const_key(struct xdp_md *ctx)
{
	__u32 key = 3;
	struct val *v = bpf_map_lookup_elem(&table, &key);

	return v->hits ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_value_null__array_key_out_of_range_bad(struct xdp_md *ctx)
{
	__u32 key = 8;
	struct val *v = bpf_map_lookup_elem(&table, &key);

	return v->hits ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_bounds__index_masked_good(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val *v = bpf_map_lookup_elem(&table, &key);
	__u32 i = ctx->rx_queue_index & 15;

	if (!v)
		return XDP_PASS;
	return v->arr[i] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_bounds__index_unchecked_bad(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val *v = bpf_map_lookup_elem(&table, &key);
	__u32 i = ctx->rx_queue_index;

	if (!v)
		return XDP_PASS;
	return v->arr[i] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_bounds__index_checked_good(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val *v = bpf_map_lookup_elem(&table, &key);
	__u32 i = ctx->rx_queue_index;

	if (!v || i >= 16)
		return XDP_PASS;
	return v->arr[i] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_bounds__index_off_by_one_bad(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val *v = bpf_map_lookup_elem(&table, &key);
	__u32 i = ctx->rx_queue_index;

	if (!v || i > 16)
		return XDP_PASS;
	return v->arr[i] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_bounds__signed_index_bad(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val *v = bpf_map_lookup_elem(&table, &key);
	int i = (int)ctx->rx_queue_index;

	if (!v || i >= 16)
		return XDP_PASS;
	return v->arr[i] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_bounds__signed_index_both_good(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val *v = bpf_map_lookup_elem(&table, &key);
	int i = (int)ctx->rx_queue_index;

	if (!v || i >= 16 || i < 0)
		return XDP_PASS;
	return v->arr[i] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_bounds__cpu_index_good(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct val *v = bpf_map_lookup_elem(&table, &key);
	__u32 cpu = bpf_get_smp_processor_id();

	if (!v)
		return XDP_PASS;
	return v->arr[cpu & 15] ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int map_bounds__lru_struct_good(struct __sk_buff *skb)
{
	__u64 key = skb->hash;
	struct val *v = bpf_map_lookup_elem(&lru, &key);

	if (!v) {
		struct val init = {};
		bpf_map_update_elem(&lru, &key, &init, BPF_NOEXIST);
		return TC_ACT_OK;
	}
	v->hits++;
	v->arr[skb->len % 16]++;
	return TC_ACT_OK;
}

SEC("tc")
int map_bounds__percpu_good(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &key);

	if (v)
		*v += skb->len;
	return TC_ACT_OK;
}

SEC("xdp")
int map_compat__redirect_devmap_good(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports, ctx->rx_queue_index & 3, XDP_PASS);
}

SEC("xdp")
int map_compat__redirect_hash_bad(struct xdp_md *ctx)
{
	return bpf_redirect_map(&counts, 0, XDP_PASS);
}

SEC("xdp")
int map_compat__tail_call_good(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jumps, 1);
	return XDP_PASS;
}

SEC("xdp")
int map_compat__queue_push_pop_good(struct xdp_md *ctx)
{
	__u64 v = ctx->rx_queue_index;

	bpf_map_push_elem(&fifo, &v, 0);
	if (bpf_map_pop_elem(&fifo, &v))
		return XDP_PASS;
	return v & 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_compat__devmap_lookup(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 *ifindex = bpf_map_lookup_elem(&ports, &key);

	return ifindex && *ifindex ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int map_compat__devmap_write_bad(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 *ifindex = bpf_map_lookup_elem(&ports, &key);

	if (ifindex)
		*ifindex = 3;
	return XDP_PASS;
}

SEC("xdp")
int map_value_null__delete_then_use_good(struct xdp_md *ctx)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	__u64 x;

	if (!v)
		return XDP_PASS;
	x = *v;
	bpf_map_delete_elem(&counts, &key);
	return x & 1 ? XDP_DROP : XDP_PASS;
}
