/**
 * chainlab's eBPF verifier: the Linux verifier's checks (kernel/bpf/verifier.c, 6.18, for a
 * privileged loader) with its verdicts, messages and log style.
 *
 *   const r = verify({ insns, progType: 'BPF_PROG_TYPE_XDP', maps, mapRefs, lineInfo });
 *   if (!r.accepted) console.log(r.log); // r.error: { pc, message, rule }
 */
export { verify, progTypeName, type VerifierProgram, type VerifierMapDef, type VerifierMapRef, type VerifyResult, type VerifyError } from './verify.ts';
export { type Rule, type VerifyOptions } from './env.ts';
export { checkStructure, StructureError, type StructureOptions } from './structure.ts';
export { kernelInsnText } from './print.ts';
export { describeFuncs, type FuncArg, type FuncDesc } from './btf-funcs.ts';
export { programFromObject } from './from-object.ts';
