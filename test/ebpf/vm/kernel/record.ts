/**
 * Ask the running kernel (root) what each case of cases.ts returns and write kernel-vectors.json:
 *
 *     npx tsx test/ebpf/vm/kernel/record.ts
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../../../src/ebpf/isa/asm.ts';
import { bytesToHex, encode } from '../../../../src/ebpf/isa/insn.ts';
import { CASES, FOLD, PACKET } from './cases.ts';

const here = import.meta.dirname;
// r6 = ctx first: LD_ABS/LD_IND need it there.
const codes = CASES.map((c) => bytesToHex(encode(assemble(`mov %r6, %r1\n${c.asm}\n${FOLD}`))));
const r = spawnSync('python3', [join(here, 'run-raw.py'), bytesToHex(PACKET)], { input: codes.join('\n') + '\n', encoding: 'utf8' });
if (r.status !== 0) throw new Error(`run-raw.py failed: ${r.stderr}`);
const answers = r.stdout.trim().split('\n');
const cases = CASES.map((c, i) => {
  if (!/^\d+$/.test(answers[i])) throw new Error(`${c.name}: the kernel said ${answers[i]}`);
  return { name: c.name, code: codes[i], retval: Number(answers[i]) };
});
writeFileSync(join(here, 'kernel-vectors.json'), JSON.stringify({ kernel: release(), cases }, null, 1) + '\n');
console.log(`${cases.length} cases recorded from Linux ${release()}`);
