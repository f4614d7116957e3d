/* cpu v4 instructions (clang 19 -mcpu=v4): sign-extending loads and moves, sdiv/smod, bswap. */
#include "case.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[64]);
} tbl SEC(".maps");

SEC("tc")
int bounds__sext_byte_index_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u8 *t = bpf_map_lookup_elem(&tbl, &key);
	__s8 i = (__s8)skb->mark;

	if (!t || i >= 64)
		return 0;
	return t[i];
}

SEC("tc")
int bounds__sext_byte_index_good(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u8 *t = bpf_map_lookup_elem(&tbl, &key);
	__s8 i = (__s8)skb->mark;

	if (!t || i >= 64 || i < 0)
		return 0;
	return t[i];
}

SEC("tc")
int bounds__sdiv_good(struct __sk_buff *skb)
{
	__s64 x = (__s32)skb->mark;

	return (x / 7) & 1;
}

SEC("tc")
int bounds__bswap_index_good(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u8 *t = bpf_map_lookup_elem(&tbl, &key);
	__u16 v = __builtin_bswap16((__u16)skb->mark) & 63;

	if (!t)
		return 0;
	return t[v];
}

SEC("tc")
int bounds__smod_index_bad(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u8 *t = bpf_map_lookup_elem(&tbl, &key);
	__s32 v = (__s32)skb->mark % 64;

	if (!t)
		return 0;
	return t[v];
}
