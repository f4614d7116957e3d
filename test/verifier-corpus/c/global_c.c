/* Global (non-static) functions: the kernel verifies each once, for any arguments that match
 * its BTF prototype, instead of at every call site. */
#include "case.h"

__noinline int global_func__g_add(int a, int b)
{
	return a + b;
}

SEC("tc")
int global_func__global_scalar_good(struct __sk_buff *skb)
{
	return global_func__g_add(skb->len, 3) & 1;
}

__noinline int g_deref(int *p)
{
	return *p;
}

SEC("tc")
int global_func__global_deref_unchecked_bad(struct __sk_buff *skb)
{
	int v = skb->len;

	return g_deref(&v) & 1;
}

__noinline int g_deref_checked(int *p)
{
	if (!p)
		return 0;
	return *p;
}

SEC("tc")
int global_func__global_deref_checked_good(struct __sk_buff *skb)
{
	int v = skb->len;

	return g_deref_checked(&v) & 1;
}

__noinline int g_ctx(struct __sk_buff *skb)
{
	return skb->mark;
}

SEC("tc")
int global_func__global_ctx_good(struct __sk_buff *skb)
{
	return g_ctx(skb) & 1;
}

__noinline int g_index(int i)
{
	int arr[4] = { 1, 2, 3, 4 };

	return arr[i & 3];
}

SEC("tc")
int global_func__global_index_good(struct __sk_buff *skb)
{
	return g_index(skb->len);
}

__noinline int g_index_unchecked(int i)
{
	int arr[4] = { 1, 2, 3, 4 };

	if (i > 3)
		return 0;
	return arr[i];
}

SEC("tc")
int global_func__global_index_caller_bounds_bad(struct __sk_buff *skb)
{
	return g_index_unchecked(skb->len & 3);
}

__noinline int g_write(__u64 *p)
{
	if (p)
		*p = 5;
	return 0;
}

SEC("tc")
int global_func__global_write_good(struct __sk_buff *skb)
{
	__u64 v = 0;

	g_write(&v);
	return v & 1;
}

__noinline int g_pkt(void *data, void *end)
{
	if (data + 2 > end)
		return 0;
	return *(__u8 *)data;
}

SEC("tc")
int global_func__global_pkt_args_bad(struct __sk_buff *skb)
{
	return g_pkt((void *)(long)skb->data, (void *)(long)skb->data_end) & 1;
}
