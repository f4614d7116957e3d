/**
 * `bpftool` commands → ops: loading objects and pinning them, map updates (prog-array wiring
 * included) and attaching pinned programs, in bpftool's grammar (tools/bpf/bpftool/prog.c,
 * map.c, net.c; bytes as parse_bytes() reads them).
 */
import { Args, fail, matchWord } from './args.ts';
import type { Op, Pos } from './ops.ts';
import type { Token } from './tokenize.ts';

export const BPFTOOL_FORMS = [
  'bpftool prog load OBJ PATH [type TYPE] [pinmaps DIR]',
  'bpftool prog loadall OBJ DIR [type TYPE] [pinmaps DIR]',
  'bpftool prog attach pinned PATH {stream_parser|stream_verdict|skb_verdict|msg_verdict} pinned MAP_PATH',
  'bpftool map update {pinned PATH|name NAME} key [hex] BYTES value {[hex] BYTES | pinned PROG_PATH} [any|exist|noexist]',
  'bpftool net attach {xdp|xdpgeneric|xdpdrv} pinned PATH dev NAME [overwrite]',
];

const OBJECTS = ['batch', 'btf', 'cgroup', 'feature', 'gen', 'help', 'iter', 'link', 'map', 'net', 'perf', 'prog', 'struct_ops'];
const OUTPUT_FLAGS = ['-j', '--json', '-p', '--pretty', '-d', '--debug', '-f', '--bpffs'];
const PROG_TYPES = [
  'socket', 'kprobe', 'kretprobe', 'classifier', 'action', 'tracepoint', 'raw_tracepoint', 'xdp', 'perf_event',
  'cgroup/skb', 'cgroup/sock', 'cgroup/dev', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local', 'sockops',
  'sk_skb', 'sk_msg', 'lirc_mode2', 'cgroup/bind4', 'cgroup/bind6', 'cgroup/post_bind4', 'cgroup/post_bind6',
  'cgroup/connect4', 'cgroup/connect6', 'cgroup/getpeername4', 'cgroup/getpeername6', 'cgroup/getsockname4',
  'cgroup/getsockname6', 'cgroup/sendmsg4', 'cgroup/sendmsg6', 'cgroup/recvmsg4', 'cgroup/recvmsg6',
  'cgroup/sysctl', 'cgroup/getsockopt', 'cgroup/setsockopt', 'cgroup/sock_release', 'struct_ops', 'fentry',
  'fexit', 'freplace', 'sk_lookup', 'tc', 'tcx/ingress', 'tcx/egress',
];

const unsupported = (t: Token, what: string): never => fail(t, `${what} is not supported; chainlab understands:\n  ${BPFTOOL_FORMS.join('\n  ')}`);

export function parseBpftoolCommand(a: Args, nsFromExec?: string): Op[] {
  while (!a.done && a.peek()!.text.startsWith('-')) {
    const t = a.next('an option');
    if (!OUTPUT_FLAGS.includes(t.text)) fail(t, `option "${t.text}" is not supported (output flags -j, -p, -d are accepted and ignored)`);
  }
  const objTok = a.next('prog, map or net');
  const obj = matchWord(objTok.text, OBJECTS);
  const vt = a.next('a command');
  if (obj === 'prog') {
    const v = matchWord(vt.text, ['show', 'list', 'dump', 'pin', 'load', 'loadall', 'attach', 'detach', 'tracelog', 'run', 'profile', 'help']);
    // "load" is a prefix of "loadall": bpftool compares whole words here.
    if (vt.text === 'load' || vt.text === 'loadall') return [parseProgLoad(a, vt.text === 'loadall')];
    if (v === 'attach') return [parseProgAttach(a)];
    return unsupported(vt, `"bpftool prog ${vt.text}"`);
  }
  if (obj === 'map') {
    const v = matchWord(vt.text, ['show', 'list', 'create', 'dump', 'update', 'lookup', 'getnext', 'delete', 'pin', 'event_pipe', 'peek', 'push', 'enqueue', 'pop', 'dequeue', 'freeze', 'help']);
    if (v === 'update') return [parseMapUpdate(a)];
    return unsupported(vt, `"bpftool map ${vt.text}"`);
  }
  if (obj === 'net') {
    const v = matchWord(vt.text, ['show', 'list', 'attach', 'detach', 'help']);
    if (v === 'attach') return [parseNetAttach(a, nsFromExec)];
    return unsupported(vt, `"bpftool net ${vt.text}"`);
  }
  if (obj === 'cgroup') fail(objTok, 'cgroup attachment by command is not supported; write it structured: programs: [{object: x.o, attach: {host: H, hook: cgroup-ingress}}]');
  return unsupported(objTok, `"bpftool ${objTok.text}"`);
}

