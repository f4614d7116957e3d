/**
 * The BTF value formatter (bpftool's btf_dumper rules), without a kernel: the fixtures' map
 * types, and hand-built types for the kinds clang does not put in a map (int128, CHAR/BOOL
 * encodings, odd widths, ENUM64, FWD, void). test/cli/map-btf.test.ts compares the same code
 * with bpftool's real output as root.
 */
import { describe, expect, it } from 'vitest';
import { dumpBtfValue, JsonWriter } from '../../../src/ebpf/btf/format.ts';
import type { Btf, BtfType } from '../../../src/ebpf/btf/types.ts';
import { loadObjectFile } from '../../../src/ebpf/elf/file.ts';
import { fixturePath } from '../elf/fixture-files.ts';

function fmt(btf: Btf, id: number, data: Uint8Array | number[], plain: boolean): { text: string; ret: number } {
  const w = new JsonWriter(plain);
  const ret = dumpBtfValue(w, btf, id, Uint8Array.from(data), { plain });
  return { text: w.text(), ret };
}

function mapTypes(obj: string, map: string): { btf: Btf; key: number; value: number } {
  const spec = loadObjectFile(fixturePath(obj));
  const m = spec.maps.find((x) => x.name === map)!;
  return { btf: spec.btf!, key: m.btfKeyType ?? 0, value: m.btfValueType! };
}

const le = (n: bigint, size: number): number[] => [...Array(size).keys()].map((i) => Number((BigInt.asUintN(size * 8, n) >> BigInt(8 * i)) & 0xffn));

function portRule(label: number[], cookie: bigint, verdict: number, enabled: number): number[] {
  return [
    ...le(5n | (0x123n << 4n) | (0xbeefn << 16n), 4),
    ...le(-3n, 1), 0, ...le(-300n, 2),
    enabled, 0, 0, 0, ...le(BigInt(verdict), 4),
    ...le(-5n, 8),
    10, 0, 0, 1, ...le(1n, 2), ...le(2n, 2), ...le(65535n, 2),
    ...label, ...le(cookie, 8),
  ];
}

describe('btf_maps.o port_rules (as bpftool printed them on Linux 6.18)', () => {
  const { btf, key, value } = mapTypes('btf_maps', 'port_rules');
  const eth0 = [...Buffer.from('eth0'), ...Array(12).fill(0), 6, 0, 0x1f, 0x90];

  it('a char[16] key is a string, __be16 a host-order number', () => {
    expect(fmt(btf, key, eth0, false).text).toBe('{"name":"eth0","proto":6,"pad":0,"port":36895}');
  });

  it('JSON: bitfields as quoted hex, signed ints, bool, enum name, union, arrays, pointer as %lu', () => {
    const v = portRule([0x61, 0x62, 0x22, 0x5c, 0, 0], 0xffff888012345678n, 7, 1);
    expect(fmt(btf, value, v, false)).toEqual({
      ret: 0,
      // bpftool escapes a backslash as \n (its json_writer's slip), and so do we.
      text: '{"low":"0x5","mid":"0x123","high":"0xbeef","tiny":-3,"delta":-300,"enabled":true,"verdict":"V_REDIRECT","budget":-5,"addr":{"v4":16777226,"bytes":[10,0,0,1]},"weights":[1,2,65535],"label":"ab\\"\\n","cookie":18446612682375452280}',
    });
  });

  it('plain: bpftool\'s pretty layout, bitfields and pointers as bare hex, NULL as (nil), an unterminated char[] as numbers', () => {
    const v = portRule([0x61, 0x62, 0x63, 0x64, 0x65, 0x66], 0n, 3, 2);
    expect(fmt(btf, value, v, true).text).toBe(
      [
        '{',
        '    "low": 0x5,',
        '    "mid": 0x123,',
        '    "high": 0xbeef,',
        '    "tiny": -3,',
        '    "delta": -300,',
        '    "enabled": true,',
        '    "verdict": 3,',
        '    "budget": -5,',
        '    "addr": {',
        '        "v4": 16777226,',
        '        "bytes": [10,0,0,1',
        '        ]',
        '    },',
        '    "weights": [1,2,65535',
        '    ],',
        '    "label": [97,98,99,100,101,102',
        '    ],',
        '    "cookie": (nil)',
        '}',
      ].join('\n'),
    );
    expect(fmt(btf, value, portRule([0, 0, 0, 0, 0, 0], 0x10n, 0, 0), true).text).toContain('"cookie": 0x10');
  });

  it('a char array with a byte past 0x7e is numbers (bytes are signed chars)', () => {
    const v = portRule([0x61, 0x80, 0, 0, 0, 0], 0n, -1, 0);
    const t = fmt(btf, value, v, false).text;
    expect(t).toContain('"label":[97,-128,0,0,0,0]');
    expect(t).toContain('"verdict":"V_DROP"');
    expect(t).toContain('"enabled":false');
  });
});

