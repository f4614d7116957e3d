/* bpf-to-bpf calls: arguments, stack across frames, depth. */
#include "case.h"

static __noinline int add3(int a, int b, int c)
{
	return a + b + OPAQUE(c);
}

SEC("tc")
int call_depth__simple_good(struct __sk_buff *skb)
{
	return add3(skb->len, 1, 2) & 1;
}

static __noinline int read_hdr(void *data, void *end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return -1;
	return eth->h_proto;
}

SEC("tc")
int call_depth__pkt_args_good(struct __sk_buff *skb)
{
	return read_hdr((void *)(long)skb->data, (void *)(long)skb->data_end) == bpf_htons(ETH_P_IP);
}

static __noinline int fill(__u8 *buf, int n)
{
	for (int i = 0; i < 32; i++) {
		if (i >= n)
			break;
		buf[i] = i;
	}
	return buf[0];
}

SEC("tc")
int call_depth__stack_arg_good(struct __sk_buff *skb)
{
	__u8 buf[32];

	return fill(buf, skb->len & 31);
}

static __noinline int big_frame(int x)
{
	volatile __u8 arr[300];

	arr[x & 255] = 1;
	return arr[(x >> 8) & 255];
}

SEC("tc")
int stack_limit__frames_300_300_bad(struct __sk_buff *skb)
{
	volatile __u8 arr[300];

	arr[skb->len & 255] = 2;
	return big_frame(skb->len) + arr[skb->mark & 255];
}

SEC("tc")
int stack_limit__frames_100_300_good(struct __sk_buff *skb)
{
	volatile __u8 arr[100];

	arr[skb->len & 63] = 2;
	return big_frame(skb->len) + arr[skb->mark & 63];
}

static __noinline int d4(int x) { return OPAQUE(x) + 4; }
static __noinline int d3(int x) { return d4(x) + 3; }
static __noinline int d2(int x) { return d3(x) + 2; }
static __noinline int d1(int x) { return d2(x) + 1; }

SEC("tc")
int call_depth__chain_5_good(struct __sk_buff *skb)
{
	return d1(skb->len) & 1;
}

static __noinline int e7(int x) { return OPAQUE(x) + 7; }
static __noinline int e6(int x) { return e7(x) + 6; }
static __noinline int e5(int x) { return e6(x) + 5; }
static __noinline int e4(int x) { return e5(x) + 4; }
static __noinline int e3(int x) { return e4(x) + 3; }
static __noinline int e2(int x) { return e3(x) + 2; }
static __noinline int e1(int x) { return e2(x) + 1; }

SEC("tc")
int call_depth__chain_8_bad(struct __sk_buff *skb)
{
	return e1(skb->len) & 1;
}

static __noinline int deref(int *p)
{
	return *p;
}

SEC("tc")
int call_depth__ptr_to_caller_stack_good(struct __sk_buff *skb)
{
	int v = skb->len;

	return deref(&v) & 1;
}

static __noinline int idx(__u32 *arr, __u32 i)
{
	return arr[i];
}

SEC("tc")
int stack_bounds__callee_index_bad(struct __sk_buff *skb)
{
	__u32 arr[4] = {};

	return idx(arr, skb->len);
}

SEC("tc")
int stack_bounds__callee_index_masked_good(struct __sk_buff *skb)
{
	__u32 arr[4] = {};

	return idx(arr, skb->len & 3);
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} progs SEC(".maps");

static __noinline int jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &progs, 0);
	return 0;
}

SEC("tc")
int stack_limit__tail_call_in_subprog_good(struct __sk_buff *skb)
{
	return jump(skb);
}

SEC("tc")
int stack_limit__tail_call_deep_stack_bad(struct __sk_buff *skb)
{
	volatile __u8 arr[260];

	arr[skb->len & 255] = 1;
	return jump(skb) + arr[skb->mark & 255];
}