function parseProgLoad(a: Args, all: boolean): Op {
  const f = a.next('an object file');
  const p = a.next(all ? 'a bpffs directory to pin the programs in' : 'a bpffs path to pin the program at');
  const pos: Pos = { file: f.offset, path: p.offset };
  let pinMaps: string | undefined;
  while (!a.done) {
    const t = a.next('an option');
    if (t.text === 'type') {
      const ty = a.next('a program type');
      if (!PROG_TYPES.includes(ty.text)) fail(ty, `unknown program type "${ty.text}"`);
      // The program's section already names its type; `type` only overrides what libbpf guesses.
    } else if (t.text === 'pinmaps') {
      const d = a.next('a bpffs directory for the maps');
      pinMaps = d.text;
      pos.pinMaps = d.offset;
    } else if (t.text === 'map' || t.text === 'dev' || t.text === 'offload_dev' || t.text === 'xdpmeta_dev') {
      fail(t, `"${t.text}" is not supported in prog load (chainlab understands type and pinmaps)`);
    } else if (t.text === 'autoattach') {
      fail(t, '"autoattach" is not supported: attach with ip link / tc / bpftool net attach');
    } else fail(t, `unexpected "${t.text}" (prog load options: type TYPE, pinmaps DIR)`);
  }
  return { op: 'prog-load', all, file: f.text, path: p.text, pinMaps, pos };
}

/** PROG or MAP := pinned PATH (ids and tags belong to a running kernel, names may repeat). */
function pinnedRef(a: Args, what: string): Token {
  const t = a.next(`"pinned PATH" for the ${what}`);
  if (t.text === 'pinned') return a.next('a bpffs path');
  if (t.text === 'id' || t.text === 'tag') fail(t, `a ${what} ${t.text} belongs to a running kernel; name the ${what} by "pinned PATH"`);
  return fail(t, `expected "pinned PATH" for the ${what}, got "${t.text}"`);
}

const SK_HOOKS: Record<string, 'sk-skb-parser' | 'sk-skb-verdict' | 'sk-msg'> = {
  stream_parser: 'sk-skb-parser',
  stream_verdict: 'sk-skb-verdict',
  skb_verdict: 'sk-skb-verdict',
  msg_verdict: 'sk-msg',
};

function parseProgAttach(a: Args): Op {
  const prog = pinnedRef(a, 'program');
  const at = a.next('an attach type (stream_parser, stream_verdict, skb_verdict, msg_verdict)');
  const hook = SK_HOOKS[at.text];
  if (!hook) fail(at, `attach type "${at.text}" is not supported (chainlab attaches stream_parser, stream_verdict, skb_verdict and msg_verdict to a sockmap)`);
  const map = pinnedRef(a, 'map');
  if (!a.done) fail(a.peek()!, `unexpected "${a.peek()!.text}"`);
  return { op: 'sk-attach', prog: prog.text, hook, map: map.text, pos: { prog: prog.offset, map: map.offset, hook: at.offset } };
}

/** bpftool's parse_bytes(): `hex` reads every word as hex, otherwise each is a C integer (dec, 0x, 0). */
function bytes(a: Args, what: string, stop: readonly string[]): Uint8Array {
  const isHex = a.accept('hex') !== undefined;
  const out: number[] = [];
  while (!a.done && !stop.includes(a.peek()!.text)) {
    const t = a.next('a byte');
    let v: number;
    if (isHex) v = /^(0x)?[0-9a-f]{1,2}$/i.test(t.text) ? parseInt(t.text.replace(/^0x/i, ''), 16) : NaN;
    else if (/^0x[0-9a-f]+$/i.test(t.text)) v = parseInt(t.text.slice(2), 16);
    else if (/^0[0-7]*$/.test(t.text)) v = parseInt(t.text, 8);
    else if (/^[1-9][0-9]*$/.test(t.text)) v = Number(t.text);
    else v = NaN;
    if (!(v >= 0 && v <= 255)) {
      fail(t, isHex ? `expected a hex byte like 0a, got "${t.text}" (bytes are separated by spaces)` : `expected a byte (0..255, or 0x..), got "${t.text}"; write "${what} hex ..." for hex bytes`);
    }
    out.push(v);
  }
  if (out.length === 0) {
    const prev = a.tokens[Math.max(0, a.tokens.indexOf(a.peek()!) - 1)];
    fail(prev ?? a.tokens[0], `expected the ${what} bytes`);
  }
  return Uint8Array.from(out);
}

