/**
 * Multi-buffer XDP in BPF_PROG_TEST_RUN: data_in past the linear area (3520 bytes, plus metadata,
 * or ctx_in's data_end) goes to page fragments. test/fixtures/xdp_frags.o's programs read the whole
 * length, probe data_end, load and store bytes across the fragment boundaries, grow and shrink the
 * tail; `xdp_plain` has no BPF_F_XDP_HAS_FRAGS and gets the same frame. Each program runs on every
 * length in chainlab and in the kernel, and retval, data_out, ctx_out and the maps must agree.
 * Without root, chainlab is held to the kernel's answers recorded below (Linux 6.18).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpMaps } from '../../../src/cli/map-json.ts';
import { loadObjectFile } from '../../../src/ebpf/elf/index.ts';
import { bytesToHex } from '../../../src/ebpf/isa/insn.ts';
import { errnoName } from '../../../src/ebpf/maps/index.ts';
import { StandaloneHost } from '../../../src/ebpf/runtime/host.ts';
import { Runtime } from '../../../src/ebpf/runtime/runtime.ts';
import { testRun, TestRunError } from '../../../src/ebpf/runtime/test-run.ts';
import { isKernelRunFailure, kernelAvailable, kernelProgRunBatch, type KernelRunResult } from '../../../src/oracle/kernel.ts';

const OBJ = join(import.meta.dirname, '..', '..', 'fixtures', 'xdp_frags.o');
const avail = await kernelAvailable();
if (!avail.ok) console.warn(`SKIPPED multi-buffer XDP comparison with the kernel (recorded answers still checked): ${avail.why}`);

const PROGS = ['frags_probe', 'xdp_plain', 'frags_store', 'frags_grow', 'frags_shrink', 'frags_perf'];
/** 3520 is the largest linear packet; 73152 = 3520 + 17 pages is the largest data_in (then ENOMEM). */
const LENGTHS = [3000, 3520, 3521, 4096, 5000, 9000, 20000, 73152, 73153];

interface Input {
  name: string;
  dataIn: Uint8Array;
  ctxIn?: Uint8Array;
}

function packet(len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

function xdpMd(meta: number, dataEnd: number): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, meta, true);
  v.setUint32(4, dataEnd, true);
  return b;
}

const INPUTS: Input[] = [
  ...LENGTHS.map((n) => ({ name: `${n}`, dataIn: packet(n) })),
  // ctx_in's data_end ends the linear area early (even under ETH_HLEN); metadata comes out of the headroom.
  { name: '9000 data_end 100', dataIn: packet(9000), ctxIn: xdpMd(0, 100) },
  { name: '9000 data_end 10', dataIn: packet(9000), ctxIn: xdpMd(0, 10) },
  { name: '9000 meta 8', dataIn: packet(9000), ctxIn: xdpMd(8, 9000) },
  { name: '3000 data_end 1000', dataIn: packet(3000), ctxIn: xdpMd(0, 1000) },
  { name: '69633 data_end 0', dataIn: packet(69633), ctxIn: xdpMd(0, 0) },
];

/** A run as both sides report it: retval, data_out, ctx_out and maps, or the errno of a refusal. */
type Outcome = { errno: string } | { retval: number; data_out: string; ctx_out?: string; maps: string };

function chainlab(prog: string, input: Input, compiled: boolean): Outcome {
  const rt = new Runtime({ nCpus: avail.possibleCpus ?? 1, host: new StandaloneHost(1), tierUpAfter: compiled ? 0 : Infinity });
  const obj = rt.load(loadObjectFile(OBJ));
  try {
    const r = testRun(rt, obj.program(prog), { dataIn: input.dataIn, ctxIn: input.ctxIn, cpu: avail.cpu ?? 0 });
    if (r.error) throw new Error(`${prog} ${input.name}: chainlab stopped: ${r.error.message}`);
    return {
      retval: r.retval,
      data_out: bytesToHex(r.dataOut),
      ...(input.ctxIn ? { ctx_out: bytesToHex(r.ctxOut ?? new Uint8Array()) } : {}),
      maps: JSON.stringify(dumpMaps(obj)),
    };
  } catch (e) {
    if (e instanceof TestRunError) return { errno: errnoName(e.errno) ?? String(e.errno) };
    throw e;
  }
}

