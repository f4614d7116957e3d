/* Many independent branches: the kernel's state pruning (liveness, precision) keeps the
 * exploration small; a verifier without it explores every combination. */
#include "case.h"

#define BIT(n) if (p[n] & 1) flags |= 1u << n;

SEC("xdp")
int too_large__flags_30_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 flags = 0;

	if ((void *)(p + 32) > end)
		return XDP_PASS;
	BIT(0) BIT(1) BIT(2) BIT(3) BIT(4) BIT(5) BIT(6) BIT(7) BIT(8) BIT(9)
	BIT(10) BIT(11) BIT(12) BIT(13) BIT(14) BIT(15) BIT(16) BIT(17) BIT(18) BIT(19)
	BIT(20) BIT(21) BIT(22) BIT(23) BIT(24) BIT(25) BIT(26) BIT(27) BIT(28) BIT(29)
	return flags == 0x3fffffff ? XDP_DROP : XDP_PASS;
}

#define CNT(n) if (p[n] > 10) count++;

SEC("xdp")
int too_large__count_30_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 count = 0;

	if ((void *)(p + 32) > end)
		return XDP_PASS;
	CNT(0) CNT(1) CNT(2) CNT(3) CNT(4) CNT(5) CNT(6) CNT(7) CNT(8) CNT(9)
	CNT(10) CNT(11) CNT(12) CNT(13) CNT(14) CNT(15) CNT(16) CNT(17) CNT(18) CNT(19)
	CNT(20) CNT(21) CNT(22) CNT(23) CNT(24) CNT(25) CNT(26) CNT(27) CNT(28) CNT(29)
	return count > 20 ? XDP_DROP : XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[64]);
} tab SEC(".maps");

SEC("xdp")
int too_large__count_30_index_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 count = 0, k = 0;
	__u8 *t;

	if ((void *)(p + 32) > end)
		return XDP_PASS;
	CNT(0) CNT(1) CNT(2) CNT(3) CNT(4) CNT(5) CNT(6) CNT(7) CNT(8) CNT(9)
	CNT(10) CNT(11) CNT(12) CNT(13) CNT(14) CNT(15) CNT(16) CNT(17) CNT(18) CNT(19)
	CNT(20) CNT(21) CNT(22) CNT(23) CNT(24) CNT(25) CNT(26) CNT(27) CNT(28) CNT(29)
	t = bpf_map_lookup_elem(&tab, &k);
	if (!t)
		return XDP_PASS;
	return t[count];
}

SEC("xdp")
int too_large__loop_sum_imprecise_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u64 sum = 0;

	if ((void *)(p + 256) > end)
		return XDP_PASS;
	for (int i = 0; i < 256; i++) {
		if (p[i] > 100)
			sum += p[i];
		else
			sum ^= 3;
	}
	return sum & 1;
}

SEC("xdp")
int too_large__loop_count_returned_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 n = 0;

	if ((void *)(p + 128) > end)
		return XDP_PASS;
	for (int i = 0; i < 128; i++)
		if (p[i] == 0xff)
			n++;
	return n;
}

SEC("xdp")
int too_large__loop_count_as_index_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 n = 0, k = 0;
	__u8 *t;

	if ((void *)(p + 128) > end)
		return XDP_PASS;
	for (int i = 0; i < 128; i++)
		if (p[i] == 0xff)
			n++;
	t = bpf_map_lookup_elem(&tab, &k);
	if (!t)
		return XDP_PASS;
	return t[n & 63];
}

SEC("cgroup_skb/ingress")
int too_large__loop_count_cgroup_ret(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;
	__u32 n = 0;

	if ((void *)(p + 64) > end)
		return 1;
	for (int i = 0; i < 64; i++)
		if (p[i] == 0xff)
			n++;
	return n & 1;
}

SEC("tc")
int too_large__loop_stack_accumulator(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;
	volatile __u64 acc = 0;

	if ((void *)(p + 64) > end)
		return 0;
	for (int i = 0; i < 64; i++) {
		if (p[i] & 1)
			acc += p[i];
		else
			acc -= 1;
	}
	skb->mark = acc;
	return 0;
}