const UPDATE_FLAGS = ['any', 'exist', 'noexist'];

function parseMapUpdate(a: Args): Op {
  const pos: Pos = {};
  const mt = a.next('"pinned PATH" or "name NAME"');
  let map: { pinned: string } | { name: string };
  if (mt.text === 'pinned') {
    const p = a.next('a bpffs path');
    map = { pinned: p.text };
    pos.map = p.offset;
  } else if (mt.text === 'name') {
    const n = a.next('a map name');
    map = { name: n.text };
    pos.map = n.offset;
  } else if (mt.text === 'id') {
    return fail(mt, 'a map id belongs to a running kernel; name the map by "pinned PATH" or "name NAME"');
  } else return fail(mt, `expected "pinned PATH" or "name NAME", got "${mt.text}"`);
  const k = a.next('"key"');
  if (k.text !== 'key') fail(k, `expected "key", got "${k.text}"`);
  pos.key = a.peek()?.offset ?? k.offset;
  const key = bytes(a, 'key', ['value']);
  const v = a.next('"value"');
  if (v.text !== 'value') fail(v, `expected "value", got "${v.text}"`);
  pos.value = a.peek()?.offset ?? v.offset;
  let value: { bytes: Uint8Array } | { pinnedProg: string };
  if (a.peek()?.text === 'pinned') {
    a.next('');
    value = { pinnedProg: a.next('a pinned program path').text };
  } else if (a.peek()?.text === 'id' || a.peek()?.text === 'name' || a.peek()?.text === 'tag') {
    return fail(a.peek()!, 'a program in a prog array is named by "value pinned PATH" in chainlab');
  } else {
    value = { bytes: bytes(a, 'value', UPDATE_FLAGS) };
  }
  if (!a.done) {
    const f = a.next('');
    if (!UPDATE_FLAGS.includes(f.text)) fail(f, `unexpected "${f.text}" (update flags: any, exist, noexist)`);
    if (f.text !== 'any') fail(f, `"${f.text}" is not supported: preloaded entries are written with "any"`);
    if (!a.done) fail(a.peek()!, `unexpected "${a.peek()!.text}"`);
  }
  return { op: 'map-update', map, key, value, pos };
}

const NET_HOOKS: Record<string, 'xdp' | 'xdp-generic'> = { xdp: 'xdp', xdpdrv: 'xdp', xdpgeneric: 'xdp-generic' };

function parseNetAttach(a: Args, ns: string | undefined): Op {
  const at = a.next('an attach type (xdp, xdpgeneric, xdpdrv)');
  const hook = NET_HOOKS[at.text];
  if (!hook) {
    if (at.text.startsWith('tcx')) fail(at, 'tcx attachment is not supported; use clsact: tc qdisc add dev X clsact + tc filter add dev X ingress bpf da ...');
    fail(at, `attach type "${at.text}" is not supported (xdp, xdpgeneric, xdpdrv)`);
  }
  const prog = pinnedRef(a, 'program');
  const d = a.next('"dev NAME"');
  if (d.text !== 'dev') fail(d, `expected "dev NAME", got "${d.text}"`);
  const dev = a.next('a device name');
  const replace = a.accept('overwrite') !== undefined;
  if (!a.done) fail(a.peek()!, `unexpected "${a.peek()!.text}"`);
  return { op: 'net-attach', ns, dev: dev.text, hook, prog: prog.text, replace, driverOnly: at.text === 'xdpdrv', pos: { prog: prog.offset, dev: dev.offset, hook: at.offset } };
}
