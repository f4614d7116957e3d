/* Loops: bounded ones are verified by exploring every iteration; bpf_loop callbacks. */
#include "case.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[64]);
} buf SEC(".maps");

SEC("tc")
int too_large__sum_64_good(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *a = bpf_map_lookup_elem(&buf, &key);
	__u64 s = 0;

	if (!a)
		return 0;
	for (int i = 0; i < 64; i++)
		s += a[i];
	return s & 1;
}

SEC("tc")
int too_large__sum_off_by_one_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *a = bpf_map_lookup_elem(&buf, &key);
	__u64 s = 0;

	if (!a)
		return 0;
	for (int i = 0; i <= 64; i++)
		s += a[i];
	return s & 1;
}

SEC("tc")
int too_large__unknown_trip_count_bad(struct __sk_buff *skb)
{
	__u32 n = skb->len;
	__u64 s = 0;

	for (__u32 i = 0; i < n; i++)
		s += i * 3;
	return s & 1;
}

SEC("tc")
int too_large__capped_trip_count_good(struct __sk_buff *skb)
{
	__u32 n = skb->len & 255;
	__u64 s = 0;

	for (__u32 i = 0; i < n; i++)
		s += i * 3;
	return s & 1;
}

SEC("tc")
int too_large__data_dependent_index_good(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *a = bpf_map_lookup_elem(&buf, &key);
	__u32 i = 0, steps = 0;

	if (!a)
		return 0;
	while (steps++ < 16) {
		i = (i + a[i & 63]) & 63;
	}
	return i;
}

SEC("tc")
int too_large__nested_good(struct __sk_buff *skb)
{
	__u64 s = 0;

	for (int i = 0; i < 20; i++)
		for (int j = 0; j < 20; j++)
			s += OPAQUE(i) * j;
	return s & 1;
}

SEC("tc")
int too_large__while_pkt_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;
	int n = 0;

	for (int i = 0; i < 100; i++) {
		if ((void *)(p + 1) > end || *p == 0)
			break;
		p++;
		n++;
	}
	return n & 1;
}

static long count_cb(__u32 idx, void *ctx)
{
	__u64 *sum = ctx;

	*sum += idx;
	return 0;
}

SEC("tc")
int callback__bpf_loop_good(struct __sk_buff *skb)
{
	__u64 sum = 0;

	bpf_loop(100, count_cb, &sum, 0);
	return sum & 1;
}

static long bad_ret_cb(__u32 idx, void *ctx)
{
	return 2;
}

SEC("tc")
int callback__bpf_loop_ret_bad(struct __sk_buff *skb)
{
	bpf_loop(10, bad_ret_cb, NULL, 0);
	return 0;
}

static long stop_cb(__u32 idx, void *ctx)
{
	return idx > 5;
}

SEC("tc")
int callback__bpf_loop_stop_good(struct __sk_buff *skb)
{
	return bpf_loop(OPAQUE(1000), stop_cb, NULL, 0) & 1;
}

struct idx_ctx {
	__u64 *arr;
	__u32 pos;
};

static long index_cb(__u32 idx, void *data)
{
	struct idx_ctx *c = data;

	if (c->pos >= 64)
		return 1;
	c->arr[c->pos] += idx;
	c->pos++;
	return 0;
}

SEC("tc")
int callback__bpf_loop_index_good(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct idx_ctx c = {};

	c.arr = bpf_map_lookup_elem(&buf, &key);
	if (!c.arr)
		return 0;
	bpf_loop(64, index_cb, &c, 0);
	return c.pos & 1;
}

static long oob_cb(__u32 idx, void *data)
{
	struct idx_ctx *c = data;

	c->arr[c->pos] += idx;
	c->pos++;
	return 0;
}

SEC("tc")
int callback__bpf_loop_oob_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct idx_ctx c = {};

	c.arr = bpf_map_lookup_elem(&buf, &key);
	if (!c.arr)
		return 0;
	bpf_loop(100, oob_cb, &c, 0);
	return c.pos & 1;
}

struct bpf_map;

static long for_each_cb(struct bpf_map *map, __u32 *key, __u64 *val, void *ctx)
{
	*(__u64 *)ctx += val[0];
	return 0;
}

SEC("tc")
int callback__for_each_map_good(struct __sk_buff *skb)
{
	__u64 sum = 0;

	bpf_for_each_map_elem(&buf, for_each_cb, &sum, 0);
	return sum & 1;
}
