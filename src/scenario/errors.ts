/**
 * Scenario errors: every problem names the file, line and column, the key path and what was
 * expected — `scenarios/lb.yaml:14:7: traffic[0].rate: expected a rate like "1mpps" or
 * "10gbit", got "fast"`. Problems are collected (a Reporter) and thrown together as one
 * ScenarioError, so a user fixes a file in one pass.
 */
import type { z } from 'zod';
import { show } from './units.ts';

export type { SourcePos } from './model.ts';

export type KeyPath = readonly (string | number)[];

export interface ScenarioIssue {
  file: string;
  line: number;
  col: number;
  /** Key path, e.g. "traffic[0].rate" ('' for the whole file). */
  path: string;
  message: string;
}

export function formatIssue(i: ScenarioIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

export class ScenarioError extends Error {
  constructor(readonly issues: readonly ScenarioIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ScenarioError';
  }
}

/**
 * Where a problem is: a key path into the YAML document, and optionally the exact source
 * offset (a token inside a command string).
 */
export interface Where {
  path: KeyPath;
  offset?: number;
  /** Point at the key of the last path element rather than its value (unknown keys). */
  atKey?: boolean;
}

export function formatPath(path: KeyPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

export interface PendingIssue {
  where: Where;
  message: string;
}

/** Collects problems; positions are resolved against the document at the end. */
export class Reporter {
  readonly pending: PendingIssue[] = [];

  error(where: Where, message: string): void {
    this.pending.push({ where, message });
  }

  get count(): number {
    return this.pending.length;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** A zod issue in the words of this file. Paths are handled by the caller. */
export function zodIssueMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      const want = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (input === undefined) return `missing (expected ${want})`;
      if (issue.expected === 'int' && typeof input === 'number') return `expected an integer, got ${input}`;
      return `expected ${want}, got ${show(input)}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.length > 1 ? 'one of ' : ''}${issue.values.map((v) => show(v)).join(', ')}, got ${show(input)}`;
    case 'too_small': {
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `expected a non-empty string`;
      return `expected a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}, got ${show(input)}`;
    }
    case 'too_big': {
      if (issue.origin === 'array') return `expected at most ${issue.maximum} items`;
      return `expected a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, got ${show(input)}`;
    }
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_format':
      return `expected ${issue.format}, got ${show(input)}`;
    default:
      return issue.message;
  }
}

export interface FlatIssue {
  path: (string | number)[];
  message: string;
  atKey: boolean;
}

/**
 * Zod issues as messages, with unions resolved: when every alternative failed, the message
 * comes from the alternative whose type matched the value (its issues are the real problem);
 * when none matched, one message names all the shapes that were possible.
 */
export function flattenZodIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly (string | number)[] = []): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const i of issues) {
    const path = [...prefix, ...(i.path as (string | number)[])];
    if (i.code === 'invalid_union' && i.errors.length > 0) {
      const matched = i.errors.filter((b) => !typeMismatch(b));
      if (matched.length > 0) {
        out.push(...flattenZodIssues(matched[0], path));
      } else {
        const wants = [...new Set(i.errors.map((b) => expectedOf(b[0])))];
        const input = (i as { input?: unknown }).input;
        out.push({ path, message: input === undefined ? `missing (expected ${wants.join(' or ')})` : `expected ${wants.join(' or ')}, got ${show(input)}`, atKey: false });
      }
      continue;
    }
    const params = (i as { params?: { atKey?: boolean } }).params;
    out.push({ path, message: zodIssueMessage(i), atKey: params?.atKey === true });
  }
  return out;
}

/** A union branch that failed only because the value had another type. */
export function typeMismatch(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.length === 1 && branch[0].path.length === 0 && (branch[0].code === 'invalid_type' || branch[0].code === 'invalid_value');
}

function expectedOf(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_type') return TYPE_NAMES[i.expected] ?? i.expected;
  if (i.code === 'invalid_value') return i.values.map((v) => show(v)).join(' or ');
  return i.message;
}
