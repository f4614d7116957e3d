/**
 * Generates the reference interpreter's dispatch loop from the opcode table (v86's approach).
 *
 * Why generated: V8 compiles a `switch` into a jump table only when every case label is a
 * literal small integer; `case Op.ALU64_ADD_K:` (a property load) becomes a chain of ~200
 * comparisons per instruction, about 4× slower (measured). So each table entry's semantics is
 * written once here, keyed by the entry's fields (kind, op, width, is32, srcKind) — never by
 * opcode number — and emitted under its literal id.
 *
 * Register format: two Int32Arrays `lo` and `hi` (see int64.ts). Instruction format: `I`, an
 * Int32Array with 4 words per slot: [id | dst<<8 | src<<12, off, imm, imm2].
 */
import {
  BPF_ADD,
  BPF_AND,
  BPF_ARSH,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_FETCH,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_TO_BE,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
  OPS,
  type OpSpec,
} from '../isa/opcodes.ts';

const D = 'const d = (w >> 8) & 15;';
const DS = 'const d = (w >> 8) & 15, s = (w >> 12) & 15;';

/** Source operand halves for ALU/JMP: bl, bh. */
function operand(o: OpSpec): string {
  return o.srcKind === BPF_X && o.kind !== 'end' ? `${DS} const bl = lo[s], bh = hi[s];` : `${D} const bl = I[p + 2], bh = bl >> 31;`;
}

function alu64(o: OpSpec): string {
  const signed = o.offIs === 1;
  switch (o.op) {
    case BPF_ADD:
      return `{ ${operand(o)} const al = lo[d], r = (al + bl) | 0; hi[d] = (hi[d] + bh + ((r >>> 0) < (al >>> 0) ? 1 : 0)) | 0; lo[d] = r; break; }`;
    case BPF_SUB:
      return `{ ${operand(o)} const al = lo[d]; hi[d] = (hi[d] - bh - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0; lo[d] = (al - bl) | 0; break; }`;
    case BPF_MUL:
      return `{ ${operand(o)} const al = lo[d], ah = hi[d]; hi[d] = (mulhiU32(al >>> 0, bl >>> 0) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0; lo[d] = Math.imul(al, bl); break; }`;
    case BPF_DIV:
    case BPF_MOD: {
      const mod = o.op === BPF_MOD;
      const zero = mod ? '' : 'lo[d] = 0; hi[d] = 0;';
      if (signed) {
        // Fast path when both operands fit in int32; INT64_MIN / -1 only occurs on the BigInt path.
        return `{ ${operand(o)} const al = lo[d], ah = hi[d];
          if (bl === 0 && bh === 0) { ${zero} }
          else if (ah === (al >> 31) && bh === (bl >> 31)) { const q = ${mod ? 'al % bl' : 'Math.trunc(al / bl)'}; setInt(st, d, q); }
          else { const r = divmodS64(al, ah, bl, bh, ${mod}); lo[d] = r[0]; hi[d] = r[1]; }
          break; }`;
      }
      return `{ ${operand(o)} const al = lo[d], ah = hi[d];
        if (bl === 0 && bh === 0) { ${zero} }
        else if (ah === 0 && bh === 0) { lo[d] = ${mod ? '(al >>> 0) % (bl >>> 0)' : 'Math.floor((al >>> 0) / (bl >>> 0))'} | 0; }
        else { const r = divmodU64(al, ah, bl, bh, ${mod}); lo[d] = r[0]; hi[d] = r[1]; }
        break; }`;
    }
    case BPF_OR:
      return `{ ${operand(o)} lo[d] |= bl; hi[d] |= bh; break; }`;
    case BPF_AND:
      return `{ ${operand(o)} lo[d] &= bl; hi[d] &= bh; break; }`;
    case BPF_XOR:
      return `{ ${operand(o)} lo[d] ^= bl; hi[d] ^= bh; break; }`;
    case BPF_LSH:
      return `{ ${operand(o)} const n = bl & 63; if (n >= 32) { hi[d] = lo[d] << (n - 32); lo[d] = 0; } else if (n !== 0) { hi[d] = (hi[d] << n) | (lo[d] >>> (32 - n)); lo[d] = lo[d] << n; } break; }`;
    case BPF_RSH:
      return `{ ${operand(o)} const n = bl & 63; if (n >= 32) { lo[d] = hi[d] >>> (n - 32); hi[d] = 0; } else if (n !== 0) { lo[d] = (lo[d] >>> n) | (hi[d] << (32 - n)); hi[d] = hi[d] >>> n; } break; }`;
    case BPF_ARSH:
      return `{ ${operand(o)} const n = bl & 63; if (n >= 32) { lo[d] = hi[d] >> (n - 32); hi[d] = hi[d] >> 31; } else if (n !== 0) { lo[d] = (lo[d] >>> n) | (hi[d] << (32 - n)); hi[d] = hi[d] >> n; } break; }`;
  }
  throw new Error(`interp-gen: no ALU64 semantics for ${o.name}`);
}

