/** Scenarios that name a C source: chainlab compiles it with clang, loads it, and says so when clang fails. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildError, buildScenarioAsync } from '../../src/scenario/build.ts';
import { parse, y } from './helpers.ts';

const clang = ((): boolean => {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!clang) console.warn('SKIPPED: clang is not installed; scenarios with C sources are not built');

const tmp = mkdtempSync(join(tmpdir(), 'chainlab-src-'));
const scenario = (source: string): string =>
  y(
    'name: src',
    'duration: 1ms',
    'hosts:',
    '  h:',
    '    devices:',
    '      eth0: { kind: nic, addresses: [10.0.0.2/24] }',
    'programs:',
    `  - { source: ${source}, program: xdp_pass, attach: h/eth0/xdp }`,
    'traffic:',
    '  - { name: t, kind: constant, from: h/eth0, rate: 100kpps, count: 10, flows: { n: 1, template: { proto: udp, src: 10.0.0.1, dst: 10.0.0.2, dport: 9 } } }',
  );
/** Compiler scratch directories holding this test's object (other runs may compile other sources meanwhile). */
const ccDirs = (): string[] => readdirSync(tmpdir()).filter((d) => d.startsWith('chainlab-cc-') && existsSync(join(tmpdir(), d, 'xdp_redirect.o')));

describe.skipIf(!clang)('a program given as C source', () => {
  it('is compiled with clang, attached and run; the compiler\'s scratch directory is removed', async () => {
    const b = await buildScenarioAsync(parse(scenario('../../scenarios/progs/xdp_redirect.c')));
    expect(ccDirs()).toEqual([]);
    b.sim.run({ until: b.scenario.durationNs });
    expect(b.net.counters.get('h/eth0/xdp/XDP_PASS')).toBe(10);
  });

  it('that does not compile: the scenario file, the source and clang\'s own message with its line', async () => {
    const src = join(tmp, 'broken.c');
    writeFileSync(src, '#include <linux/bpf.h>\nint xdp_pass(struct xdp_md *ctx) { return XDP_PASS }\n');
    const sc = parse(scenario(src));
    const err = await buildScenarioAsync(sc).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BuildError);
    expect((err as Error).message).toContain('test/scenario/inline.yaml');
    expect((err as Error).message).toContain(`${src}: clang failed:`);
    expect((err as Error).message).toMatch(/broken\.c:2:\d+: error: expected ';'/);
  });
});
