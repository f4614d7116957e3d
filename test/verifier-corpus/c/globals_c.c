/* Global data: .rodata constants the verifier reads (frozen maps), .data/.bss writable. */
#include "case.h"

const volatile __u32 cfg_port = 8080;
const volatile __u32 cfg_index = 3;
const volatile __u32 cfg_big_index = 70;
const volatile int cfg_enabled = 0;
__u64 counter = 0;
__u32 table[16];
const char msg[] = "hello %d\n";

SEC("tc")
int map_bounds__rodata_index_good(struct __sk_buff *skb)
{
	return table[cfg_index] & 1;
}

SEC("tc")
int map_bounds__rodata_index_over_bad(struct __sk_buff *skb)
{
	return table[cfg_big_index] & 1;
}

SEC("tc")
int map_bounds__bss_var_index_bad(struct __sk_buff *skb)
{
	return table[skb->len] & 1;
}

SEC("tc")
int map_bounds__bss_masked_index_good(struct __sk_buff *skb)
{
	table[skb->len & 15]++;
	__sync_fetch_and_add(&counter, 1);
	return TC_ACT_OK;
}

SEC("tc")
int readonly__write_rodata_bad(struct __sk_buff *skb)
{
	*(volatile __u32 *)&cfg_port = 1;
	return TC_ACT_OK;
}

static __noinline int disabled_path(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;

	/* Would be refused if the verifier walked it: no bounds check. */
	return *(__u8 *)data;
}

SEC("tc")
int map_bounds__rodata_dead_branch_good(struct __sk_buff *skb)
{
	if (cfg_enabled)
		return disabled_path(skb);
	return TC_ACT_OK;
}

SEC("tc")
int helper_arg__printk_rodata_good(struct __sk_buff *skb)
{
	bpf_trace_printk(msg, sizeof(msg), skb->len);
	return TC_ACT_OK;
}

SEC("tc")
int helper_arg__printk_size_over_bad(struct __sk_buff *skb)
{
	bpf_trace_printk(msg, sizeof(msg) + 4, skb->len);
	return TC_ACT_OK;
}

SEC("xdp")
int map_bounds__rodata_port_compare_good(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + 34;

	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	return udp->dest == bpf_htons(cfg_port) ? XDP_DROP : XDP_PASS;
}
