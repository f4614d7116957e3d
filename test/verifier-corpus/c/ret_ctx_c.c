/* Return values and context fields per program type. */
#include "case.h"

SEC("cgroup_skb/ingress")
int return_range__cgroup_allow_good(struct __sk_buff *skb)
{
	return skb->len > 100;
}

SEC("cgroup_skb/ingress")
int return_range__cgroup_two_bad(struct __sk_buff *skb)
{
	return skb->len > 100 ? 2 : 1;
}

SEC("cgroup_skb/egress")
int return_range__cgroup_egress_cn_good(struct __sk_buff *skb)
{
	return skb->len > 100 ? 3 : 1;
}

SEC("cgroup_skb/ingress")
int return_range__cgroup_len_bad(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("xdp")
int return_range__xdp_any(struct xdp_md *ctx)
{
	return ctx->rx_queue_index;
}

SEC("socket")
int return_range__socket_len_good(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("tc")
int ctx_access__tc_mark_write_good(struct __sk_buff *skb)
{
	skb->mark = 0x42;
	skb->priority = 7;
	skb->tc_classid = 1;
	return TC_ACT_OK;
}

SEC("cgroup_skb/ingress")
int ctx_access__cgroup_tc_index_write_bad(struct __sk_buff *skb)
{
	skb->tc_index = 1;
	return 1;
}

SEC("cgroup_skb/ingress")
int ctx_access__cgroup_mark_write_good(struct __sk_buff *skb)
{
	skb->mark = 1;
	return 1;
}

SEC("socket")
int ctx_access__socket_data_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;

	return data ? 1 : 0;
}

SEC("socket")
int ctx_access__socket_cb_write_good(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	return skb->cb[0];
}

SEC("sk_skb/stream_verdict")
int ctx_access__sk_skb_mark_bad(struct __sk_buff *skb)
{
	return skb->mark ? SK_DROP : SK_PASS;
}

SEC("sk_skb/stream_verdict")
int ctx_access__sk_skb_fields_good(struct __sk_buff *skb)
{
	return skb->remote_port == bpf_htons(80) && skb->local_ip4 ? SK_DROP : SK_PASS;
}

SEC("tc")
int ctx_access__tc_narrow_protocol_good(struct __sk_buff *skb)
{
	__u8 *p = (__u8 *)&skb->protocol;

	return p[1] == 8 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int ctx_access__tc_remote_ip4_bad(struct __sk_buff *skb)
{
	return skb->remote_ip4 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp")
int ctx_access__xdp_egress_ifindex_bad(struct xdp_md *ctx)
{
	return ctx->egress_ifindex ? XDP_DROP : XDP_PASS;
}

SEC("xdp/devmap")
int ctx_access__xdp_devmap_egress_good(struct xdp_md *ctx)
{
	return ctx->egress_ifindex ? XDP_DROP : XDP_PASS;
}

SEC("sk_msg")
int ctx_access__sk_msg_fields_good(struct sk_msg_md *msg)
{
	return msg->remote_port == bpf_htons(443) && msg->size > 10 ? SK_DROP : SK_PASS;
}

SEC("lwt_in")
int ctx_access__lwt_in_read_good(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + 20 > end)
		return BPF_OK;
	return *(__u8 *)data >> 4 == 4 ? BPF_OK : BPF_DROP;
}

SEC("tc")
int ctx_access__tc_tstamp_good(struct __sk_buff *skb)
{
	skb->tstamp = skb->tstamp + 1000;
	return TC_ACT_OK;
}

SEC("tc")
int ctx_access__tc_gso_size_write_bad(struct __sk_buff *skb)
{
	skb->gso_size = 100;
	return TC_ACT_OK;
}
