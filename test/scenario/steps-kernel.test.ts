/**
 * Topology steps are checked as the kernel checks them: each case's commands run in real
 * network namespaces (as root) and through chainlab's parser, and the first command refused must
 * be the same one (or none) in both. Skips, loudly, without root, ip, tc, bpftool or nsenter.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../src/scenario/parse.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skipWhy = ((): string | undefined => {
  if (process.getuid?.() !== 0) return 'not root';
  for (const c of ['ip', 'tc', 'bpftool', 'nsenter']) if (!have(c)) return `${c} not found`;
  const probe = `clsk${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  return r.status === 0 ? undefined : `cannot create network namespaces (${r.stderr.trim()})`;
})();
if (skipWhy) console.warn(`[test/scenario/steps-kernel] SKIPPING the comparison of step checks with the kernel: ${skipWhy}`);

const XDP = `${FIX}/xdp_proto_count.o`;
const TC = `${FIX}/tc_nat.o`;
/** Every case starts in namespace n with a veth pair v0/v1. */
const BASE = ['ip netns add n', 'ip -n n link add v0 type veth peer name v1'];

const CASES: [string, string[]][] = [
  ['XDP attached twice', [`ip -n n link set dev v0 xdp obj ${XDP} sec xdp`, `ip -n n link set dev v0 xdp obj ${XDP} sec xdp`]],
  ['XDP replaced with -force', [`ip -n n link set dev v0 xdp obj ${XDP} sec xdp`, `ip -force -n n link set dev v0 xdp obj ${XDP} sec xdp`]],
  ['generic XDP while native runs, even with -force', [`ip -n n link set dev v0 xdp obj ${XDP} sec xdp`, `ip -force -n n link set dev v0 xdpgeneric obj ${XDP} sec xdp`]],
  ['xdp off with nothing attached, then generic', ['ip -n n link set dev v0 xdp off', `ip -n n link set dev v0 xdpgeneric obj ${XDP} sec xdp`, 'ip -n n link set dev v0 xdpgeneric off']],
  ['bpftool net attach twice, then overwrite', ['bpftool prog load XDP PIN/p type xdp', 'NS n bpftool net attach xdp pinned PIN/p dev v0', 'NS n bpftool net attach xdp pinned PIN/p dev v0 overwrite', 'NS n bpftool net attach xdp pinned PIN/p dev v0']],
  ['route via a gateway on a down device', ['ip -n n addr add 10.0.0.1/24 dev v0', 'ip -n n route add 10.1.0.0/16 via 10.0.0.2']],
  ['route via a gateway once the device is up; again', ['ip -n n addr add 10.0.0.1/24 dev v0', 'ip -n n link set v0 up', 'ip -n n route add 10.1.0.0/16 via 10.0.0.2', 'ip -n n route replace 10.1.0.0/16 via 10.0.0.3', 'ip -n n route add 10.1.0.0/16 via 10.0.0.2']],
  ['route via a gateway off every subnet', ['ip -n n addr add 10.0.0.1/24 dev v0', 'ip -n n link set v0 up', 'ip -n n route add 10.1.0.0/16 via 10.9.9.9']],
  ['address added twice, deleted twice', ['ip -n n addr add 10.0.0.1/24 dev v0', 'ip -n n addr del 10.0.0.1/24 dev v0', 'ip -n n addr add 10.0.0.1/24 dev v0', 'ip -n n addr add 10.0.0.1/24 dev v0']],
  ['deleting what is not there', ['ip -n n addr add 10.0.0.1/24 dev v0', 'ip -n n addr del 10.0.0.1/24 dev v0', 'ip -n n addr del 10.0.0.1/24 dev v0']],
  ['route deleted that does not exist', ['ip -n n route del 10.77.0.0/16']],
  ['neighbour added twice, replaced', ['ip -n n neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev v0', 'ip -n n neigh replace 10.0.0.9 lladdr 02:00:00:00:00:08 dev v0', 'ip -n n neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev v0']],
  ['a device name taken', ['ip -n n link add v0 type veth peer name v2']],
  ['clsact twice', ['tc -n n qdisc add dev v0 clsact', 'tc -n n qdisc add dev v0 clsact']],
  ['a filter without clsact, then with it', [`tc -n n filter add dev v0 ingress bpf da obj ${TC} sec tc`, 'tc -n n qdisc add dev v0 clsact', `tc -n n filter add dev v0 ingress bpf da obj ${TC} sec tc`]],
  // tc_modify_qdisc(): "add" grafts a qdisc of another kind named without a handle, changes nothing
  // of the same kind, and needs "replace" for a new handle; "replace" of the same handle keeps the kind.
  ['root qdisc: replace, add of another kind, add of the same kind', ['tc -n n qdisc add dev v1 root tbf rate 1mbit burst 10k latency 10ms', 'tc -n n qdisc replace dev v1 root tbf rate 2mbit burst 10k latency 10ms', 'tc -n n qdisc add dev v1 root pfifo limit 10', 'tc -n n qdisc add dev v1 root pfifo limit 20']],
  ['root qdisc: add with a new handle', ['tc -n n qdisc add dev v1 root tbf rate 1mbit burst 10k latency 10ms', 'tc -n n qdisc add dev v1 root handle 1: pfifo limit 10']],
  ['root qdisc: replace with a new handle, then the same handle and another kind', ['tc -n n qdisc add dev v1 root handle 1: tbf rate 1mbit burst 10k latency 10ms', 'tc -n n qdisc replace dev v1 root handle 2: pfifo limit 5', 'tc -n n qdisc replace dev v1 root pfifo limit 7', 'tc -n n qdisc replace dev v1 root handle 2: bfifo limit 5000']],
  ['replace without a handle keeps the handle children name', ['tc -n n qdisc add dev v1 root handle 1: tbf rate 1mbit burst 10k latency 10ms', 'tc -n n qdisc replace dev v1 root tbf rate 2mbit burst 10k latency 10ms', 'tc -n n qdisc add dev v1 parent 1: handle 10: pfifo limit 5']],
  ['children of a tbf: another kind, the same kind, a new handle', ['tc -n n qdisc add dev v1 root handle 1: tbf rate 1mbit burst 10k latency 10ms', 'tc -n n qdisc add dev v1 parent 1: handle 10: pfifo limit 5', 'tc -n n qdisc add dev v1 parent 1: bfifo limit 5000', 'tc -n n qdisc add dev v1 parent 1: handle 20: pfifo limit 5']],
  ['children of a tbf: the same kind again', ['tc -n n qdisc add dev v1 root handle 1: tbf rate 1mbit burst 10k latency 10ms', 'tc -n n qdisc add dev v1 parent 1: bfifo limit 5000', 'tc -n n qdisc add dev v1 parent 1: bfifo limit 6000']],
  ['a child under a parent that does not exist', ['tc -n n qdisc add dev v1 root handle 1: tbf rate 1mbit burst 10k latency 10ms', 'tc -n n qdisc add dev v1 parent 1: handle 10: pfifo limit 5', 'tc -n n qdisc add dev v1 parent 7: handle 20: pfifo limit 5']],
  ['two filters at one priority, then clsact deleted and a filter again', ['tc -n n qdisc add dev v0 clsact', `tc -n n filter add dev v0 ingress prio 1 bpf da obj ${TC} sec tc`, `tc -n n filter add dev v0 ingress prio 1 bpf da obj ${TC} sec tc`, 'tc -n n qdisc del dev v0 clsact', `tc -n n filter add dev v0 egress bpf da obj ${TC} sec tc`]],
  ['deleting a root qdisc that is not there', ['tc -n n qdisc del dev v1 root']],
  // dev_xdp_mode(): plain "xdp" on a driver without XDP (lo) is generic XDP; xdpdrv is refused.
  ['XDP on lo: generic, plain xdp (generic again), then xdpdrv', [`ip -n n link set dev lo xdpgeneric obj ${XDP} sec xdp`, 'ip -n n link set dev lo xdpgeneric off', `ip -n n link set dev lo xdp obj ${XDP} sec xdp`, 'ip -n n link set dev lo xdp off', `ip -n n link set dev lo xdpdrv obj ${XDP} sec xdp`]],
  ['plain xdp on lo runs generic XDP, so xdpgeneric then needs -force', [`ip -n n link set dev lo xdp obj ${XDP} sec xdp`, `ip -n n link set dev lo xdpgeneric obj ${XDP} sec xdp`]],
  ['an address in a namespace, a route through it from another', ['ip netns add m', 'ip -n n link set v1 netns m', 'ip -n m addr add 10.0.0.2/24 dev v1', 'ip -n m link set v1 up', 'ip -n n route add 10.5.0.0/16 via 10.0.0.2']],
  ['a bridge, a port, a veth as master', ['ip -n n link add br0 type bridge', 'ip -n n link set dev v0 master br0', 'ip -n n link set dev v1 master v0']],
  ['routes with metrics: two metrics, the same one twice', ['ip -n n addr add 10.0.0.1/24 dev v0', 'ip -n n link set v0 up', 'ip -n n route add 10.2.0.0/16 via 10.0.0.2 metric 10', 'ip -n n route add 10.2.0.0/16 via 10.0.0.3 metric 20', 'ip -n n route add 10.2.0.0/16 via 10.0.0.4 metric 20']],
  ['IPv6: an address, a route through a neighbour on it, the same route again', ['ip -n n addr add fd00::1/64 dev v0 nodad', 'ip -n n link set v0 up', 'ip -n n -6 route add fd01::/64 via fd00::2', 'ip -n n -6 route add fd01::/64 via fd00::2']],
  ['an MTU too large for a veth, then a good one', ['ip -n n link set dev v0 mtu 70000', 'ip -n n link set dev v0 mtu 9000']],
  ['htb classes: under the qdisc, under a missing class, the same class twice', ['tc -n n qdisc add dev v1 root handle 1: htb default 10', 'tc -n n class add dev v1 parent 1: classid 1:1 htb rate 10mbit', 'tc -n n class add dev v1 parent 1:1 classid 1:10 htb rate 5mbit', 'tc -n n class add dev v1 parent 1:7 classid 1:20 htb rate 5mbit']],
  ['htb class added twice', ['tc -n n qdisc add dev v1 root handle 1: htb default 10', 'tc -n n class add dev v1 parent 1: classid 1:1 htb rate 10mbit', 'tc -n n class add dev v1 parent 1: classid 1:1 htb rate 10mbit']],
  ['deleting one end of a veth takes the other', ['ip -n n link del v1', 'ip -n n link del v0']],
  ['moving a device to a namespace that does not exist', ['ip -n n link set dev v0 netns nowhere']],
  ['deleting a device, then using it', ['ip -n n link del v1', 'ip -n n link set dev v0 up']],
];