function alu32(o: OpSpec): string {
  const signed = o.offIs === 1;
  const set = (expr: string): string => `{ ${operand(o)} lo[d] = ${expr}; hi[d] = 0; break; }`;
  const a = 'lo[d]';
  switch (o.op) {
    case BPF_ADD:
      return set(`(${a} + bl) | 0`);
    case BPF_SUB:
      return set(`(${a} - bl) | 0`);
    case BPF_MUL:
      return set(`Math.imul(${a}, bl)`);
    case BPF_DIV:
      return signed ? set(`bl === 0 ? 0 : Math.trunc(${a} / bl) | 0`) : set(`bl === 0 ? 0 : ((${a} >>> 0) / (bl >>> 0)) >>> 0 | 0`);
    case BPF_MOD:
      // Modulo by zero keeps dst's low half and zeroes the upper half (RFC 9669 §4.1).
      return signed ? set(`bl === 0 ? ${a} : (${a} % bl) | 0`) : set(`bl === 0 ? ${a} : ((${a} >>> 0) % (bl >>> 0)) | 0`);
    case BPF_OR:
      return set(`${a} | bl`);
    case BPF_AND:
      return set(`${a} & bl`);
    case BPF_XOR:
      return set(`${a} ^ bl`);
    case BPF_LSH:
      return set(`${a} << (bl & 31)`);
    case BPF_RSH:
      return set(`(${a} >>> (bl & 31)) | 0`);
    case BPF_ARSH:
      return set(`${a} >> (bl & 31)`);
  }
  throw new Error(`interp-gen: no ALU semantics for ${o.name}`);
}

function jcond(o: OpSpec): string {
  let c: string;
  const u = (x: string): string => `(${x} >>> 0)`;
  if (o.is32) {
    const m: Record<number, string> = {
      [BPF_JEQ]: 'al === bl', [BPF_JNE]: 'al !== bl', [BPF_JSET]: '(al & bl) !== 0',
      [BPF_JGT]: `${u('al')} > ${u('bl')}`, [BPF_JGE]: `${u('al')} >= ${u('bl')}`,
      [BPF_JLT]: `${u('al')} < ${u('bl')}`, [BPF_JLE]: `${u('al')} <= ${u('bl')}`,
      [BPF_JSGT]: 'al > bl', [BPF_JSGE]: 'al >= bl', [BPF_JSLT]: 'al < bl', [BPF_JSLE]: 'al <= bl',
    };
    c = m[o.op];
    return `{ ${operand(o)} const al = lo[d]; if (${c}) p += I[p + 1] << 2; break; }`;
  }
  const ucmp = (rel: string): string => `(${u('ah')} ${rel} ${u('bh')} || (ah === bh && ${u('al')} ${rel}= ${u('bl')}))`;
  const scmp = (rel: string): string => `(ah ${rel} bh || (ah === bh && ${u('al')} ${rel}= ${u('bl')}))`;
  const strict = (f: (r: string) => string, rel: string): string => f(rel).replace(`${rel}= ${u('bl')}`, `${rel} ${u('bl')}`);
  const m: Record<number, string> = {
    [BPF_JEQ]: 'al === bl && ah === bh', [BPF_JNE]: 'al !== bl || ah !== bh', [BPF_JSET]: '(al & bl) !== 0 || (ah & bh) !== 0',
    [BPF_JGT]: strict(ucmp, '>'), [BPF_JGE]: ucmp('>'), [BPF_JLT]: strict(ucmp, '<'), [BPF_JLE]: ucmp('<'),
    [BPF_JSGT]: strict(scmp, '>'), [BPF_JSGE]: scmp('>'), [BPF_JSLT]: strict(scmp, '<'), [BPF_JSLE]: scmp('<'),
  };
  c = m[o.op];
  return `{ ${operand(o)} const al = lo[d], ah = hi[d]; if (${c}) p += I[p + 1] << 2; break; }`;
}

