/* XDP redirect through a devmap: a frame that arrives on a port leaves by the port the devmap
 * holds for it (key: the ingress ifindex, value: the egress ifindex), as a two-port software
 * switch would forward it. Frames for a port with no entry go up the stack (XDP_PASS).
 *
 * xdp_pass is for the far end of a veth that receives redirected frames: a veth takes
 * XDP_REDIRECTed frames only while its peer runs an XDP program (drivers/net/veth.c,
 * veth_xdp_xmit(): no program, no NAPI ring, -ENXIO). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum stat {
	STAT_REDIRECTED,
	STAT_NO_PORT,
	STAT_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		*v += 1;
}

SEC("xdp")
int xdp_redirect_port(struct xdp_md *ctx)
{
	/* The lower bits of flags are the action when the key has no entry. */
	long act = bpf_redirect_map(&tx_port, ctx->ingress_ifindex, XDP_PASS);

	count(act == XDP_REDIRECT ? STAT_REDIRECTED : STAT_NO_PORT);
	return act;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
