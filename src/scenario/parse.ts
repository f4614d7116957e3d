/**
 * Scenario files: YAML text → Scenario, in passes that each report every problem they find
 * (file:line:col, key path, what was expected) before giving up:
 *   1. YAML syntax (yaml's own errors, with positions);
 *   2. the schema (shapes, units) — schema.ts;
 *   3. topology: hosts, then `steps` in order (commands are checked as the kernel would check
 *      them when run), then links, programs, maps and tail calls — structured.ts, commands/;
 *   4. cross-references and assembly — check.ts.
 * Nothing here throws anything but a ScenarioError for bad input.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Scalar } from 'yaml';
import { finalize } from './check.ts';
import { parseCommand } from './commands/index.ts';
import { applyOp } from './commands/apply.ts';
import { Draft, sub } from './draft.ts';
import { flattenZodIssues, formatPath, Reporter, ScenarioError, type ScenarioIssue, type SourcePos, type Where } from './errors.ts';
import type { Scenario } from './model.ts';
import { scenarioSchema, type ScenarioInput, type StepInput } from './schema.ts';
import { applyHosts, applyLink, applyMap, applyProgram, applyTailCall } from './structured.ts';

export { ScenarioError, formatIssue, type ScenarioIssue } from './errors.ts';

/** CPUs per host when neither the file nor the host says. */
export const DEFAULT_CPUS = 1;

/** Reads and parses a scenario file; `path` is also how the file is named in messages. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ScenarioError([{ file: path, line: 1, col: 1, path: '', message: `cannot read the scenario: ${why}` }]);
  }
  return parseScenario(text, path);
}

/** Parses scenario text; `file` names it in messages and anchors its relative paths. */
export function parseScenario(text: string, file: string): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const yamlIssues: ScenarioIssue[] = dedupe(doc.errors.map((e) => ({
    file,
    line: e.linePos?.[0].line ?? 1,
    col: e.linePos?.[0].col ?? 1,
    path: '',
    message: yamlMessage(e.message),
  })));
  if (yamlIssues.length) throw new ScenarioError(yamlIssues);

  const report = new Reporter();
  const pos = (w: Where): SourcePos => ({ file, ...locate(doc, lc, w) });
  const fail = (): never => {
    throw new ScenarioError(
      dedupe(report.pending.map((p) => ({ file, ...locate(doc, lc, p.where), path: formatPath(p.where.path), message: p.message }))).sort(
        (a, b) => a.line - b.line || a.col - b.col,
      ),
    );
  };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    report.error({ path: [] }, `cannot read the YAML: ${(e as Error).message}`);
    fail();
  }
  if (data === null || data === undefined) {
    report.error({ path: [] }, 'the scenario is empty: expected a mapping with at least name and duration');
    fail();
  }
  checkAmbiguousBytes(doc, report);
  const parsed = scenarioSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    for (const f of flattenZodIssues(parsed.error.issues)) report.error({ path: f.path, atKey: f.atKey }, f.message);
  }
  if (report.count || !parsed.success) fail();
  const input = parsed.data as ScenarioInput;

  const d = new Draft(report, dirname(resolve(file)), input.cpus ?? DEFAULT_CPUS);
  if (input.hosts) applyHosts(d, input.hosts, (name) => ({ path: ['hosts', name] }));
  if (input.steps !== undefined) applySteps(d, input.steps, doc, text);
  (input.links ?? []).forEach((l, i) => applyLink(d, l, { path: ['links', i] }));
  (input.programs ?? []).forEach((p, i) => applyProgram(d, p, { path: ['programs', i] }));
  (input.maps ?? []).forEach((m, i) => applyMap(d, m, { path: ['maps', i] }));
  (input.tailCalls ?? []).forEach((t, i) => applyTailCall(d, t, { path: ['tailCalls', i] }));
  const scenario = finalize(d, { file, input, pos });
  if (report.count) fail();
  return scenario;
}

