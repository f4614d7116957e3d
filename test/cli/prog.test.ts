import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, FIX } from './run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'chainlab-cli-'));
const udp = join(FIX, 'packets', 'udp.bin');

describe('chainlab prog run', () => {
  it('prints the return value like bpftool prog run', () => {
    const r = cli(['prog', 'run', join(FIX, 'xdp_proto_count.o'), '--data-in', udp]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Return value: 1, duration: \d+ns$/m);
    const avg = cli(['prog', 'run', join(FIX, 'xdp_proto_count.o'), '--data-in', udp, '--repeat', '2']);
    expect(avg.stdout).toMatch(/^Return value: 1, duration \(average\): \d+ns$/m);
  });

  it('--json gives retval, data_out, insns and per-CPU maps sorted by key', () => {
    const r = cli(['prog', 'run', join(FIX, 'xdp_proto_count.o'), '--data-in', udp, '--json', '--cpus', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.retval).toBe(1);
    expect(j.data_out).toBe(readFileSync(udp).toString('hex'));
    expect(j.insns).toBeGreaterThan(10);
    const keys = j.maps.proto_count.map((e: { key: string }) => e.key);
    expect(keys).toEqual([...keys].sort());
    expect(j.maps.proto_count[0].values).toHaveLength(2);
    expect(j).not.toHaveProperty('ctx_out');
  });

  it('writes data_out and ctx_out files and honours --repeat', () => {
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setUint32(8, 41, true);
    writeFileSync(join(tmp, 'ctx.bin'), ctx);
    const r = cli(['prog', 'run', join(FIX, 'bpf_calls.o'), '--prog', 'calls_check', '--data-in', udp, '--ctx-in', join(tmp, 'ctx.bin'), '--ctx-out', join(tmp, 'ctx-out.bin'), '--data-out', join(tmp, 'out.bin'), '--repeat', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ctx_out).toHaveLength(384);
    expect(readFileSync(join(tmp, 'ctx-out.bin'))).toHaveLength(192);
    expect(readFileSync(join(tmp, 'out.bin'))).toEqual(readFileSync(udp));
  });

  it('--map-init fills maps before the run', () => {
    const init = { dnat_table: [{ key: '0a000050' + '0035' + '1100', value: '0a000002' + '14e9' + '0000' }] };
    writeFileSync(join(tmp, 'init.json'), JSON.stringify(init));
    const pkt = readFileSync(udp);
    const r = cli(['prog', 'run', join(FIX, 'tc_nat.o'), '--prog', 'tc_dnat', '--data-in', udp, '--map-init', join(tmp, 'init.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.maps.dnat_table).toEqual(init.dnat_table);
    // The packet is UDP to 10.0.0.80:53, so DNAT rewrote the destination to 10.0.0.2:5353.
    const out = Buffer.from(j.data_out, 'hex');
    expect(out.subarray(30, 34).toString('hex')).toBe('0a000002');
    expect(out.readUInt16BE(36)).toBe(5353);
    expect(out.length).toBe(pkt.length);
  });

  it('refuses bad input with a clear message and exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['prog', 'run', join(tmp, 'missing.o'), '--data-in', udp], /missing\.o: cannot read BPF object: no such file/],
      [['prog', 'run', udp, '--data-in', udp], /not an ELF file/],
      [['prog', 'run', join(FIX, 'xdp_proto_count.o'), '--data-in', join(tmp, 'nope.bin')], /cannot read packet \(--data-in\): no such file/],
      [['prog', 'run', join(FIX, 'tc_nat.o'), '--data-in', udp], /has 2 programs \(tc_dnat, tc_snat\); choose one with --prog/],
      [['prog', 'run', join(FIX, 'xdp_proto_count.o'), '--prog', 'nosuch', '--data-in', udp], /no program named 'nosuch'/],
      [['prog', 'run', join(FIX, 'xdp_proto_count.o'), '--repeat', 'x', '--data-in', udp], /--repeat must be an integer/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('refuses a packet the kernel would refuse, naming the rule', () => {
    writeFileSync(join(tmp, 'short.bin'), new Uint8Array(10));
    const r = cli(['prog', 'run', join(FIX, 'xdp_proto_count.o'), '--data-in', join(tmp, 'short.bin')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs at least 14 bytes (ETH_HLEN)');
  });

  it('reports a malformed map-init file with its place', () => {
    writeFileSync(join(tmp, 'bad-init.json'), JSON.stringify({ dnat_table: [{ key: 'zz', value: '00' }] }));
    const r = cli(['prog', 'run', join(FIX, 'tc_nat.o'), '--prog', 'tc_dnat', '--data-in', udp, '--map-init', join(tmp, 'bad-init.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-init\.json: at dnat_table\.0\.key: an even number of hex digits/);
    writeFileSync(join(tmp, 'bad-size.json'), JSON.stringify({ dnat_table: [{ key: '00', value: '00' }] }));
    expect(cli(['prog', 'run', join(FIX, 'tc_nat.o'), '--prog', 'tc_dnat', '--data-in', udp, '--map-init', join(tmp, 'bad-size.json')]).stderr).toMatch(/key has 1 bytes, the map's key_size is 8/);
  });

  it('refuses a truncated or foreign ELF with the loader step named', () => {
    const o = readFileSync(join(FIX, 'xdp_proto_count.o'));
    writeFileSync(join(tmp, 'trunc.o'), o.subarray(0, 200));
    const r = cli(['prog', 'run', join(tmp, 'trunc.o'), '--data-in', udp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/trunc\.o: read ELF header: .*truncated/);
  });
});

describe('chainlab prog show / dump', () => {
  it('lists programs like bpftool prog show', () => {
    const r = cli(['prog', 'show', join(FIX, 'tail_chain.o')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/xdp {2}name chain_entry {2}tag [0-9a-f]{16} {2}gpl/);
    const j = JSON.parse(cli(['prog', 'show', join(FIX, 'tail_chain.o'), '--json']).stdout);
    expect(j.map((p: { name: string }) => p.name).sort()).toEqual(['chain_entry', 'stage_one', 'stage_two']);
    // bpftool's keys; the tags are the kernel's (test/ebpf/elf/kernel.test.ts checks them against it).
    expect(Object.keys(j[0])).toEqual(expect.arrayContaining(['id', 'type', 'name', 'tag', 'gpl_compatible', 'bytes_xlated', 'map_ids']));
    const nat = JSON.parse(cli(['prog', 'show', join(FIX, 'tc_nat.o'), '--json']).stdout);
    expect(nat[0]).toMatchObject({ type: 'sched_cls', name: 'tc_dnat', tag: 'a287b8efc48cea3c', gpl_compatible: true });
  });

  it('dumps relocated instructions with map ids and source lines', () => {
    const r = cli(['prog', 'dump', join(FIX, 'xdp_proto_count.o')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/r1 = map\[id:\d+\]/);
    expect(r.stdout).toMatch(/^; .* @ \.\/xdp_proto_count\.c:\d+$/m);
    const j = JSON.parse(cli(['prog', 'dump', join(FIX, 'xdp_proto_count.o'), '--json']).stdout);
    expect(j[0]).toMatchObject({ pc: 0, disasm: expect.stringMatching(/^\([0-9a-f]{2}\) /), src: expect.any(String) });
  });
});

describe('chainlab map', () => {
  it('dumps, updates through a state file, looks up and deletes like bpftool', () => {
    const obj = join(FIX, 'tc_nat.o');
    const state = join(tmp, 'state.json');
    expect(cli(['map', 'update', obj, 'dnat_table', 'key', 'hex', '0a000050', '0035', '1100', 'value', 'hex', '0a000002', '14e9', '0000', '--state', state]).code).toBe(0);
    // bpftool's byte words: decimal, 0x hex, 0 octal — the same key as above.
    const dup = cli(['map', 'update', obj, 'dnat_table', 'key', '10', '0', '0', '0x50', '0', '065', '17', '0', 'value', 'hex', '0a000003', '14e9', '0000', 'noexist', '--state', state]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('update failed: File exists (EEXIST)');
    const look = cli(['map', 'lookup', obj, 'dnat_table', 'key', 'hex', '0a', '00', '00', '50', '00', '35', '11', '00', '--state', state, '--json']);
    const bytes = (h: string): string[] => h.match(/../g)!.map((b) => '0x' + b);
    // The map has BTF (struct nat_key → struct nat_val): bpftool adds "formatted" (test/cli/map-btf.test.ts compares with it).
    const formatted = { key: { addr: 1342177290, port: 13568, proto: 17, pad: 0 }, value: { addr: 33554442, port: 59668, pad: 0 } };
    expect(JSON.parse(look.stdout)).toEqual({ key: bytes('0a00005000351100'), value: bytes('0a00000214e90000'), formatted });
    expect(JSON.parse(cli(['map', 'dump', obj, 'dnat_table', '--state', state, '--json']).stdout)).toEqual([{ key: bytes('0a00005000351100'), value: bytes('0a00000214e90000'), formatted }]);
    // Plain text with BTF: bpftool's pretty JSON of the formatted entries, no count.
    const plainDump = cli(['map', 'dump', obj, 'dnat_table', '--state', state]).stdout;
    expect(plainDump.startsWith('[{\n        "key": {\n            "addr": 1342177290,\n')).toBe(true);
    expect(JSON.parse(plainDump)).toEqual([formatted]);
    // Without BTF (a string literal's section), bpftool's print_entry_plain lines and count.
    expect(cli(['map', 'dump', join(FIX, 'global_data.o'), '.rodata.str1.1']).stdout).toBe('key: 00 00 00 00  value: 62 69 67 20 70 61 63 6b  65 74 20 25 75 0a 00\nFound 1 element\n');
    expect(cli(['map', 'delete', obj, 'dnat_table', 'key', 'hex', '0a00005000351100', '--state', state]).code).toBe(0);
    const gone = cli(['map', 'lookup', obj, 'dnat_table', 'key', 'hex', '0a00005000351100', '--state', state]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('No such file or directory (ENOENT)');
  });

  it('reads bytes as bpftool does and refuses what bpftool would misread, naming the word', () => {
    const obj = join(FIX, 'tc_nat.o');
    const r = cli(['map', 'lookup', obj, 'dnat_table', 'key', '0a', '00', '00', '50', '00', '35', '11', '00']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("key: error parsing byte: 0a (a byte is decimal, 0x… hex or 0… octal, as in bpftool; write 'key hex 0a' for hex bytes)");
    expect(cli(['map', 'lookup', obj, 'dnat_table', 'key', '1', '2']).stderr).toContain('key expected 8 bytes got 2');
    expect(cli(['map', 'lookup', obj, 'dnat_table', 'key', '256', '0', '0', '0', '0', '0', '0', '0']).stderr).toContain('256 is more than a byte');
  });

  it('gives per-CPU values in bpftool\'s JSON and plain shapes', () => {
    const r = cli(['map', 'lookup', join(FIX, 'xdp_proto_count.o'), 'proto_count', 'key', '2', '0', '0', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const zero = Array(8).fill('0x00');
    expect(JSON.parse(r.stdout)).toEqual({ key: ['0x02', '0x00', '0x00', '0x00'], values: [{ cpu: 0, value: zero }], formatted: { key: 2, values: [{ cpu: 0, value: 0 }] } });
    const plain = cli(['map', 'lookup', join(FIX, 'xdp_proto_count.o'), 'proto_count', 'key', '2', '0', '0', '0', '--cpus', '2']);
    expect(plain.stdout).toBe('{\n    "key": 2,\n    "values": [{\n            "cpu": 0,\n            "value": 0\n        },{\n            "cpu": 1,\n            "value": 0\n        }\n    ]\n}\n');
  });

  it('refuses a --cpus that is not a whole number from 1 to 4096, naming it', () => {
    for (const bad of ['0', 'abc', '5000']) {
      const r = cli(['map', 'dump', join(FIX, 'xdp_proto_count.o'), '--cpus', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`chainlab: --cpus must be a whole number from 1 to 4096, got '${bad}'\n`);
    }
  });

  it('shows global data and statically initialised slots', () => {
    const j = JSON.parse(cli(['map', 'dump', join(FIX, 'global_data.o'), '--json']).stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['.bss', '.data', '.rodata']));
  });
});

describe('chainlab prog load (the verifier)', () => {
  const corpus = join(FIX, '..', 'verifier-corpus', 'c', 'helpers_c.o');
  it('accepts a good program and says how many instructions it processed', () => {
    const r = cli(['prog', 'load', join(FIX, 'xdp_proto_count.o')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^xdp_proto_count: accepted, processed \d+ insns$/m);
  });

  it('refuses a bad one with a kernel-style log pointing at the instruction and its C line', () => {
    const r = cli(['prog', 'load', corpus, '--prog', 'helper_arg__load_bytes_var_len_bad']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\d+: \(85\) call bpf_skb_load_bytes#26$/m);
    // The kernel's log names the file by its base name and shows a line once, however many records it has.
    expect(r.stdout).toMatch(/^; if \(len == 0 \|\| bpf_skb_load_bytes\(skb, 0, buf, len\)\) @ helpers_c\.c:44$/m);
    expect(r.stdout.match(/@ helpers_c\.c:44$/gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/^3: \(15\) if r4 == 0x0 goto pc\+8 +; R4=scalar\(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=127,var_off=\(0x0; 0x7f\)\)$/m);
    expect(r.stdout).toMatch(/^invalid write to stack R3 off=-64 size=127$/m);
    expect(r.stdout).toMatch(/^processed \d+ insns \(limit 1000000\)/m);
  });

  it('--batch prints one verdict line per case', () => {
    const batch = join(tmp, 'cases.tsv');
    writeFileSync(batch, [`${corpus}\thelper_arg__load_bytes_const_good\tsched_cls`, `${corpus}\thelper_arg__load_bytes_var_len_bad\t`, `${join(tmp, 'nope.o')}\tx\txdp`].join('\n') + '\n');
    const r = cli(['prog', 'load', '--batch', batch]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(lines.map((l) => l[2])).toEqual(['accept', 'reject', 'unsupported']);
    expect(lines[1][3]).toBe('invalid write to stack R3 off=-64 size=127 (insn 8)');
  });

  it('gives the verdicts of the BTF libbpf hands the kernel: global functions and spin locks', () => {
    const dir = join(FIX, '..', 'verifier-corpus', 'c');
    // The kernel verifies a global function against its BTF prototype alone, and finds a map's lock through its BTF.
    expect(cli(['prog', 'load', join(dir, 'global_c.o'), '--prog', 'global_func__global_deref_unchecked_bad']).code).toBe(1);
    expect(cli(['prog', 'load', join(dir, 'locks_c.o'), '--prog', 'spin_lock__hash_good']).code).toBe(0);
    expect(cli(['prog', 'load', join(dir, 'locks_c.o'), '--prog', 'spin_lock__touch_lock_bad']).code).toBe(1);
  });

  it('exits 2 and names a feature chainlab does not model, with no verdict', () => {
    // xdp_proto_count.o with its bpf_map_lookup_elem call turned into bpf_timer_init (helper 169).
    const bytes = readFileSync(join(FIX, 'xdp_proto_count.o'));
    const at = bytes.indexOf(Buffer.from([0x85, 0, 0, 0, 1, 0, 0, 0]));
    bytes[at + 4] = 169;
    const obj = join(tmp, 'timer.o');
    writeFileSync(obj, bytes);
    const r = cli(['prog', 'load', obj]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^xdp_proto_count: not supported by chainlab: bpf_timer_init#169: argument R1 needs BTF-described objects chainlab does not model \(at insn \d+\)$/m);
    const batch = join(tmp, 'timer.tsv');
    writeFileSync(batch, `${obj}\txdp_proto_count\txdp\n`);
    const b = cli(['prog', 'load', '--batch', batch]);
    expect(b.code).toBe(0);
    expect(b.stdout.split('\t')[2]).toBe('unsupported');
  });

  it('refuses to run a program the verifier refuses (prog run exits 1 with the log)', () => {
    const r = cli(['prog', 'run', corpus, '--prog', 'helper_arg__load_bytes_const_good', '--data-in', udp]);
    // Loading the object verifies every program in it, as libbpf's bpf_object__load does.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/verify program '[^']+_bad'/);
  });
});
