#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
/* skb helper probe for BPF_PROG_TEST_RUN: the request (op and arguments) sits at REQ_OFF and is
 * read before any helper runs; the return value packs the helper result with skb fields. */
struct req { __u32 op; __u64 a, b, c, d; __u8 buf[16]; } __attribute__((packed));
#define REQ_OFF 24 /* after an Ethernet header and one VLAN tag */
#define OUT 48 /* where load_bytes results are stored back */
SEC("tc")
int probe(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct req *r = data + REQ_OFF;
	__u8 buf[16];
	__u64 a, b, c, d; __u32 op; long ret;
	if ((void *)(r + 1) > end) return -1000;
	op = r->op; a = r->a; b = r->b; c = r->c; d = r->d;
	__builtin_memcpy(buf, r->buf, 16);
	switch (op) {
	case 0: return bpf_skb_store_bytes(skb, a, buf, 1 + (b & 15), c);
	case 1:
		ret = bpf_skb_load_bytes(skb, a, buf, 1 + (b & 15));
		bpf_skb_store_bytes(skb, OUT, buf, 16, 0);
		return ret;
	case 2:
		ret = bpf_skb_load_bytes_relative(skb, a, buf, 1 + (b & 15), c);
		bpf_skb_store_bytes(skb, OUT, buf, 16, 0);
		return ret;
	case 3: return bpf_skb_pull_data(skb, a);
	case 4: return bpf_skb_change_head(skb, a, c);
	case 5: return bpf_skb_change_tail(skb, a, c);
	case 6: ret = bpf_skb_adjust_room(skb, (__s32)a, b, c); return (ret & 0xffff) | ((skb->protocol & 0xffff) << 16);
	case 7: ret = bpf_skb_change_proto(skb, a, c); return (ret & 0xffff) | ((skb->protocol & 0xffff) << 16);
	case 8: ret = bpf_skb_change_type(skb, a); return (ret & 0xff) | (skb->pkt_type << 8);
	case 9: ret = bpf_skb_vlan_push(skb, a, b); return (ret & 0xff) | (skb->vlan_present << 8) | ((skb->vlan_tci & 0xffff) << 16);
	case 10: ret = bpf_skb_vlan_push(skb, a, b); return (ret & 0xff) | ((skb->vlan_proto & 0xffff) << 8) | ((skb->protocol & 0xff) << 24);
	case 11:
		ret = bpf_skb_vlan_push(skb, a, b);
		if (ret) return ret;
		ret = bpf_skb_vlan_push(skb, c, d);
		return (ret & 0xff) | (skb->vlan_present << 8) | ((skb->vlan_tci & 0xffff) << 16);
	case 12: ret = bpf_skb_vlan_pop(skb); return (ret & 0xff) | (skb->vlan_present << 8) | ((skb->protocol & 0xffff) << 16);
	case 13: ret = bpf_skb_vlan_pop(skb); return (ret & 0xff) | ((skb->vlan_tci & 0xffff) << 16) | ((skb->vlan_proto & 0xff) << 8);
	case 14:
		ret = bpf_skb_vlan_push(skb, a, b);
		if (ret) return ret;
		ret = bpf_skb_vlan_push(skb, c, d);
		if (ret) return ret;
		ret = bpf_skb_vlan_pop(skb);
		return (ret & 0xff) | (skb->vlan_present << 8) | ((skb->vlan_tci & 0xffff) << 16);
	case 15: /* adjust room twice: encap then decap */
		ret = bpf_skb_adjust_room(skb, (__s32)a, b, c);
		if (ret) return ret;
		return bpf_skb_adjust_room(skb, -(__s32)a, b, d);
	case 16: ret = bpf_skb_change_head(skb, a, 0); if (ret) return ret; return bpf_skb_change_tail(skb, b, 0);
	case 17: ret = bpf_skb_adjust_room(skb, (__s32)a, b, c); if (ret) return ret; return bpf_skb_change_tail(skb, d, 0);
	}
	return -2000;
}
char LICENSE[] SEC("license") = "GPL";