/** One message per place: a YAML slip can be reported twice by the parser. */
function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.col}:${i.path}:${i.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** yaml's message without its own position and excerpt (we print ours), plus a hint for `op: >=`. */
function yamlMessage(m: string): string {
  const msg = m.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
  if (/Block scalar header includes extra characters: [<>]|cannot start with block scalar indicator/.test(msg)) return `${msg} (quote comparison operators, e.g. op: ">=")`;
  return msg;
}

// --- steps ------------------------------------------------------------------------------------

interface CommandLine {
  text: string;
  /** Source offset of text[0]. */
  offset: number;
}

function applySteps(d: Draft, steps: string | StepInput[], doc: Document, text: string): void {
  if (typeof steps === 'string') {
    const node = doc.get('steps', true) as Node | undefined;
    blockCommands(steps, node, text).forEach((c, i) => runCommand(d, c, ['steps', i]));
    return;
  }
  steps.forEach((s, i) => {
    const path = ['steps', i];
    if (typeof s === 'string') {
      const node = doc.getIn(path, true) as Node | undefined;
      runCommand(d, { text: s, offset: scalarStart(node) }, path);
      return;
    }
    const w: Where = { path };
    if ('host' in s) {
      const { name, ...rest } = s.host;
      applyHosts(d, { [name]: rest }, () => sub(w, 'host'));
    } else if ('link' in s) applyLink(d, s.link, sub(w, 'link'));
    else if ('program' in s) applyProgram(d, s.program, sub(w, 'program'));
    else if ('mapUpdate' in s) applyMap(d, s.mapUpdate, sub(w, 'mapUpdate'));
    else applyTailCall(d, s.tailCall, sub(w, 'tailCall'));
  });
}

function runCommand(d: Draft, c: CommandLine, path: (string | number)[]): void {
  const r = parseCommand(c.text);
  if (!r.ok) return void d.err({ path, offset: c.offset + r.offset }, `${r.error}\n  in: ${c.text.trim()}`);
  for (const op of r.ops) {
    const before = d.report.count;
    applyOp(d, op, (field) => ({ path, offset: c.offset + (field !== undefined && op.pos[field] !== undefined ? op.pos[field]! : 0) }));
    // Name the command in the messages it caused.
    for (const p of d.report.pending.slice(before)) p.message = `${p.message}\n  in: ${c.text.trim()}`;
  }
}

/** Where a scalar's value starts in the source (after an opening quote). */
function scalarStart(node: Node | undefined): number {
  if (!node || !isScalar(node) || !node.range) return node?.range?.[0] ?? 0;
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
  return node.range[0] + (quoted ? 1 : 0);
}

/**
 * `steps: |` — one command per line; blank lines and `#` comments are skipped and a trailing
 * backslash continues a command on the next line, as in a shell script.
 */
function blockCommands(value: string, node: Node | undefined, text: string): CommandLine[] {
  // Offsets of the block's content lines in the source, matched in order.
  const start = node?.range?.[0] ?? 0;
  const end = node?.range?.[1] ?? text.length;
  const srcLines: { offset: number; content: string }[] = [];
  let o = text.indexOf('\n', start) + 1;
  const block = (node as Scalar | undefined)?.type === 'BLOCK_LITERAL' || (node as Scalar | undefined)?.type === 'BLOCK_FOLDED';
  if (!block || o <= 0) o = start;
  while (o < end && o < text.length) {
    const nl = text.indexOf('\n', o);
    const lineEnd = nl < 0 ? text.length : nl;
    const raw = text.slice(o, lineEnd);
    const indent = raw.length - raw.trimStart().length;
    srcLines.push({ offset: o + indent, content: raw.trim() });
    o = lineEnd + 1;
  }
  const out: CommandLine[] = [];
  let k = 0;
  let pending: CommandLine | undefined;
  for (const line of value.split('\n')) {
    const trimmed = line.trim();
    // Find this line's place in the source (block scalars keep lines as written, minus indentation).
    let offset = start;
    while (k < srcLines.length && srcLines[k].content !== trimmed) k++;
    if (k < srcLines.length) offset = srcLines[k++].offset;
    if (pending) {
      pending.text += ` ${trimmed.replace(/\\$/, '')}`;
      if (!trimmed.endsWith('\\')) {
        out.push(pending);
        pending = undefined;
      }
      continue;
    }
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed.endsWith('\\')) pending = { text: trimmed.slice(0, -1), offset };
    else out.push({ text: trimmed, offset });
  }
  if (pending) out.push(pending);
  return out;
}

// --- positions --------------------------------------------------------------------------------

function locate(doc: Document, lc: LineCounter, w: Where): { line: number; col: number } {
  if (w.offset !== undefined) return lc.linePos(w.offset);
  // The deepest node on the path that exists: a missing key is reported at its mapping.
  for (let n = w.path.length; n >= 0; n--) {
    const path = w.path.slice(0, n);
    if (w.atKey && n === w.path.length && n > 0) {
      const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[path.length - 1]);
        if (pair && isScalar(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]);
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(path, true);
    const range = (node as Node | null | undefined)?.range;
    if (range) return lc.linePos(range[0]);
  }
  return { line: 1, col: 1 };
}

/**
 * `key: 00000001` is the integer 1 to YAML, not four hex bytes: a map key or value written as
 * a number with leading zeros is refused, with the two ways to say it.
 */
function checkAmbiguousBytes(doc: Document, report: Reporter): void {
  visit(doc, {
    Pair(_k, pair) {
      if (!isScalar(pair.key) || (pair.key.value !== 'key' && pair.key.value !== 'value')) return;
      const v = pair.value;
      if (!isScalar(v) || typeof v.value !== 'number' || v.type !== 'PLAIN') return;
      const src = (v as Scalar & { source?: string }).source;
      if (typeof src === 'string' && /^[+-]?0[0-9]/.test(src)) {
        report.error(
          { path: keyPathOf(doc, v) ?? [], offset: v.range?.[0] },
          `${src} reads as the number ${v.value}: quote hex bytes ("${src}") or write the integer without leading zeros`,
        );
      }
    },
  });
}

/** The key path of a node, for messages. */
function keyPathOf(doc: Document, target: Node): (string | number)[] | undefined {
  const walk = (node: unknown, path: (string | number)[]): (string | number)[] | undefined => {
    if (node === target) return path;
    if (isMap(node)) {
      for (const p of node.items) {
        const k = isScalar(p.key) ? (p.key.value as string) : '?';
        const r = walk(p.value, [...path, k]);
        if (r) return r;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const r = walk(node.items[i], [...path, i]);
        if (r) return r;
      }
    }
    return undefined;
  };
  return walk(doc.contents, []);
}
