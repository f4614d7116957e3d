/**
 * Running an SK_MSG program on one message, as net/core/skmsg.c sk_psock_msg_verdict() does for
 * a sendmsg on a socket in a sockmap/sockhash: the program gets struct sk_msg_md, and its return
 * value with the redirect it asked for maps to a verdict (sk_psock_map_verd: SK_PASS with a
 * redirect is __SK_REDIRECT, SK_PASS alone __SK_PASS, anything else __SK_DROP). The kernel has
 * no BPF_PROG_TEST_RUN for SK_MSG, so this is the runtime's own entry point for the datapath.
 */
import { SkMsgCtx } from '../ctx/sk-msg.ts';
import type { SockFacts } from '../ctx/sock.ts';
import { resetTailCallCount } from '../helpers/index.ts';
import type { VmError } from '../vm/engine.ts';
import { type RedirectTarget, SK_PASS } from './env.ts';
import { RunEnv } from './run-env.ts';
import type { LiveProgram, Runtime } from './runtime.ts';

export interface SkMsgInput {
  /** The bytes being sent. */
  data: Uint8Array;
  /** The sending socket (family, addresses, ports; type, protocol and state of a TCP socket). */
  sock: SockFacts;
  /** What helpers read from the socket object (cookie, uid). */
  owner?: Record<string, unknown>;
  cpu?: number;
  budget?: number;
}

export interface SkMsgOutput {
  verdict: 'pass' | 'drop' | 'redirect';
  retval: number;
  /** bpf_msg_apply_bytes / bpf_msg_cork_bytes, 0 when not called. */
  applyBytes: number;
  corkBytes: number;
  redirect?: RedirectTarget;
  /** The message after the run (programs may write through data). */
  data: Uint8Array;
  insns: number;
  printk: string[];
  error?: VmError;
}

export function runSkMsg(rt: Runtime, prog: LiveProgram, input: SkMsgInput): SkMsgOutput {
  if (prog.progType !== 'BPF_PROG_TYPE_SK_MSG') throw new Error(`runSkMsg: '${prog.name}' is ${prog.progType}, not an SK_MSG program`);
  const ctx = new SkMsgCtx(rt.mem, input.data, input.sock, input.owner);
  const env = new RunEnv(rt, rt.host, prog.progType, prog.name, input.cpu ?? 0, ctx.pkt);
  env.msg = ctx;
  try {
    resetTailCallCount(env);
    const r = prog.run(env, [ctx.addr], input.budget);
    const retval = Number(BigInt.asUintN(32, r.r0 ?? 0n));
    const verdict = r.error || retval !== SK_PASS ? 'drop' : env.redirect ? 'redirect' : 'pass';
    return {
      verdict,
      retval,
      applyBytes: ctx.applyBytes,
      corkBytes: ctx.corkBytes,
      redirect: verdict === 'redirect' ? env.redirect : undefined,
      data: ctx.message().slice(),
      insns: r.insns,
      printk: env.printk,
      error: r.error,
    };
  } finally {
    ctx.release();
  }
}
