/** Shared helpers for the scenario tests. */
import { parseScenario, ScenarioError } from '../../src/scenario/parse.ts';
import type { Scenario } from '../../src/scenario/model.ts';

/** Scenario texts in tests are "written" here, so ../fixtures/x.o names test/fixtures/x.o. */
export const FILE = 'test/scenario/inline.yaml';

/** Every message of a scenario that must not parse, formatted as users see them. */
export function errorsOf(text: string, file = FILE): string[] {
  try {
    parseScenario(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) return e.issues.map((i) => `${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}${i.message}`);
    throw e;
  }
  throw new Error('expected the scenario to be refused');
}

export function parse(text: string, file = FILE): Scenario {
  try {
    return parseScenario(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new Error(`unexpected errors:\n${e.message}`, { cause: e });
    throw e;
  }
}

/** A model without source positions, for comparing scenarios written in different forms. */
export function withoutPositions(s: Scenario): unknown {
  return { ...s, expect: s.expect.map(({ at: _at, ...rest }) => rest) };
}

/** Lines of YAML, so tests can say which line an error is on. */
export const y = (...lines: string[]): string => `${lines.join('\n')}\n`;
