/**
 * The C line a trace gives a program's verdict: the \`return\` whose instruction set r0, when the
 * line table says so; the exit's line otherwise (merged or hoisted returns), never a guess.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/index.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');

function verdictLines(obj: string, prog: string, protocol: 'udp' | 'tcp'): string[] {
  const s = new Simulation({ seed: 1 });
  const eth0 = s.nic('fw', 'eth0', { addr: '10.0.0.1/24' });
  s.xdp(eth0, s.load(join(FIX, obj)), prog);
  const lines: string[] = [];
  s.trace().subscribe((r) => {
    if (r.type === 'hop' && r.progs) lines.push(`${r.verdict} ${r.progs.at(-1)?.line}`);
  });
  s.traffic('t', eth0, { rate: { pps: 1e6 }, count: 3, flows: { count: 1, protocol, src: '192.168.0.1', dst: '10.0.0.1', dport: 53 } });
  // Past the tier-up threshold too: traced runs stay interpreted, so the line holds for hot programs.
  s.traffic('more', eth0, { rate: { pps: 1e6 }, count: 40, startNs: 100_000, flows: { count: 1, protocol, src: '192.168.0.1', dst: '10.0.0.1', dport: 53 } });
  s.run({ until: 1_000_000 });
  return [...new Set(lines)];
}

describe('the C line of a verdict', () => {
  it('is the return statement that decided it', () => {
    // xdp_redirect.c:88 `return bpf_redirect_map(&tx_port, 0, XDP_DROP);` (an empty devmap: XDP_DROP).
    expect(verdictLines('xdp_redirect.o', 'xdp_parse_redirect', 'udp')).toEqual(['XDP_DROP xdp_redirect.c:88']);
  });

  it('is the exit\'s line when clang hoisted the r0 write to the function\'s start', () => {
    // TCP is not redirected: `return XDP_PASS;` shares the r0 = 2 clang put at pc 0 (line 76, the signature).
    expect(verdictLines('xdp_redirect.o', 'xdp_parse_redirect', 'tcp')).toEqual(['XDP_PASS xdp_redirect.c:89']);
  });

  it('is the exit\'s line when clang merged the returns (the r0 write has no line)', () => {
    expect(verdictLines('xdp_proto_count.o', 'xdp_proto_count', 'udp')).toEqual(['XDP_DROP xdp_proto_count.c:131']);
  });
});