function kernelOutcome(k: KernelRunResult, input: Input): Outcome {
  if (isKernelRunFailure(k)) return { errno: k.error.errno ?? k.error.kind };
  return { retval: k.retval, data_out: k.data_out, ...(input.ctxIn ? { ctx_out: k.ctx_out } : {}), maps: JSON.stringify(k.maps) };
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** The recorded form: retval, data_out length, and digests of data_out, ctx_out and the maps. */
function digest(o: Outcome): string {
  if ('errno' in o) return o.errno;
  return `${o.retval} ${o.data_out.length / 2} ${sha(o.data_out)} ${o.ctx_out === undefined ? '-' : sha(o.ctx_out)} ${sha(o.maps)}`;
}

/** Linux 6.18's answers (BPF_PROG_TEST_RUN through bpftool), in digest() form. */
const KERNEL: Record<string, string> = {
  'frags_probe 3000': '2 3000 7c7d1dbd2af259c6 - 0ec03c44ae4672ca',
  'frags_probe 3520': '2 3520 a528382a701a3f89 - dfb83e99d5d7d3e0',
  'frags_probe 3521': '2 3521 65a7243a12ccb5ab - 2348357f05a66bdb',
  'frags_probe 4096': '2 4096 ce20d43e36dc0828 - 4e44eff6bc7eb4bf',
  'frags_probe 5000': '2 5000 1260732e3ca6d61b - f581ef18db9290ec',
  'frags_probe 9000': '2 9000 5179138108c3b4a7 - 78114de1546df69f',
  'frags_probe 20000': '2 20000 6637c526b03735d5 - fd77d4b123a500a3',
  'frags_probe 73152': '2 73152 aa2b5a0aad613cf7 - eea6dc76451e8a01',
  'frags_probe 73153': 'ENOMEM',
  'frags_probe 9000 data_end 100': '2 9000 5179138108c3b4a7 b54d6987c027d0be b76c3425c8b13272',
  'frags_probe 9000 data_end 10': '2 9000 5179138108c3b4a7 a7ee3e9e2a39e020 eea364855f96eea5',
  'frags_probe 9000 meta 8': '2 9000 5179138108c3b4a7 b1af3e6d11cdafdf 89ca5b2e26bfe6bf',
  'frags_probe 3000 data_end 1000': '2 3000 7c7d1dbd2af259c6 35a55eea81e91281 4cae23b0c01710ea',
  'frags_probe 69633 data_end 0': 'ENOMEM',
  'xdp_plain 3000': '2 2990 5007dbeed05c0fee - cd552d7dafb2e18e',
  'xdp_plain 3520': '2 3510 2c2bc7fa55208235 - 572b605f130b7622',
  'xdp_plain 3521': '2 3511 22a551a3d5157a22 - d0bf6a7be18a2145',
  'xdp_plain 4096': '2 4086 43e4d25350cff1c1 - 37d390e74bbd3266',
  'xdp_plain 5000': '2 4990 8b3f9908172986a9 - dc0f4f0625c2dfd3',
  'xdp_plain 9000': '2 8990 ea03cae29e44f3a2 - f59ee2b5e90727a5',
  'xdp_plain 20000': '2 19990 2c82ad8a5f77981b - 5e0e373f59bbe3b7',
  'xdp_plain 73152': '2 73142 cb1a6b61107ef98c - 113ddc3e8304f169',
  'xdp_plain 73153': 'ENOMEM',
  'xdp_plain 9000 data_end 100': '2 8990 ea03cae29e44f3a2 b54d6987c027d0be e31d97068f9a3010',
  'xdp_plain 9000 data_end 10': '2 8990 ea03cae29e44f3a2 a7ee3e9e2a39e020 8bbe386d4fd3b26e',
  'xdp_plain 9000 meta 8': '2 8990 ea03cae29e44f3a2 b1af3e6d11cdafdf 8e7f3ef43cd16d28',
  'xdp_plain 3000 data_end 1000': '2 2990 5007dbeed05c0fee 35a55eea81e91281 cd552d7dafb2e18e',
  'xdp_plain 69633 data_end 0': 'ENOMEM',
  'frags_store 3000': '3 3000 e63751f53981124e - 37e113f4874dd999',
  'frags_store 3520': '3 3520 b26247ac192b4b2c - 37e113f4874dd999',
  'frags_store 3521': '3 3521 8ebb076288399594 - 37e113f4874dd999',
  'frags_store 4096': '3 4096 71696a93f7070806 - 187daf2f227cb95f',
  'frags_store 5000': '3 5000 ab08692564c5b966 - 187daf2f227cb95f',
  'frags_store 9000': '3 9000 a592ebadafb9c06b - 3ef2fb72ee1f1bd9',
  'frags_store 20000': '3 20000 52301a09aa404e09 - 3ef2fb72ee1f1bd9',
  'frags_store 73152': '3 73152 5c5e48e6a7ad6357 - b0096633032c3312',
  'frags_store 73153': 'ENOMEM',
  'frags_store 9000 data_end 100': '3 9000 a592ebadafb9c06b b54d6987c027d0be 3ef2fb72ee1f1bd9',
  'frags_store 9000 data_end 10': '3 9000 a592ebadafb9c06b a7ee3e9e2a39e020 3ef2fb72ee1f1bd9',
  'frags_store 9000 meta 8': '3 9000 578f93a20a787fa3 b1af3e6d11cdafdf 3ef2fb72ee1f1bd9',
  'frags_store 3000 data_end 1000': '3 3000 e63751f53981124e 35a55eea81e91281 37e113f4874dd999',
  'frags_store 69633 data_end 0': 'ENOMEM',
  'frags_grow 3000': '2 3100 4cf4ea533ac12b93 - 190fb468905f68ca',
  'frags_grow 3520': '2 3520 a528382a701a3f89 - 45abad19401aea77',
  'frags_grow 3521': '2 4621 13db1610609cfb0a - 8893c735f58a6826',
  'frags_grow 4096': '2 5196 1dd4974a8363424a - 6e37a17f699f9e46',
  'frags_grow 5000': '2 6100 6d789c9b3ef32413 - 37da727eacb589bd',
  'frags_grow 9000': '2 10100 b919e4634e4d8b3c - 4f8fde0bdf4937d5',
  'frags_grow 20000': '2 21100 495882dc3f884e98 - d8246c06d6068cf8',
  'frags_grow 73152': '2 73152 aa2b5a0aad613cf7 - fe53bda978335f11',
  'frags_grow 73153': 'ENOMEM',
  'frags_grow 9000 data_end 100': '2 10100 b919e4634e4d8b3c b54d6987c027d0be 219b7fa972bef30d',
  'frags_grow 9000 data_end 10': '2 10100 b919e4634e4d8b3c a7ee3e9e2a39e020 899817e702c06267',
  'frags_grow 9000 meta 8': '2 10100 b919e4634e4d8b3c b1af3e6d11cdafdf 05b377a9b2ab0e1e',
  'frags_grow 3000 data_end 1000': '2 4100 992d5ce321fe4575 35a55eea81e91281 9f31fbcb0f91de81',
  'frags_grow 69633 data_end 0': 'ENOMEM',
  'frags_shrink 3000': '2 2900 3e5d22ecded780bd - b1ad02a75afb3edf',
  'frags_shrink 3520': '2 3420 28a2873a7e6cd324 - 5d40ed33767df744',
  'frags_shrink 3521': '2 3421 55dafa735ddbf502 - 169c3dc8b6465520',
  'frags_shrink 4096': '2 3720 7c4c52c9ca70d181 - 64f4dcc4ec22e2fe',
  'frags_shrink 5000': '2 400 f3692b3ad7eb4c5d - 60df22cc6165f6e3',
  'frags_shrink 9000': '2 3720 7c4c52c9ca70d181 - fc1f404d0dc723d3',
  'frags_shrink 20000': '2 3720 7c4c52c9ca70d181 - 2bcf669ad97b6ce7',
  'frags_shrink 73152': '2 3720 7c4c52c9ca70d181 - c28955b5ff840ac6',
  'frags_shrink 73153': 'ENOMEM',
  'frags_shrink 9000 data_end 100': '2 3720 7c4c52c9ca70d181 b54d6987c027d0be c294e87068cb776a',
  'frags_shrink 9000 data_end 10': '2 3720 7c4c52c9ca70d181 a7ee3e9e2a39e020 4c1d5acb22ba6a8e',
  'frags_shrink 9000 meta 8': '2 3728 e2199b61551b4169 b1af3e6d11cdafdf 9f143ad07d2959dc',
  'frags_shrink 3000 data_end 1000': '2 2900 3e5d22ecded780bd 35a55eea81e91281 b1ad02a75afb3edf',
  'frags_shrink 69633 data_end 0': 'ENOMEM',  'frags_perf 3000': '2 3000 7c7d1dbd2af259c6 - 228b8109f45ceba3',
  'frags_perf 3520': '2 3520 a528382a701a3f89 - 228b8109f45ceba3',
  'frags_perf 3521': '2 3521 65a7243a12ccb5ab - 228b8109f45ceba3',
  'frags_perf 4096': '2 4096 ce20d43e36dc0828 - da502dcf84c03c38',
  'frags_perf 5000': '2 5000 1260732e3ca6d61b - da502dcf84c03c38',
  'frags_perf 9000': '2 9000 5179138108c3b4a7 - da502dcf84c03c38',
  'frags_perf 20000': '2 20000 6637c526b03735d5 - da502dcf84c03c38',
  'frags_perf 73152': '2 73152 aa2b5a0aad613cf7 - da502dcf84c03c38',
  'frags_perf 73153': 'ENOMEM',
  'frags_perf 9000 data_end 100': '2 9000 5179138108c3b4a7 b54d6987c027d0be da502dcf84c03c38',
  'frags_perf 9000 data_end 10': '2 9000 5179138108c3b4a7 a7ee3e9e2a39e020 da502dcf84c03c38',
  'frags_perf 9000 meta 8': '2 9000 5179138108c3b4a7 b1af3e6d11cdafdf da502dcf84c03c38',
  'frags_perf 3000 data_end 1000': '2 3000 7c7d1dbd2af259c6 35a55eea81e91281 228b8109f45ceba3',
  'frags_perf 69633 data_end 0': 'ENOMEM',
};

describe('multi-buffer XDP test runs match the recorded kernel answers', () => {
  it.each(PROGS)('%s', (prog) => {
    const diffs: string[] = [];
    for (const input of INPUTS) {
      const key = `${prog} ${input.name}`;
      for (const compiled of [false, true]) {
        const got = digest(chainlab(prog, input, compiled));
        if (got !== KERNEL[key]) diffs.push(`${key}${compiled ? ' (compiled)' : ''}: ${got} vs kernel ${KERNEL[key]}`);
      }
    }
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  it('refuses data_in past 17 fragments with ENOMEM, naming the limit', () => {
    const rt = new Runtime({ nCpus: 1, host: new StandaloneHost(1) });
    const obj = rt.load(loadObjectFile(OBJ));
    expect(() => testRun(rt, obj.program('frags_probe'), { dataIn: packet(73153) })).toThrow(/3520 linear bytes plus at most 17 page fragments .*73152 bytes/);
  });
});

describe.skipIf(!avail.ok)('multi-buffer XDP agrees with the kernel', () => {
  let compared = 0;
  let mismatches = 0;
  it.each(PROGS)('%s', async (prog) => {
    const kernel = await kernelProgRunBatch(OBJ, prog, INPUTS.map((i) => ({ dataIn: i.dataIn, ctxIn: i.ctxIn })), { settle: true });
    const diffs: string[] = [];
    INPUTS.forEach((input, i) => {
      const k = kernelOutcome(kernel[i], input);
      if (process.env.CHAINLAB_RECORD) console.log(`RECORD '${prog} ${input.name}': '${digest(k)}',`);
      for (const compiled of [false, true]) {
        const ours = chainlab(prog, input, compiled);
        compared++;
        for (const f of ['errno', 'retval', 'data_out', 'ctx_out', 'maps'] as const) {
          const a = (ours as Record<string, unknown>)[f];
          const b = (k as Record<string, unknown>)[f];
          if (a !== b) diffs.push(`${prog} ${input.name}${compiled ? ' (compiled)' : ''}: ${f}\n  ours   ${String(a).slice(0, 300)}\n  kernel ${String(b).slice(0, 300)}`);
        }
      }
    });
    mismatches += diffs.length;
    console.log(`xdp-frags ${prog}: ${INPUTS.length} inputs × 2 tiers compared with the kernel, ${diffs.length} disagreements (total so far ${compared} runs, ${mismatches} disagreements)`);
    expect(diffs, diffs.slice(0, 6).join('\n')).toEqual([]);
  });
});
