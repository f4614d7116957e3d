/**
 * Regenerates the kernel vectors the helper tests replay: packets run through small probe
 * programs (skb_probe.c, csum_probe.c) with BPF_PROG_TEST_RUN on this machine's kernel, with the
 * return value and the output packet recorded; the inputs come from cases.ts. Needs root, clang, gcc and libbpf:
 *
 *   npx tsx test/ebpf/helpers/kernel/generate.ts
 *
 * The vectors record the kernel named in their `kernel` field; the tests replay them through the
 * helpers without needing root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csumCases, skbCases, SCRATCH } from './cases.ts';

const here = new URL('.', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'chainlab-helpers-'));

function build(): void {
  for (const p of ['skb_probe', 'csum_probe']) {
    execFileSync('clang', ['-target', 'bpf', '-O2', '-g', '-I/usr/include/x86_64-linux-gnu', '-c', join(here, `${p}.c`), '-o', join(work, `${p}.o`)]);
  }
  execFileSync('gcc', ['-O2', '-o', join(work, 'runner'), join(here, 'runner.c'), '-lbpf', '-lelf', '-lz']);
}

function run(probe: string, packets: Uint8Array[]): { ret: number; out: string }[] {
  const input = packets.map((p) => Buffer.from(p).toString('hex')).join('\n') + '\n';
  const lines = execFileSync(join(work, 'runner'), [join(work, `${probe}.o`), 'probe'], { input, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'inherit'] }).toString().trim().split('\n');
  return lines.map((l) => {
    const [ret, out] = l.split(' ');
    if (ret === 'ERR') throw new Error(`test run failed: ${l}`);
    return { ret: Number(ret), out: out ?? '' };
  });
}

/** Record [retval, data_out] per case; `outFrom` keeps only the part of data_out after that offset. */
function record(name: string, probe: string, packets: Uint8Array[], outFrom = 0): void {
  const results = run(probe, packets);
  const kernel = execFileSync('uname', ['-r']).toString().trim();
  // Long runs of zero bytes (grown packets) are written as ~count~.
  const squeeze = (hex: string): string => hex.replace(/(?:00){32,}/g, (m) => `~${m.length / 2}~`);
  const lines = results.map((r) => JSON.stringify([r.ret, squeeze(r.out.slice(outFrom * 2))]));
  writeFileSync(join(here, name), `{"kernel":"${kernel}","probe":"${probe}.c","outFrom":${outFrom},"results":[\n${lines.join(',\n')}\n]}\n`);
  console.log(`${name}: ${results.length} cases from Linux ${kernel}`);
}

build();
record('skb-vectors.json', 'skb_probe', skbCases());
record('csum-vectors.json', 'csum_probe', csumCases(), SCRATCH);
