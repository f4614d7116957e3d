/** Verify corpus cases whose id contains the argument, with timings (a debugging aid): npx tsx test/verifier-corpus/one.ts asm/control [--log] */
import { asmCases } from './corpus.ts';
import { verify } from '../../src/ebpf/verifier/index.ts';
const filter = process.argv[2] ?? "";
const showLog = process.argv.includes('--log');
for (const c of await asmCases()) {
  if (!c.id.includes(filter)) continue;
  const t0 = performance.now();
  const r = verify(c.program, { nrCpus: 2 });
  console.log(c.id, r.accepted ? 'accept' : `reject [${r.error?.rule}] ${r.error?.message.split('\n').pop()}`, r.processed, (performance.now() - t0).toFixed(0) + 'ms');
  if (showLog) console.log(r.log);
}
