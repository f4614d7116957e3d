/**
 * Tiny BPF programs for the kernel-oracle tests, compiled on the fly with clang, and packets for them.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const HEADERS = `#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
`;

export const SOURCES: Record<string, string> = {
  // Counts packets (ARRAY, PERCPU_ARRAY), counts IP protocols in a HASH it fills itself, rewrites
  // the first destination MAC byte, drops UDP. A second program tests program selection.
  oracle_xdp: `${HEADERS}
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } percpu SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } protos SEC(".maps");

SEC("xdp")
int count_drop_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 k = 0;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	v = bpf_map_lookup_elem(&percpu, &k);
	if (v)
		*v += 1;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	eth->h_dest[0] = 0xaa;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 proto = ip->protocol;
	v = bpf_map_lookup_elem(&protos, &proto);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&protos, &proto, &one, BPF_ANY);
	return ip->protocol == IPPROTO_UDP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int always_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} jumps SEC(".maps");

SEC("xdp")
int tail_caller(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jumps, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
`,
  // tc writes fields of __sk_buff that ctx_out reports; a socket filter shows the L3 view.
  oracle_skb: `${HEADERS}
SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	skb->mark = skb->mark + 1;
	skb->priority = 7;
	skb->cb[0] = skb->len;
	return skb->protocol == bpf_htons(ETH_P_IP) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("socket")
int sock_len(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
`,
  // Global data in all three sections, and a LIBBPF_PIN_BY_NAME map (libbpf pins it under /sys/fs/bpf).
  oracle_globals: `${HEADERS}
__u64 packets = 100;
__u64 bytes;
const volatile __u32 factor = 3;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} oracle_pinned_seen SEC(".maps");

SEC("xdp")
int globals(struct xdp_md *ctx)
{
	__u32 k = 1, one = 1, *v;

	packets++;
	bytes += (ctx->data_end - ctx->data) * factor;
	v = bpf_map_lookup_elem(&oracle_pinned_seen, &k);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&oracle_pinned_seen, &k, &one, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`,
  // A ringbuf and a queue cannot be read or reset through bpftool: batch runs must reload the object.
  oracle_ringbuf: `${HEADERS}
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 4); __type(value, __u32); } pending SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } sent SEC(".maps");

SEC("xdp")
int log_packet(struct xdp_md *ctx)
{
	__u32 k = 0, len = ctx->data_end - ctx->data, head;
	__u64 *v = bpf_map_lookup_elem(&sent, &k);

	if (v && bpf_ringbuf_output(&events, &len, sizeof(len), 0) == 0)
		*v += 1;
	k = 1;
	v = bpf_map_lookup_elem(&sent, &k);
	if (v && bpf_map_pop_elem(&pending, &head) == 0)
		*v = head;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`,
  // The verifier refuses this (packet read without a bounds check).
  oracle_bad: `${HEADERS}
SEC("xdp")
int unchecked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	return *(__u32 *)(data + 100);
}

char LICENSE[] SEC("license") = "GPL";
`,
  // sk_skb programs load but have no test_run in the kernel.
  oracle_skskb: `${HEADERS}
SEC("sk_skb/stream_verdict")
int verdict(struct __sk_buff *skb)
{
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`,
};

export function findClang(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin'])) {
    const p = path.join(d, 'clang');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Compile every source into a fresh temp dir; returns name → object path. */
export async function buildPrograms(clang: string): Promise<{ dir: string; objects: Record<string, string> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chainlab-oracle-test-'));
  const triple = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const objects: Record<string, string> = {};
  await Promise.all(
    Object.entries(SOURCES).map(async ([name, src]) => {
      const c = path.join(dir, `${name}.c`);
      const o = path.join(dir, `${name}.o`);
      writeFileSync(c, src);
      await run(clang, ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${triple}`, '-c', c, '-o', o]);
      objects[name] = o;
    }),
  );
  return { dir, objects };
}

/** Ethernet + IPv4 + 8 bytes of L4 (a UDP header, or the start of a TCP one): 42 bytes. */
export function ipv4Packet(proto: number): Uint8Array {
  const p = new Uint8Array(42);
  p.fill(0x11, 0, 6); // destination MAC
  p.fill(0x22, 6, 12); // source MAC
  p.set([0x08, 0x00], 12);
  p.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  p.set([0x30, 0x39, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00], 34);
  return p;
}

export const UDP = 17;
export const TCP = 6;

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Little-endian u64 as the maps print it. */
export const u64 = (n: number): string => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b.toString('hex');
};
export const u32 = (n: number): string => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b.toString('hex');
};