describe.skipIf(skipWhy !== undefined)('step checks agree with the kernel', () => {
  const prefix = `clsk${process.pid}-`;
  const pin = `/sys/fs/bpf/clsk${process.pid}`;
  const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
  afterAll(() => {
    for (const n of namespaces()) spawnSync('ip', ['netns', 'del', n]);
    rmSync(pin, { recursive: true, force: true });
  });

  /** Index of the first command the kernel refuses, or -1; the namespaces are removed after. */
  function kernel(lines: string[], k: number): number {
    const pins = `${pin}/${k}`;
    try {
      for (const [i, line] of lines.entries()) {
        let words = line.split(' ').map((w) => w.replace(/^PIN\//, `${pins}/`).replace(/^XDP$/, XDP));
        if (words[0] === 'NS') words = ['nsenter', `--net=/run/netns/${prefix}${words[1]}`, ...words.slice(2)];
        else if (words[0] === 'ip' && words[1] === 'netns') words = [...words.slice(0, 3), `${prefix}${words[3]}`];
        else words = words.map((w, j) => (words[j - 1] === '-n' || words[j - 1] === 'netns' ? `${prefix}${w}` : w));
        if (words.includes('bpftool') && words.includes('load')) execFileSync('mkdir', ['-p', pins]);
        const r = spawnSync(words[0], words.slice(1), { encoding: 'utf8' });
        if (r.status !== 0) return i;
      }
      return -1;
    } finally {
      for (const n of namespaces()) spawnSync('ip', ['netns', 'del', n]);
      rmSync(pins, { recursive: true, force: true });
    }
  }

  /** Index of the first step chainlab refuses, or -1 (with the message). */
  function chainlab(lines: string[]): { at: number; message: string } {
    const steps = lines.map((l) => l.replace(/^NS (\S+) /, 'ip netns exec $1 ').replace(/PIN\//g, '/sys/fs/bpf/t/').replace(/ XDP /, ` ${XDP} `));
    try {
      parseScenario(`name: k\nduration: 1ms\nsteps: |\n${steps.map((l) => `  ${l}`).join('\n')}\n`, 'k.yaml');
      return { at: -1, message: '' };
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      const first = e.issues.find((i) => /^steps\[\d+\]/.test(i.path ?? ''));
      return { at: first ? Number(/^steps\[(\d+)\]/.exec(first.path!)![1]) : -2, message: e.message };
    }
  }

  it.each(CASES.map(([name, lines], k) => [name, lines, k] as const))('%s', (_name, lines, k) => {
    const all = [...BASE, ...lines];
    const c = chainlab(all);
    expect(c.at, `chainlab: ${c.message || 'accepted every step'}`).toBe(kernel(all, k));
  });
});