/** Bounds-checked address computation for a memory op; defines r (region) and a (offset). */
function addr(reg: 's' | 'd', size: number, write: boolean): string {
  return `const r = R[hi[${reg}] - TB], a = (lo[${reg}] >>> 0) + I[p + 1];
    if (r === undefined || a < r.start || a + ${size} > r.end || !r.${write ? 'writable' : 'readable'}) fault(st, p, hi[${reg}], a, ${size}, ${write});`;
}

const LOAD: Record<number, string> = {
  1: 'lo[d] = r.view.getUint8(a); hi[d] = 0;',
  2: 'lo[d] = r.view.getUint16(a, true); hi[d] = 0;',
  4: 'lo[d] = r.view.getInt32(a, true); hi[d] = 0;',
  8: 'lo[d] = r.view.getInt32(a, true); hi[d] = r.view.getInt32(a + 4, true);',
};
const LOADSX: Record<number, string> = {
  1: 'const v = r.view.getInt8(a); lo[d] = v; hi[d] = v >> 31;',
  2: 'const v = r.view.getInt16(a, true); lo[d] = v; hi[d] = v >> 31;',
  4: 'const v = r.view.getInt32(a, true); lo[d] = v; hi[d] = v >> 31;',
};
const store = (size: number, vl: string, vh: string): string =>
  ({
    1: `r.view.setUint8(a, ${vl} & 0xff);`,
    2: `r.view.setUint16(a, ${vl} & 0xffff, true);`,
    4: `r.view.setInt32(a, ${vl}, true);`,
    8: `r.view.setInt32(a, ${vl}, true); r.view.setInt32(a + 4, ${vh}, true);`,
  })[size] as string;

function memOp(o: OpSpec): string {
  const w = o.width;
  switch (o.kind) {
    case 'ldx':
      return `{ ${DS} ${addr('s', w, false)}
        if (r.special === undefined || !specialLoad(st, r, a, ${w}, d)) { ${LOAD[w]} } break; }`;
    case 'ldxsx':
      return `{ ${DS} ${addr('s', w, false)} ${LOADSX[w]} break; }`;
    case 'st':
      return `{ ${D} ${addr('d', w, true)} const vl = I[p + 2], vh = vl >> 31;
        if (r.special === undefined || !specialStore(r, a, ${w}, vl, vh)) { ${store(w, 'vl', 'vh')} r.dirty = true; } break; }`;
    case 'stx':
      return `{ ${DS} ${addr('d', w, true)} const vl = lo[s], vh = hi[s];
        if (r.special === undefined || !specialStore(r, a, ${w}, vl, vh)) { ${store(w, 'vl', 'vh')} r.dirty = true; } break; }`;
    case 'atomic':
      return atomic(o);
  }
  throw new Error(`interp-gen: no memory semantics for ${o.name}`);
}

