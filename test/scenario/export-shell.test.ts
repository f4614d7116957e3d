/**
 * `export --shell`: the script is valid bash for every scenario, says what it does, and — as
 * root — builds the topology on the real kernel: namespaces, veth pairs, addresses, a route,
 * XDP and tc programs, a tbf; checked with ip and tc, pinged across, and removed again.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportShell } from '../../src/scenario/export-shell.ts';
import { loadScenarioFile } from '../../src/scenario/parse.ts';
import { parse, y } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'chainlab-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let scripts = 0;
function bashSyntax(script: string): { ok: boolean; err: string } {
  const f = join(tmp, `s${scripts++}.sh`);
  writeFileSync(f, script);
  const r = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
  return { ok: r.status === 0, err: r.stderr };
}

const BUNDLED = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => `scenarios/${f}`);

describe('the script', () => {
  it.each(BUNDLED)('%s passes bash -n', (file) => {
    const script = exportShell(loadScenarioFile(file));
    expect(bashSyntax(script)).toEqual({ ok: true, err: '' });
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('set -euo pipefail');
    expect(script).toMatch(/^cleanup\(\) \{$/m);
    expect(script).toContain(`trap 'rc=$?; if [ "$rc" -ne 0 ]; then`);
  });

  it('attaches straight from the object when nothing needs the maps afterwards', () => {
    const script = exportShell(loadScenarioFile('scenarios/xdp-proto-counter.yaml'));
    expect(script).toContain('ip netns add "${NS_PREFIX}dut"');
    expect(script).toContain('ip -n "${NS_PREFIX}dut" link add name eth0 numrxqueues 2 numtxqueues 2 address 02:00:00:00:00:02 type veth peer name eth0 netns "${NS_PREFIX}wire-dut"');
    expect(script).toContain('ip -n "${NS_PREFIX}dut" link set dev eth0 xdp obj "$SCENARIO_DIR"/../test/fixtures/xdp_proto_count.o sec xdp');
    expect(script).not.toMatch(/^bpftool prog loadall/m);
    expect(script).toContain('#   udp: constant 1mpps, 16 udp flows 10.0.1.1 → 10.0.0.2:53, 60-byte frames, from the start, 2000 frames, into dut/eth0');
  });

  it('loads once and attaches by pinned path when maps are filled, under $PIN', () => {
    const script = exportShell(loadScenarioFile('scenarios/tc-nat.yaml'));
    expect(script).toContain('bpftool prog loadall "$SCENARIO_DIR"/../test/fixtures/tc_nat.o "$PIN"/nat pinmaps "$PIN"/nat/maps');
    expect(script).toContain('in_ns "${NS_PREFIX}lb" tc filter add dev eth0 ingress prio 1 bpf da pinned "$PIN"/nat/tc_dnat');
    expect(script).toContain('in_ns "${NS_PREFIX}lb" tc filter add dev eth1 ingress prio 1 bpf da pinned "$PIN"/nat/tc_snat');
    expect(script).toContain('bpftool map update pinned "$PIN"/nat/maps/dnat_table key hex 0a 00 00 64 00 50 11 00 value hex 0a 00 01 02 1f 90 00 00');
    expect(script).toContain('ip netns exec "${NS_PREFIX}lb" sysctl -qw net.ipv4.ip_forward=1');
    expect(script).toContain('ip -n "${NS_PREFIX}client" route add 0.0.0.0/0 via 10.0.0.254');
    // clsact before the filters that need it
    expect(script.indexOf('qdisc add dev eth0 clsact')).toBeLessThan(script.indexOf('filter add dev eth0 ingress'));
  });

  it('fills a devmap with ifindexes read in the device\'s namespace', () => {
    const script = exportShell(loadScenarioFile('scenarios/xdp-redirect-devmap.yaml'));
    expect(script).toContain('in_ns "${NS_PREFIX}router" bpftool map update pinned "$PIN"/redirect/maps/tx_port key hex $(ifindex_hex "${NS_PREFIX}router" veth0 4) value hex $(ifindex_hex "${NS_PREFIX}router" veth1 4)');
    expect(script).toContain('in_ns "${NS_PREFIX}right" ip link set dev eth0 xdp pinned "$PIN"/redirect/xdp_pass');
    expect(script).toMatch(/^ifindex_hex\(\) \{$/m);
  });

  it('says which devmap and cpumap entries hold a program fd, which only a loader can set', () => {
    const script = exportShell(
      parse(
        y(
          'name: entry-prog',
          'duration: 1ms',
          'steps: |',
          '  ip netns add router',
          '  ip -n router link add veth0 type veth peer name veth1',
          'programs:',
          '  - { object: ../fixtures/xdp_redirect.o, program: xdp_devmap_prog, attach: router/veth0/xdp }',
          'maps:',
          '  - map: tx_prog_port',
          '    entries:',
          '      - { key: 0, value: { ifindex: router/veth1, program: devmap_mark } }',
          '  - map: cpus',
          '    entries:',
          '      - { key: 1, value: { qsize: 2048, program: cpumap_mark } }',
        ),
      ),
    );
    expect(bashSyntax(script)).toEqual({ ok: true, err: '' });
    const lines = script.split('\n');
    expect(lines).toContain('# tx_prog_port: key hex 00 00 00 00 needs a loader, not bpftool: the value struct bpf_devmap_val { .ifindex = ifindex of veth1 in "${NS_PREFIX}router", .bpf_prog.fd = fd of "$PIN/xdp_redirect"/devmap_mark } holds a program fd.');
    expect(lines).toContain('# cpus: key hex 01 00 00 00 needs a loader, not bpftool: the value struct bpf_cpumap_val { .qsize = 2048, .bpf_prog.fd = fd of "$PIN/xdp_redirect"/cpumap_mark } holds a program fd.');
    expect(lines).toContain('# Set it with libbpf: bpf_map_update_elem(bpf_obj_get("$PIN/xdp_redirect/maps"/tx_prog_port), &key, &val, BPF_ANY), the fd from bpf_obj_get() of the pinned program.');
    // No bpftool command writes those entries (it would store a wrong value).
    expect(script).not.toMatch(/bpftool map update .*tx_prog_port/);
    expect(script).not.toMatch(/bpftool map update .*\/cpus /);
    // The object is loaded and pinned, so a loader finds the program and the map.
    expect(script).toContain('bpftool prog loadall "$SCENARIO_DIR"/../fixtures/xdp_redirect.o "$PIN/xdp_redirect" pinmaps "$PIN/xdp_redirect/maps"');
  });

  it('writes qdisc trees as tc commands, and links as veth pairs with netem', () => {
    const script = exportShell(loadScenarioFile('scenarios/shaping.yaml'));
    expect(script).toContain('# NICs router/eth1 and sink1/eth0, wired by a link: a veth pair');
    expect(script).toContain('ip -n "${NS_PREFIX}router" link add name eth1 type veth peer name eth0 netns "${NS_PREFIX}sink1" address 02:00:00:00:01:02');
    expect(script).toContain('tc -n "${NS_PREFIX}router" qdisc add dev eth1 root tbf rate 100mbit burst 32k latency 20ms');
    expect(script).toContain('tc -n "${NS_PREFIX}router" qdisc add dev eth2 root handle 1: tbf rate 100mbit burst 32k latency 20ms');
    expect(script).toContain('tc -n "${NS_PREFIX}router" qdisc add dev eth2 parent 1: handle 10: fq_codel limit 1000 flows 1024 target 5ms interval 100ms memory_limit 33554432 ecn');
    expect(script).toContain('tc -n "${NS_PREFIX}sink1" qdisc add dev eth0 root netem delay 5us || echo');
    expect(script).toContain('ip -n "${NS_PREFIX}router" neigh add 10.0.1.2 lladdr 02:00:00:00:01:02 dev eth1 nud permanent');
  });

  it('covers sources, htb classes, sk and cgroup hooks, IPv6 and tail calls', () => {
    const s = parse(
      y(
        'name: "odd one"',
        'duration: 1ms',
        'hosts:',
        '  h1:',
        '    devices:',
        '      v0: { kind: veth, peer: v1, addresses: ["fd00::1/64"], mtu: 9000 }',
        '      v1:',
        '        kind: veth',
        '        qdisc:',
        '          kind: htb',
        '          handle: "1:"',
        '          default: 10',
        '          classes:',
        '            - { classid: "1:1", rate: 1gbit }',
        '            - { classid: "1:10", parent: "1:1", rate: 10mbit, ceil: 1gbit, prio: 1, burst: 15k, qdisc: { kind: pfifo, limit: 10 } }',
        '      v2: { kind: veth, peer: v3, qdisc: { kind: tbf, rate: 1mbit, burst: 10k, limit: 20k, child: { kind: bfifo } } }',
        '    routes:',
        '      - { dst: "fd01::/64", via: "fd00::2" }',
        'programs:',
        '  - { source: ../../scenarios/progs/xdp_redirect.c, program: xdp_pass, attach: h1/v0/xdp }',
        '  - { object: ../fixtures/tail_chain.o, program: chain_entry, attach: h1/v1/xdp-generic }',
        '  - { object: ../fixtures/sections.o, program: sec_stream_verdict, attach: { host: h1, hook: sk-skb-verdict, map: sock_map } }',
        '  - { object: ../fixtures/sections.o, program: sec_cgroup_ingress, attach: { host: h1, hook: cgroup-ingress } }',
        'tailCalls:',
        '  - { map: chain, index: 7, program: stage_one }',
      ),
    );
    const script = exportShell(s);
    expect(bashSyntax(script)).toEqual({ ok: true, err: '' });
    expect(script).toContain('PIN="${PIN:-/sys/fs/bpf/${NS_PREFIX}chainlab-odd_one}"');
    expect(script).toContain('clang -O2 -g -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$SCENARIO_DIR"/../../scenarios/progs/xdp_redirect.c -o "$BUILD/xdp_redirect.o"');
    expect(script).toContain('ip -n "${NS_PREFIX}h1" link set dev v0 xdp obj "$BUILD/xdp_redirect.o" program xdp_pass');
    expect(script).toContain('ip -n "${NS_PREFIX}h1" link set dev v0 mtu 9000');
    expect(script).toContain('ip -n "${NS_PREFIX}h1" addr add fd00::1/64 dev v0 nodad');
    expect(script).toContain('ip -n "${NS_PREFIX}h1" -6 route add fd01::/64 via fd00::2');
    expect(script).toContain('tc -n "${NS_PREFIX}h1" qdisc add dev v1 root handle 1: htb default 10 r2q 10');
    expect(script).toContain('tc -n "${NS_PREFIX}h1" class add dev v1 parent 1:1 classid 1:10 htb rate 10mbit ceil 1gbit burst 15k prio 1');
    expect(script).toContain('tc -n "${NS_PREFIX}h1" qdisc add dev v1 parent 1:10 pfifo limit 10');
    expect(script).toContain('tc -n "${NS_PREFIX}h1" qdisc add dev v2 root handle 1: tbf rate 1mbit burst 10k limit 20480');
    expect(script).toContain('tc -n "${NS_PREFIX}h1" qdisc add dev v2 parent 1: bfifo');
    expect(script).toContain('# ../fixtures/tail_chain.o: loaded once and pinned (it takes part in tail calls)');
    expect(script).toContain('bpftool map update pinned "$PIN/tail_chain/maps"/chain key hex 07 00 00 00 value pinned "$PIN/tail_chain"/stage_one');
    expect(script).toContain('in_ns "${NS_PREFIX}h1" ip link set dev v1 xdpgeneric pinned "$PIN/tail_chain"/chain_entry');
    expect(script).toContain('bpftool prog attach pinned "$PIN/sections"/sec_stream_verdict stream_verdict pinned "$PIN/sections/maps"/sock_map');
    expect(script).toContain('# sec_cgroup_ingress runs at cgroup-ingress in chainlab; by hand: attach it to the cgroup of the processes in h1');
    expect(script).toContain('echo "chainlab: odd one is up; remove it with: $0 down"');
  });
});

// --- the real kernel ----------------------------------------------------------------------------

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function kernelSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const c of ['ip', 'tc', 'bpftool', 'nsenter']) if (!have(c)) return `${c} not found`;
  const probe = `clprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  if (r.status !== 0) return `cannot create network namespaces (${r.stderr.trim()})`;
  return undefined;
}

const skipWhy = kernelSkipReason();
if (skipWhy) console.warn(`[test/scenario/export-shell] SKIPPING the real-kernel run of exported scripts: ${skipWhy}`);
else if (!have('python3')) console.warn('[test/scenario/export-shell] SKIPPING the probe frames through exported topologies: python3 not found');

const SMALL = y(
  'name: kernel-small',
  'duration: 1ms',
  'steps: |',
  '  ip netns add ns1',
  '  ip netns add ns2',
  '  ip -n ns1 link add veth0 type veth peer name veth1 netns ns2',
  '  ip -n ns1 addr add 10.0.0.1/24 dev veth0',
  '  ip -n ns2 addr add 10.0.0.2/24 dev veth1',
  '  ip -n ns2 addr add 10.0.1.1/24 dev lo',
  '  ip -n ns1 link set lo up',
  '  ip -n ns2 link set lo up',
  '  ip -n ns1 link set dev veth0 up',
  '  ip -n ns2 link set dev veth1 up',
  '  ip -n ns1 route add 10.0.1.0/24 via 10.0.0.2 dev veth0',
  '  ip -n ns2 link set dev veth1 xdp obj ../fixtures/xdp_proto_count.o sec xdp',
  '  tc -n ns2 qdisc add dev veth1 clsact',
  '  tc -n ns2 filter add dev veth1 ingress bpf da obj ../fixtures/tc_nat.o sec tc',
  '  tc -n ns1 qdisc add dev veth0 root tbf rate 100mbit burst 32k latency 50ms',
);

describe.skipIf(skipWhy !== undefined)('the script on the real kernel', () => {
  const prefix = `clx${process.pid}-`;
  const pin = `/sys/fs/bpf/clx${process.pid}`;
  const env = { ...process.env, NS_PREFIX: prefix, PIN: pin };
  const script = join(tmp, 'small.sh');
  const run = (args: string[] = [], extra: Record<string, string> = {}) => spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...env, ...extra } });
  const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
  const namespaces = (): string[] => sh('ip', 'netns', 'list').split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));

  beforeAll(() => {
    writeFileSync(script, exportShell(parse(SMALL)));
    const r = run();
    if (r.status !== 0) throw new Error(`the exported script failed (${r.status}):\n${r.stderr}`);
  });

  afterAll(() => {
    run(['down']);
    // Whatever happened above, leave no namespace or pin behind.
    for (const n of namespaces()) spawnSync('ip', ['netns', 'del', n]);
    rmSync(pin, { recursive: true, force: true });
  });

  it('creates the namespaces and the veth pair', () => {
    expect(namespaces().sort()).toEqual([`${prefix}ns1`, `${prefix}ns2`]);
    expect(sh('ip', '-n', `${prefix}ns1`, 'link', 'show', 'veth0')).toMatch(/veth0@if\d+: .*UP/);
    expect(sh('ip', '-n', `${prefix}ns1`, 'addr', 'show', 'dev', 'veth0')).toContain('inet 10.0.0.1/24');
    expect(sh('ip', '-n', `${prefix}ns1`, 'route', 'show')).toContain('10.0.1.0/24 via 10.0.0.2 dev veth0');
  });

  it('attaches the XDP program', () => {
    const link = sh('ip', '-n', `${prefix}ns2`, 'link', 'show', 'veth1');
    expect(link).toContain('prog/xdp');
    expect(link).toContain('name xdp_proto_count');
  });

  it('adds clsact with the bpf filter, and the tbf', () => {
    expect(sh('tc', '-n', `${prefix}ns2`, 'qdisc', 'show', 'dev', 'veth1')).toContain('qdisc clsact');
    const filters = sh('tc', '-n', `${prefix}ns2`, 'filter', 'show', 'dev', 'veth1', 'ingress');
    expect(filters).toContain('direct-action');
    expect(filters).toContain('name tc_dnat');
    expect(sh('tc', '-n', `${prefix}ns1`, 'qdisc', 'show', 'dev', 'veth0')).toMatch(/qdisc tbf \S+ root .*rate 100Mbit/);
  });

  it.skipIf(!have('ping'))('pings across, through the route, XDP and tc', () => {
    const r = spawnSync('ip', ['netns', 'exec', `${prefix}ns1`, 'ping', '-c', '1', '-W', '2', '10.0.1.1'], { encoding: 'utf8' });
    expect(r.stdout).toContain('1 received');
  });

  it('refuses to build over namespaces that exist', () => {
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`namespace ${prefix}ns1 exists; remove it first with:`);
    expect(namespaces()).toHaveLength(2);
  });

  it('removes what it built when a step fails', () => {
    const other = `cly${process.pid}-`;
    const r = run([], { NS_PREFIX: other, SCENARIO_DIR: '/nonexistent' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('chainlab: setup failed');
    expect(sh('ip', 'netns', 'list')).not.toContain(other);
  });

  it('"down" removes everything', () => {
    const other = `clz${process.pid}-`;
    const env2 = { NS_PREFIX: other, PIN: `${pin}-z` };
    expect(run([], env2).status).toBe(0);
    expect(sh('ip', 'netns', 'list')).toContain(`${other}ns2`);
    expect(run(['down'], env2).status).toBe(0);
    expect(sh('ip', 'netns', 'list')).not.toContain(other);
  });
});

/** Run a Python snippet (after `import socket`) in a namespace; resolves to what it printed. */
function receive(ns: string, code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', `import socket\n${code}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`receiver in ${ns} exited ${code}: ${err}`))));
  });
}
/** Give a receiver time to bind before the sender starts. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 700));

describe.skipIf(skipWhy !== undefined)('bundled scenarios on the real kernel', () => {
  const prefix = `clb${process.pid}-`;
  const pin = `/sys/fs/bpf/clb${process.pid}`;
  const runScenario = (file: string, args: string[] = []) => {
    const script = join(tmp, `${file.replace(/\W/g, '_')}.sh`);
    writeFileSync(script, exportShell(loadScenarioFile(file)));
    return spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, NS_PREFIX: prefix, PIN: pin } });
  };

  afterAll(() => {
    for (const n of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0])) {
      if (n.startsWith(prefix)) spawnSync('ip', ['netns', 'del', n]);
    }
    rmSync(pin, { recursive: true, force: true });
  });

  it('tc-nat: the NAT table is filled and the filters run the pinned programs', () => {
    const r = runScenario('scenarios/tc-nat.yaml');
    expect(r.status, r.stderr).toBe(0);
    const dump = execFileSync('bpftool', ['map', 'dump', 'pinned', `${pin}/nat/maps/dnat_table`], { encoding: 'utf8' });
    expect(dump).toContain('"proto": 17');
    expect(execFileSync('tc', ['-n', `${prefix}lb`, 'filter', 'show', 'dev', 'eth1', 'ingress'], { encoding: 'utf8' })).toContain('name tc_snat');
    expect(runScenario('scenarios/tc-nat.yaml', ['down']).status).toBe(0);
  });

  // Python sends and receives the probe frames (.ci/run installs python3).
  it.skipIf(!have('python3'))('tc-nat: a datagram the client sends to 10.0.0.100:80 reaches the backend at 10.0.1.2:8080, as in the simulation', async () => {
    expect(runScenario('scenarios/tc-nat.yaml').status).toBe(0);
    try {
      const rx = receive(`${prefix}backend`, "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.0.1.2', 8080)); s.settimeout(5); d, a = s.recvfrom(100); print(a[0], d.decode())");
      await settle();
      const tx = spawnSync('ip', ['netns', 'exec', `${prefix}client`, 'python3', '-c', "import socket\nfor _ in range(3): socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'hello', ('10.0.0.100', 80))"], { encoding: 'utf8' });
      expect(tx.status, tx.stderr).toBe(0);
      expect((await rx).trim()).toBe('10.0.0.1 hello');
    } finally {
      runScenario('scenarios/tc-nat.yaml', ['down']);
    }
  });

  it.skipIf(!have('python3'))('xdp-redirect-devmap: a frame into router/veth0 comes out at right/eth0, through the devmap', async () => {
    expect(runScenario('scenarios/xdp-redirect-devmap.yaml').status).toBe(0);
    try {
      // Listen for UDP to port 9 on right/eth0 (a raw socket: nothing there answers port 9).
      const rx = receive(`${prefix}right`, "s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)); s.bind(('eth0', 0)); s.settimeout(5)\nwhile True:\n  f = s.recv(2048)\n  if f[23] == 17 and f[36:38] == bytes([0, 9]): print(f[0:6].hex(), socket.inet_ntoa(f[26:30]), socket.inet_ntoa(f[30:34])); break");
      await settle();
      const send = [
        's=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((\'eth0\', 0))',
        "ip = bytes([0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0]) + socket.inet_aton('10.0.1.1') + socket.inet_aton('10.0.2.1')",
        'c = sum((ip[i] << 8) | ip[i + 1] for i in range(0, 20, 2)); c = (c & 0xffff) + (c >> 16); c = ~c & 0xffff',
        'ip = ip[:10] + bytes([c >> 8, c & 255]) + ip[12:]',
        "f = bytes.fromhex('020000000201') + s.getsockname()[4] + bytes([8, 0]) + ip + bytes([0x4e, 0x20, 0, 9, 0, 12, 0, 0]) + b'ping'",
        'for _ in range(3): s.send(f)',
      ].join('\n');
      const tx = spawnSync('ip', ['netns', 'exec', `${prefix}left`, 'python3', '-c', `import socket\n${send}`], { encoding: 'utf8' });
      expect(tx.status, tx.stderr).toBe(0);
      expect((await rx).trim()).toBe('020000000201 10.0.1.1 10.0.2.1');
    } finally {
      runScenario('scenarios/xdp-redirect-devmap.yaml', ['down']);
    }
  });

  it('xdp-proto-counter and pcap-replay build and come down again; shaping builds where the kernel has fq_codel and cleans up where it does not', () => {
    for (const f of ['scenarios/xdp-proto-counter.yaml', 'scenarios/pcap-replay.yaml']) {
      const r = runScenario(f);
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(execFileSync('ip', ['-n', `${prefix}dut`, 'link', 'show', 'eth0'], { encoding: 'utf8' })).toContain('name xdp_proto_count');
      expect(runScenario(f, ['down']).status).toBe(0);
    }
    const fqCodel = spawnSync('sh', ['-c', 'ip netns add clfq$$ && ip netns exec clfq$$ tc qdisc add dev lo root fq_codel; r=$?; ip netns del clfq$$; exit $r']).status === 0;
    const r = runScenario('scenarios/shaping.yaml');
    if (fqCodel) {
      expect(r.status, r.stderr).toBe(0);
      expect(execFileSync('tc', ['-n', `${prefix}router`, 'qdisc', 'show', 'dev', 'eth2'], { encoding: 'utf8' })).toMatch(/qdisc fq_codel 10: parent 1:/);
      expect(runScenario('scenarios/shaping.yaml', ['down']).status).toBe(0);
    } else {
      console.warn('[test/scenario/export-shell] this kernel has no fq_codel (CONFIG_NET_SCH_FQ_CODEL): shaping.yaml cannot be built here');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('chainlab: setup failed');
    }
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(prefix);
  });

  it('xdp-redirect-devmap: the devmap maps veth0 to veth1 by ifindex', () => {
    const r = runScenario('scenarios/xdp-redirect-devmap.yaml');
    expect(r.status, r.stderr).toBe(0);
    const ifindex = (dev: string): number => Number(execFileSync('ip', ['-n', `${prefix}router`, '-o', 'link', 'show', 'dev', dev], { encoding: 'utf8' }).split(':')[0]);
    const dump = execFileSync('bpftool', ['-j', 'map', 'dump', 'pinned', `${pin}/redirect/maps/tx_port`], { encoding: 'utf8' });
    // Without BTF for the map, bpftool prints the bytes: little-endian u32s.
    const le = (n: number): string[] => [n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24].map((b) => `0x${b.toString(16).padStart(2, '0')}`);
    expect(JSON.parse(dump)).toEqual([{ key: le(ifindex('veth0')), value: le(ifindex('veth1')) }]);
    expect(runScenario('scenarios/xdp-redirect-devmap.yaml', ['down']).status).toBe(0);
  });
});