describe('fixtures\' other maps', () => {
  it('u16 bitfields of a kind_flag struct, u64 max, s32', () => {
    const { btf, value } = mapTypes('btf_maps', 'stats');
    const v = [...le(2n ** 64n - 1n, 8), ...le(-2n, 4), ...le(5n | (200n << 3n), 2), 0, 0];
    expect(fmt(btf, value, v, false).text).toBe('{"packets":18446744073709551615,"last_err":-2,"flags":"0x5","ttl":"0xc8"}');
  });

  it('a DATASEC is {"<section>": [{"<var>": value}, …]}', () => {
    const { btf, value } = mapTypes('global_data', '.rodata');
    expect(fmt(btf, value, [100, 0, 0, 0, 3], false).text).toBe('{".rodata":[{"threshold":100},{"mode":3}]}');
  });

  it('a FLOAT stops the output at "(unsupported-kind", as bpftool does', () => {
    const { btf, value } = mapTypes('btf_kinds', '.bss');
    const v = [...le(7n, 4), 0xff, 0xff, 0, 0, ...le(-1n, 4), 0, 0, 0, 0, ...le(0x1234567890n, 8), ...Array(72).fill(0)];
    expect(fmt(btf, value, v, false)).toEqual({ ret: -22, text: '{".bss":[{"all_kinds":{"ifindex":7,"cv":65535,"color":"RED","wide":"WIDE_BIG","ratio":(unsupported-kind}}]}' });
  });
});

describe('kinds clang does not put in these maps', () => {
  const int = (id: number, size: number, bits: number, encoding: 'none' | 'signed' | 'char' | 'bool', bitOffset = 0): BtfType => ({ id, name: `i${id}`, kind: 'INT', size, bits, encoding, bitOffset });
  const btf: Btf = {
    types: [
      { id: 0, name: '', kind: 'VOID' },
      int(1, 16, 128, 'none'),
      int(2, 1, 8, 'char'),
      int(3, 1, 8, 'bool'),
      int(4, 4, 24, 'none'),
      { id: 5, name: 'e', kind: 'ENUM64', size: 8, signed: false, values: [{ name: 'BIG', value: '18446744073709551615' }] },
      { id: 6, name: 's', kind: 'FWD', fwdKind: 'struct' },
      { id: 7, name: '', kind: 'TYPE_TAG', type: 4 } as BtfType,
      { id: 8, name: '', kind: 'PTR', type: 0 },
      { id: 9, name: 'e8', kind: 'ENUM', size: 1, signed: true, values: [{ name: 'M', value: -2 }] },
      int(10, 4, 4, 'none', 3),
    ],
  };

  it('int128 as hex (quoted in JSON), with its upper half when set', () => {
    expect(fmt(btf, 1, [1, ...Array(15).fill(0)], false).text).toBe('"0x1"');
    expect(fmt(btf, 1, [...Array(8).fill(0), 2, ...Array(7).fill(0)], true).text).toBe('0x20000000000000000');
  });

  it('CHAR: printable as "c", else 0x.. (plain) or "\\u00.." (JSON); BOOL reads an int', () => {
    expect(fmt(btf, 2, [0x41], false).text).toBe('"A"');
    expect(fmt(btf, 2, [7], true).text).toBe('0x7');
    expect(fmt(btf, 2, [7], false).text).toBe('"\\u0007"');
    expect(fmt(btf, 3, [0, 1, 0, 0], false).text).toBe('true');
  });

  it('odd widths and INT offsets go out as bitfields', () => {
    expect(fmt(btf, 4, [0xff, 0xff, 0xff, 0xff], false).text).toBe('"0xffffff"');
    expect(fmt(btf, 10, [0b1011000, 0, 0, 0], true).text).toBe('0xb');
  });

  it('ENUM64 by name, else signed; a 1-byte ENUM sign-extends', () => {
    expect(fmt(btf, 5, Array(8).fill(0xff), false).text).toBe('"BIG"');
    expect(fmt(btf, 5, [0xfe, ...Array(7).fill(0xff)], false).text).toBe('-2');
    expect(fmt(btf, 9, [0xfe], false).text).toBe('"M"');
    expect(fmt(btf, 9, [0xfd], false).text).toBe('-3');
  });

  it('FWD, TYPE_TAG and void: bpftool\'s markers', () => {
    expect(fmt(btf, 6, [], false)).toEqual({ ret: -22, text: '(fwd-kind-invalid)' });
    expect(fmt(btf, 7, [0, 0, 0, 0], false)).toEqual({ ret: -22, text: '(unsupported-kind' });
    expect(fmt(btf, 0, [], false)).toEqual({ ret: 0, text: '(unknown)' });
    expect(fmt(btf, 8, le(0xdeadn, 8), false).text).toBe('57005');
  });

  it('JsonWriter: compact and pretty, as bpftool\'s json_writer', () => {
    for (const pretty of [false, true]) {
      const w = new JsonWriter(pretty);
      w.startArray();
      w.startObject();
      w.name('k');
      w.hexBytes(Uint8Array.of(1, 0xab));
      w.name('s');
      w.string('a\tb');
      w.endObject();
      w.endArray();
      expect(w.text()).toBe(pretty ? '[{\n        "k": ["0x01","0xab"\n        ],\n        "s": "a\\tb"\n    }\n]' : '[{"k":["0x01","0xab"],"s":"a\\tb"}]');
    }
  });
});