function atomic(o: OpSpec): string {
  const w = o.width;
  const pre = `${DS} ${addr('d', w, true)} if (!r.readable) fault(st, p, hi[d], a, ${w}, false); r.dirty = true;`;
  const base = o.op & ~BPF_FETCH;
  const fetch = (o.op & BPF_FETCH) !== 0;
  if (w === 4) {
    const old = 'const old = r.view.getInt32(a, true);';
    if (o.op === BPF_XCHG) return `{ ${pre} ${old} r.view.setInt32(a, lo[s], true); lo[s] = old; hi[s] = 0; break; }`;
    if (o.op === BPF_CMPXCHG) return `{ ${pre} ${old} if (old === lo[0]) r.view.setInt32(a, lo[s], true); lo[0] = old; hi[0] = 0; break; }`;
    const f: Record<number, string> = { [BPF_ADD]: '(old + lo[s]) | 0', [BPF_OR]: 'old | lo[s]', [BPF_AND]: 'old & lo[s]', [BPF_XOR]: 'old ^ lo[s]' };
    return `{ ${pre} ${old} r.view.setInt32(a, ${f[base]}, true); ${fetch ? 'lo[s] = old; hi[s] = 0;' : ''} break; }`;
  }
  const old = 'const ol = r.view.getInt32(a, true), oh = r.view.getInt32(a + 4, true);';
  const put = (l: string, h: string): string => `r.view.setInt32(a, ${l}, true); r.view.setInt32(a + 4, ${h}, true);`;
  if (o.op === BPF_XCHG) return `{ ${pre} ${old} ${put('lo[s]', 'hi[s]')} lo[s] = ol; hi[s] = oh; break; }`;
  if (o.op === BPF_CMPXCHG) return `{ ${pre} ${old} if (ol === lo[0] && oh === hi[0]) { ${put('lo[s]', 'hi[s]')} } lo[0] = ol; hi[0] = oh; break; }`;
  const f: Record<number, [string, string]> = {
    [BPF_ADD]: ['(ol + lo[s]) | 0', '(oh + hi[s] + ((((ol + lo[s]) | 0) >>> 0) < (ol >>> 0) ? 1 : 0)) | 0'],
    [BPF_OR]: ['ol | lo[s]', 'oh | hi[s]'],
    [BPF_AND]: ['ol & lo[s]', 'oh & hi[s]'],
    [BPF_XOR]: ['ol ^ lo[s]', 'oh ^ hi[s]'],
  };
  const [l, h] = f[base];
  return `{ ${pre} ${old} const nl = ${l}, nh = ${h}; ${put('nl', 'nh')} ${fetch ? 'lo[s] = ol; hi[s] = oh;' : ''} break; }`;
}

function endOp(o: OpSpec): string {
  const toLe = o.srcKind !== BPF_TO_BE && !o.name.startsWith('ALU64_');
  if (toLe) {
    // Little-endian host: "to little endian" only truncates (zero-extends) to the width.
    if (o.width === 16) return `{ ${D} lo[d] = lo[d] & 0xffff; hi[d] = 0; break; }`;
    if (o.width === 32) return `{ ${D} hi[d] = 0; break; }`;
    return `{ break; }`;
  }
  if (o.width === 16) return `{ ${D} lo[d] = bswap16(lo[d]); hi[d] = 0; break; }`;
  if (o.width === 32) return `{ ${D} lo[d] = bswap32(lo[d]); hi[d] = 0; break; }`;
  return `{ ${D} const t = bswap32(lo[d]); lo[d] = bswap32(hi[d]); hi[d] = t; break; }`;
}

