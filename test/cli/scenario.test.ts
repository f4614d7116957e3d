import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { cli, ROOT } from './run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'chainlab-sc-'));
const mini = join(ROOT, 'test', 'cli', 'data', 'mini.yaml');

const has = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const tcpdump = has('tcpdump');
if (!tcpdump) console.warn('SKIPPED: tcpdump is not installed; pcap outputs are not read back');
const tshark = has('tshark');
if (!tshark) console.warn('SKIPPED: tshark is not installed; pcap and pcapng outputs are not read back by tshark (apt-get install -y tshark)');
const script = has('script');
if (!script) console.warn('SKIPPED: script(1) is not installed; the progress bar on a terminal is not checked');

describe('chainlab run', () => {
  it('prints a summary with verdicts, drops, latency and CPU use', () => {
    const r = cli(['run', mini, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fw\/eth0 xdp\s+XDP_DROP 500 {2}XDP_PASS 50/);
    expect(r.stdout).toMatch(/fw\/eth0\s+500 {2}XDP_DROP/);
    expect(r.stdout).toMatch(/latency \(50 packets\)/);
    expect(r.stdout).toMatch(/cpu1 /);
  });

  it('gives byte-identical JSONL traces for the same seed, and different ones for another seed', () => {
    const a = join(tmp, 'a.jsonl');
    const b = join(tmp, 'b.jsonl');
    const c = join(tmp, 'c.jsonl');
    expect(cli(['run', mini, '--trace', a, '--json']).code).toBe(0);
    expect(cli(['run', mini, '--trace', b, '--json']).code).toBe(0);
    expect(cli(['run', mini, '--trace', c, '--json', '--seed', '99']).code).toBe(0);
    const ta = readFileSync(a);
    expect(ta.length).toBeGreaterThan(10_000);
    expect(readFileSync(b).equals(ta)).toBe(true);
    expect(readFileSync(c).equals(ta)).toBe(false);
  });

  it.skipIf(!tcpdump)('writes pcaps that tcpdump reads, tcpdump-style (XDP-dropped frames are not seen)', () => {
    const p = join(tmp, 'fw.pcap');
    const px = join(tmp, 'fwxdp.pcap');
    expect(cli(['run', mini, '--json', '--pcap', `fw/eth0=${p}`, '--pcap', `fw/eth0@xdp=${px}`]).code).toBe(0);
    const lines = execFileSync('tcpdump', ['-nr', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines[0]).toMatch(/IP 10\.0\.0\.1\.\d+ > 10\.0\.0\.2\.80: Flags \[S\]/);
    const all = execFileSync('tcpdump', ['-nr', px], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    expect(all).toHaveLength(550);
  });

  it.skipIf(!tshark)('writes a pcap and a pcapng of several capture points that tshark reads', () => {
    const p = join(tmp, 'fw-tshark.pcap');
    const ng = join(tmp, 'fw.pcapng');
    const r = cli(['run', mini, '--json', '--pcap', `fw/eth0=${p}`, '--pcap', `fw/eth0=${ng}`, '--pcap', `fw/eth0@xdp=${ng}`, '--pcap', `gen/eth0=${ng}`]);
    expect(r.code, r.stderr).toBe(0);
    const fields = (file: string, ...f: string[]): string[] =>
      execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=,', ...f.flatMap((x) => ['-e', x])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    const classic = fields(p, 'ip.proto', 'tcp.dstport');
    expect(classic).toHaveLength(50); // XDP dropped the UDP frames before tcpdump's rx point
    expect(new Set(classic)).toEqual(new Set(['6,80']));
    const byIf = new Map<string, number>();
    for (const l of fields(ng, 'frame.interface_name')) byIf.set(l, (byIf.get(l) ?? 0) + 1);
    expect(Object.fromEntries(byIf)).toEqual({ 'fw/eth0': 50, 'fw/eth0@xdp': 550 });
  });

  it('refuses a bad --pcap and --until with clear messages', () => {
    expect(cli(['run', mini, '--pcap', 'nowhere']).stderr).toMatch(/--pcap nowhere: expected HOST\/DEV=FILE/);
    expect(cli(['run', mini, '--pcap', 'x/eth9=f.pcap']).stderr).toMatch(/no device x\/eth9/);
    expect(cli(['run', mini, '--pcap', `fw/eth0@xpd=${join(tmp, 'f.pcap')}`]).stderr).toMatch(/--pcap fw\/eth0@xpd=.*: no capture point 'xpd' \(points: rx, tx, wire/);
    const two = cli(['run', mini, '--pcap', `fw/eth0=${join(tmp, 'same.pcap')}`, '--pcap', `gen/eth0=${join(tmp, 'same.pcap')}`]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/a pcap file holds one capture; name the file \.pcapng/);
    expect(cli(['run', mini, '--until', 'soon']).stderr).toMatch(/--until: expected a duration like 10ms/);
    expect(cli(['run', mini, '--trace', '/nonexistent-dir/t.jsonl']).stderr).toBe('chainlab: --trace /nonexistent-dir/t.jsonl: cannot write /nonexistent-dir/t.jsonl (ENOENT)\n');
    expect(cli(['run', mini, '--pcap', 'fw/eth0=/nonexistent-dir/t.pcap']).stderr).toBe('chainlab: --pcap fw/eth0=/nonexistent-dir/t.pcap: cannot write /nonexistent-dir/t.pcap (ENOENT)\n');
    for (const cmd of ['run', 'test']) {
      const r = cli([cmd, mini, '--seed', '-1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("chainlab: --seed must be a non-negative integer, got '-1'\n");
      expect(cli([cmd, mini, '--seed', 'abc']).stderr).toMatch(/--seed must be a non-negative integer, got 'abc'/);
    }
  });
});

describe('chainlab test', () => {
  it('checks expectations, prints N passed, N failed and writes JUnit XML', () => {
    const junit = join(tmp, 'junit.xml');
    const r = cli(['test', mini, '--junit', junit]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe('5 passed, 0 failed');
    const x = readFileSync(junit, 'utf8');
    expect(x).toContain('<testsuites tests="5" failures="0" errors="0">');
  });

  it('fails with exit 1 and says what was measured when an expectation does not hold', () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, readFileSync(mini, 'utf8').replace('value: 500', 'value: 499').replace('../../fixtures/', join(ROOT, 'test', 'fixtures') + '/'));
    const r = cli(['test', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL \S*bad\.yaml {2}\(4 of 5 expectations\)$/m);
    expect(r.stdout).toMatch(/FAIL counter fw\/eth0\/xdp\/XDP_DROP == 499\n\s+got 500 {2}\(.*bad\.yaml:\d+:\d+\)/);
    expect(r.stdout.trim().split('\n').pop()).toBe('4 passed, 1 failed');
  });

  it('JUnit XML: a failed expectation is a <failure>, a scenario that does not load an <error> with its whole message', () => {
    const bad = join(tmp, 'bad-junit.yaml');
    writeFileSync(bad, readFileSync(mini, 'utf8').replace('value: 500', 'value: 499').replace('../../fixtures/', join(ROOT, 'test', 'fixtures') + '/'));
    const broken = join(tmp, 'broken-junit.yaml');
    writeFileSync(broken, 'name: x\nduration: 1ms\nhosts:\n  h1:\n    devices:\n      eth0: { kind: nic, rate: fast, rxQueues: two }\n');
    const junit = join(tmp, 'fail.xml');
    const r = cli(['test', bad, broken, '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERROR \S*broken-junit\.yaml\n {2}ERROR .*broken-junit\.yaml:6:\d+: .*\n {8}.*broken-junit\.yaml:6:\d+: /m);
    expect(r.stdout.trim().split('\n').pop()).toBe('4 passed, 2 failed');
    const x = readFileSync(junit, 'utf8');
    expect(x).toContain('<testsuites tests="6" failures="1" errors="1">');
    expect(x).toMatch(/<testcase name="counter fw\/eth0\/xdp\/XDP_DROP == 499" classname="[^"]*bad-junit\.yaml"><failure message="got 500">[^<]*bad-junit\.yaml:\d+:\d+<\/failure><\/testcase>/);
    // Both lines of the load error, the line break kept as a character reference.
    expect(x).toMatch(/<testcase name="load" classname="[^"]*broken-junit\.yaml"><error message="[^"]*rate: expected a bit rate like &quot;10gbit&quot;[^"]*&#10;[^"]*rxQueues[^"]*"\/><\/testcase>/);
  });
});

describe('chainlab trace', () => {
  it('shows one packet hop by hop with programs, instructions and C lines', () => {
    const t = join(tmp, 'tr.jsonl');
    cli(['run', mini, '--trace', t, '--json']);
    const r = cli(['trace', t, '--packet', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/packet 2/);
    expect(r.stdout).toMatch(/fw\/eth0\s+xdp\s+XDP_(DROP|PASS)\s+xdp_proto_count \(\d+ insns, xdp_proto_count\.c:\d+\)/);
    // The C text of the verdict's line, from the object's BTF line info carried in the trace.
    const line = /xdp_proto_count\.c:(\d+)\)/.exec(r.stdout)?.[1];
    const text = readFileSync(join(ROOT, 'test', 'fixtures', 'xdp_proto_count.c'), 'utf8').split('\n')[Number(line) - 1].trim();
    expect(r.stdout).toContain(`\n              xdp_proto_count.c:${line}: ${text}\n`);
    const f = cli(['trace', t, '--flow', 'tcp 10.0.0.1', '--limit', '1']);
    expect(f.stdout).toMatch(/local\s+deliver ipv4/);
    expect(cli(['trace', join(tmp, 'none.jsonl')]).stderr).toMatch(/no such file/);
  });

  it('filters by flow, node and hook, and names a bad line of the file', () => {
    const t = join(tmp, 'tr2.jsonl');
    cli(['run', mini, '--trace', t, '--json']);
    const f = cli(['trace', t, '--flow', 'tcp 10.0.0.1:10001 > 10.0.0.2:80', '--limit', '100']);
    expect(f.code, f.stderr).toBe(0);
    const heads = f.stdout.split('\n').filter((l) => l.startsWith('packet '));
    expect(heads.length).toBeGreaterThan(0);
    for (const h of heads) expect(h).toMatch(/ {2}tcp 10\.0\.0\.1:10001 > 10\.0\.0\.2:80$/);
    const x = cli(['trace', t, '--node', 'fw/eth0', '--hook', 'xdp', '--limit', '3']);
    const hops = x.stdout.split('\n').filter((l) => /^ +[\d.]+(ns|us|ms|s) {2}/.test(l));
    expect(hops).toHaveLength(3);
    for (const l of hops) expect(l).toMatch(/fw\/eth0\s+xdp\s+XDP_/);
    expect(x.stdout).toMatch(/… 547 more packets/);
    expect(cli(['trace', t, '--hook', 'xpd']).stderr).toMatch(/--hook xpd: not a hook \(hooks: wire, nic-rx, xdp/);
    expect(cli(['trace', t, '--flow', 'sctp']).stderr).toMatch(/no hops for flow "sctp"/);
    expect(cli(['trace', t, '--packet', '1', '--flow', 'tcp']).stderr).toMatch(/give one of them/);
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, `${readFileSync(t, 'utf8').split('\n').slice(0, 3).join('\n')}\n{"type":"hop","t":1}\n`);
    const b = cli(['trace', bad]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/bad\.jsonl:4: a hop record needs "pkt"/);
    writeFileSync(bad, '{"type":"hop"\n');
    expect(cli(['trace', bad]).stderr).toMatch(/bad\.jsonl:1: not a JSON trace record/);
    expect(cli(['trace', tmp]).stderr).toBe(`chainlab: ${tmp}: cannot read (EISDIR)\n`);
  });
});

describe('the command line itself', () => {
  it.skipIf(!script)('draws a progress bar (simulated time, packets) on a terminal, and none when piped', () => {
    const out = execFileSync('script', ['-qec', `${process.execPath} ${join(ROOT, 'bin', 'chainlab.mjs')} run ${mini}`, '/dev/null'], { encoding: 'utf8', cwd: ROOT });
    expect(out).toMatch(/simulating \[[=-]+\] \d+% \| [\d.]+(ns|us|ms) of 2ms \| \d+ packets/);
    expect(out).toMatch(/simulating \[=+\] 100% \| 2ms of 2ms \| 550 packets/);
    expect(out).toMatch(/verdicts per node and hook/);
    const piped = cli(['run', mini]);
    expect(piped.stderr).not.toMatch(/simulating/);
  });

  it('every command (every leaf of the CLI, found from the program itself) has --help with examples', () => {
    const leaves = (c: Command, path: string[]): string[][] =>
      c.commands.length === 0 ? [path] : c.commands.flatMap((s) => leaves(s, [...path, s.name()]));
    const all = leaves(buildProgram(), []);
    expect(all.length).toBeGreaterThanOrEqual(16);
    for (const args of [['--help'], ...all.map((p) => [...p, '--help'])]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/\nExamples:\n {2}\$ .*chainlab /);
    }
  });

  it('prints errors without a stack trace, and with one under --debug', () => {
    const r = cli(['run', join(tmp, 'missing.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chainlab: .*missing\.yaml/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const d = cli(['run', join(tmp, 'missing.yaml'), '--debug']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/\n\s+at /);
  });
});

describe('chainlab export --shell', () => {
  it('prints a bash script that bash -n accepts', () => {
    const r = cli(['export', mini, '--shell']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^#!\/usr\/bin\/env bash/);
    expect(r.stdout).toContain('ip netns add');
    const f = join(tmp, 'build.sh');
    writeFileSync(f, r.stdout);
    execFileSync('bash', ['-n', f]);
  });
});

describe('malformed scenarios', () => {
  it('names the file, line and key of a YAML or schema error without a stack trace', () => {
    const y = join(tmp, 'broken.yaml');
    writeFileSync(y, 'name: x\nduration: 1ms\nhosts:\n  h1:\n    devices:\n      eth0: { kind: nic, rate: fast }\n');
    const r = cli(['run', y]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:6:\d+: .*rate/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    writeFileSync(y, 'name: x\nduration: [1ms\n');
    const s = cli(['run', y]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/broken\.yaml:\d+:\d+/);
  });
});

describe('malformed inputs a scenario names', () => {
  const scenario = (body: string): string => {
    const f = join(tmp, `s${Math.abs(body.length)}-${body.charCodeAt(20)}.yaml`);
    writeFileSync(f, body);
    return f;
  };
  const base = (extra: string): string => `name: m\nduration: 1ms\nhosts:\n  h:\n    devices:\n      eth0: { kind: nic, addresses: [10.0.0.2/24] }\n${extra}`;

  it('a truncated pcap: the file and the byte offset', () => {
    const good = readFileSync(join(ROOT, 'scenarios', 'pcaps', 'mixed.pcap'));
    writeFileSync(join(tmp, 'cut.pcap'), good.subarray(0, 90)); // inside the first record
    const f = scenario(base(`traffic:\n  - { name: t, kind: pcap, from: h/eth0, pcap: cut.pcap }\n`));
    const r = cli(['run', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cut\.pcap: byte \d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a file that is no capture at all', () => {
    writeFileSync(join(tmp, 'text.pcap'), 'hello, not a pcap\n');
    const f = scenario(base(`traffic:\n  - { name: t, kind: pcap, from: h/eth0, pcap: text.pcap }\n`));
    const r = cli(['run', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/text\.pcap/);
  });

  it('a truncated BPF object: the file and the loader step', () => {
    const o = readFileSync(join(ROOT, 'test', 'fixtures', 'xdp_proto_count.o'));
    writeFileSync(join(tmp, 'cut.o'), o.subarray(0, 300));
    const f = scenario(base(`programs:\n  - { object: cut.o, attach: h/eth0/xdp }\n`));
    const r = cli(['run', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cut\.o/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bundled scenarios', () => {
  it('every scenario in scenarios/ passes its expectations (chainlab test scenarios/)', () => {
    const r = cli(['test', join(ROOT, 'scenarios')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^(PASS|FAIL|ERROR) /.test(l)).map((l) => l.split(' ')[0])).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS']);
    const last = r.stdout.trim().split('\n').pop() ?? '';
    expect(last).toMatch(/^\d+ passed, 0 failed$/);
    expect(Number(last.split(' ')[0])).toBeGreaterThanOrEqual(50);
  });
});
