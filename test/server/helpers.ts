/** Shared pieces of the server and viewer tests: the bundled test scenario and sessions over it. */
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../src/scenario/parse.ts';
import type { Scenario } from '../../src/scenario/model.ts';
import { Session, type SessionOptions } from '../../src/server/session.ts';

/** gen —wire— router (XDP proto counter: UDP dropped, TCP passes) —veth— app. */
export const VIEWER_SCENARIO = fileURLToPath(new URL('./fixtures/viewer.yaml', import.meta.url));
export const VIEWER_METRICS = fileURLToPath(new URL('./fixtures/viewer-metrics.yaml', import.meta.url));

export function viewerScenario(): Scenario {
  return loadScenarioFile(VIEWER_SCENARIO);
}

/** A session over the test scenario; `patch` changes the scenario first (e.g. a longer duration). */
export function viewerSession(opts: SessionOptions = {}, patch: Partial<Scenario> = {}): Session {
  return new Session({ ...viewerScenario(), ...patch }, opts);
}

/** Wait until `check` returns a value (not undefined/false), polling every 20 ms. */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
