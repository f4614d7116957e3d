/**
 * A scenario step written as a command — `ip ...`, `tc ...`, `bpftool ...`, `sysctl ...`, each
 * optionally under `ip netns exec NS` — parsed into ops. Commands are never run by a shell.
 */
import { Args, CommandSyntaxError, fail } from './args.ts';
import { BPFTOOL_FORMS, parseBpftoolCommand } from './bpftool.ts';
import { IP_FORMS, parseIpCommand } from './ip.ts';
import type { Op } from './ops.ts';
import { TC_FORMS, parseTcCommand } from './tc.ts';
import { tokenize, type Token } from './tokenize.ts';

export type { Op } from './ops.ts';

export const SYSCTL_FORMS = ['sysctl -w net.ipv4.ip_forward=0|1', 'sysctl -w net.ipv6.conf.all.forwarding=0|1'];

/** Every command form chainlab understands, for messages and docs. */
export const SUPPORTED_COMMANDS: readonly string[] = [...IP_FORMS, ...TC_FORMS, ...BPFTOOL_FORMS, ...SYSCTL_FORMS];

export type ParsedCommand = { ok: true; ops: Op[] } | { ok: false; error: string; offset: number };

export function parseCommand(text: string): ParsedCommand {
  const tk = tokenize(text);
  if (!tk.ok) return { ok: false, error: tk.error, offset: tk.offset };
  if (tk.tokens.length === 0) return { ok: false, error: 'empty command', offset: 0 };
  try {
    return { ok: true, ops: dispatch(tk.tokens, text.length, undefined) };
  } catch (e) {
    if (e instanceof CommandSyntaxError) return { ok: false, error: e.message, offset: e.offset };
    throw e;
  }
}

function dispatch(tokens: Token[], end: number, ns: string | undefined): Op[] {
  let toks = tokens;
  if (toks[0].text === 'sudo') toks = toks.slice(1);
  if (toks.length === 0) fail(tokens[0], 'expected a command after "sudo"');
  const head = toks[0];
  const a = new Args(toks.slice(1), end);
  const exec = (rest: Token[], inNs: string): Op[] => dispatch(rest, end, inNs);
  switch (head.text.replace(/^.*\//, '')) {
    case 'ip':
      return parseIpCommand(a, exec, ns);
    case 'tc':
      return parseTcCommand(a, ns);
    case 'bpftool':
      return parseBpftoolCommand(a, ns);
    case 'sysctl':
      return [parseSysctl(a, ns)];
    default:
      return fail(
        head,
        `unsupported command "${head.text}": chainlab parses ip, tc, bpftool and sysctl commands:\n  ${SUPPORTED_COMMANDS.join('\n  ')}`,
      );
  }
}

const SYSCTL_KEYS: Record<string, 'ipv4' | 'ipv6'> = {
  'net.ipv4.ip_forward': 'ipv4',
  'net.ipv4.conf.all.forwarding': 'ipv4',
  'net.ipv6.conf.all.forwarding': 'ipv6',
};

function parseSysctl(a: Args, ns: string | undefined): Op {
  while (a.peek()?.text.startsWith('-')) {
    const f = a.next('');
    if (f.text !== '-w' && f.text !== '-q') fail(f, `sysctl option "${f.text}" is not supported (-w, -q)`);
  }
  const t = a.next('KEY=VALUE');
  let [key, value] = t.text.split('=', 2);
  if (value === undefined) {
    const v = a.next(`a value for ${key}`);
    value = v.text;
  }
  key = key.replace(/\//g, '.');
  const which = SYSCTL_KEYS[key];
  if (!which) fail(t, `sysctl "${key}" is not modelled (chainlab understands: ${SYSCTL_FORMS.join(', ')})`);
  if (value !== '0' && value !== '1') fail(t, `${key} takes 0 or 1, got "${value}"`);
  if (!a.done) fail(a.peek()!, `unexpected "${a.peek()!.text}"`);
  return { op: 'sysctl', ns, key: which, value: value === '1', pos: { key: t.offset } };
}
