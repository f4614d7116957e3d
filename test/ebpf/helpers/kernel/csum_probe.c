/* Checksum helper probe for BPF_PROG_TEST_RUN: the request after the Ethernet header picks
 * bpf_csum_diff, bpf_l3/l4_csum_replace or both; the return value is the helper result and the
 * scratch area after the request holds the checksum fields the helpers changed. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct req { __u32 op, a, b; __u64 from, to, flags; __u32 seed; __u8 bufA[64], bufB[64]; } __attribute__((packed));
#define REQ_OFF 14
#define SCRATCH (REQ_OFF + sizeof(struct req))

SEC("tc")
int probe(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct req *r = data + REQ_OFF;
	__u8 a[64], b[64];
	__u32 op, x, y, seed; __u64 from, to, flags;
	if ((void *)(r + 1) > end) return -1;
	op = r->op; x = r->a; y = r->b; from = r->from; to = r->to; flags = r->flags; seed = r->seed;
	__builtin_memcpy(a, r->bufA, 64); __builtin_memcpy(b, r->bufB, 64);
	switch (op) {
	case 0: return bpf_csum_diff((void *)a, x & 63, (void *)b, y & 63, seed);
	case 1: return bpf_l3_csum_replace(skb, SCRATCH + x, from, to, flags);
	case 2: return bpf_l4_csum_replace(skb, SCRATCH + x, from, to, flags);
	case 3: {
		__s64 d = bpf_csum_diff((void *)a, y & 63, (void *)b, (y >> 8) & 63, seed);
		if (d < 0) return d;
		return bpf_l4_csum_replace(skb, SCRATCH + x, 0, d, flags);
	}
	case 4: {
		__s64 d = bpf_csum_diff((void *)a, y & 63, (void *)b, (y >> 8) & 63, seed);
		if (d < 0) return d;
		return bpf_l3_csum_replace(skb, SCRATCH + x, 0, d, flags);
	}
	}
	return -2;
}
char LICENSE[] SEC("license") = "GPL";