export function caseBody(o: OpSpec): string {
  switch (o.kind) {
    case 'alu':
      return o.is32 ? alu32(o) : alu64(o);
    case 'neg':
      return o.is32
        ? `{ ${D} lo[d] = -lo[d] | 0; hi[d] = 0; break; }`
        : `{ ${D} const l = lo[d]; lo[d] = -l | 0; hi[d] = l === 0 ? -hi[d] | 0 : ~hi[d]; break; }`;
    case 'mov':
      if (o.srcKind === BPF_X) return o.is32 ? `{ ${DS} lo[d] = lo[s]; hi[d] = 0; break; }` : `{ ${DS} lo[d] = lo[s]; hi[d] = hi[s]; break; }`;
      return o.is32 ? `{ ${D} lo[d] = I[p + 2]; hi[d] = 0; break; }` : `{ ${D} const v = I[p + 2]; lo[d] = v; hi[d] = v >> 31; break; }`;
    case 'movsx': {
      const sh = 32 - o.width;
      const v = o.width === 32 ? 'lo[s]' : `(lo[s] << ${sh}) >> ${sh}`;
      return o.is32 ? `{ ${DS} lo[d] = ${v}; hi[d] = 0; break; }` : `{ ${DS} const v = ${v}; lo[d] = v; hi[d] = v >> 31; break; }`;
    }
    case 'end':
      return endOp(o);
    case 'ja':
      return o.is32 ? `{ p += I[p + 2] << 2; break; }` : `{ p += I[p + 1] << 2; break; }`;
    case 'jcond':
      return jcond(o);
    case 'call':
      return `{ st.n = n; const k = callHelper(st, p >> 2, I[p + 2]); if (k !== 0) { if (k === 1) { I = st.I; p = -4; n = st.n; break; } return; } n = st.n; break; }`;
    case 'callx':
      return `{ ${D} st.n = n; const k = callHelper(st, p >> 2, lo[d]); if (k !== 0) { if (k === 1) { I = st.I; p = -4; n = st.n; break; } return; } n = st.n; break; }`;
    case 'call_kfunc':
      return `{ vmError('kfunc', p >> 2, 'kfuncs are not supported (call to kernel function btf_id ' + I[p + 2] + ')'); }`;
    case 'call_local':
      return `{ pushFrame(st, p, p + ((I[p + 2] + 1) << 2)); p = st.nextP - 4; break; }`;
    case 'exit':
      return `{ if (st.depth === st.base) { st.n = n; st.exitP = p; return; } popFrame(st); I = st.I; p = st.nextP - 4; break; }`;
    case 'lddw':
      return `{ ${D} lo[d] = I[p + 2]; hi[d] = I[p + 3]; p += 4; break; }`;
    case 'ldabs':
    case 'ldind':
      return `{ ${o.kind === 'ldind' ? 'const s = (w >> 12) & 15, x = lo[s];' : 'const x = 0;'}
        st.n = n; if (!ldAbs(st, (I[p + 2] + x) | 0, ${o.width})) return; break; }`;
    default:
      return memOp(o);
  }
}

/** The JS source of `exec(st)`: runs from st.I/st.p until the outermost exit. */
export function generateExecSource(opts: { traceR0?: boolean } = {}): string {
  const cases = OPS.map((o) => `case ${o.id}: /* ${o.name} */ ${caseBody(o)}`).join('\n');
  // The traced loop also notes, in the outermost frame, the last instruction that wrote r0 (see
  // R0_WRITES): the verdict's instruction, whose C line is the \`return\` a trace shows.
  const track = opts.traceR0
    ? `const k = RW[w & 255];
      if (k !== 0 && st.depth === st.base && (k === 2 || ((k === 1 ? w >> 8 : w >> 12) & 15) === 0)) { st.r0P = p; st.r0I = I; }`
    : '';
  return `
  return function exec(st) {
    const lo = st.lo, hi = st.hi, R = st.mem.regions, budget = st.budget;
    let I = st.I, p = st.p, n = st.n;
    for (;;) {
      if (++n > budget) { st.n = n; vmError('budget', p >> 2, 'instruction budget of ' + budget + ' executed instructions exhausted'); }
      const w = I[p];
      ${track}
      switch (w & 255) {
        ${cases}
        default: vmError('bad_jump', p >> 2, 'not an instruction (jump into the middle of LD_IMM64?)');
      }
      p += 4;
    }
  };`;
}

/**
 * Which register each op writes, by op id, for the traced loop: 0 none, 1 dst, 2 r0 (helper and
 * bpf-to-bpf calls, LD_ABS/LD_IND, CMPXCHG), 3 src (atomics with BPF_FETCH, XCHG).
 */
export const R0_WRITES: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const o of OPS) {
    switch (o.kind) {
      case 'alu': case 'mov': case 'movsx': case 'neg': case 'end': case 'ldx': case 'ldxsx': case 'lddw':
        t[o.id] = 1;
        break;
      case 'call': case 'call_local': case 'call_kfunc': case 'callx': case 'ldabs': case 'ldind':
        t[o.id] = 2;
        break;
      case 'atomic':
        t[o.id] = o.name.includes('CMPXCHG') ? 2 : o.name.includes('FETCH') || o.name.includes('XCHG') ? 3 : 0;
        break;
      default:
        break;
    }
  }
  return t;
})();
