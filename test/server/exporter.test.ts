import { describe, expect, it } from 'vitest';
import { decodeLabels, loadExporterConfig, parseExporterConfig, readMapMetric, type LabelConfig } from '../../src/server/exporter.ts';
import { VIEWER_METRICS, viewerSession } from './helpers.ts';

const net = viewerSession().built.net;
const label = (size: number, ...decoders: LabelConfig['decoders']): LabelConfig => ({ name: 'l', size, decoders });
const one = (key: number[], l: LabelConfig): string | undefined => decodeLabels(Uint8Array.from(key), [l], net, 'm')?.[0];

describe('ebpf_exporter-style label decoders', () => {
  it.each([
    ['uint u8', [7], label(1, { name: 'uint' }), '7'],
    ['uint u16 little-endian', [0x34, 0x12], label(2, { name: 'uint' }), '4660'],
    ['uint u32', [5, 0, 0, 0], label(4, { name: 'uint' }), '5'],
    ['uint u64', [0, 0, 0, 0, 1, 0, 0, 0], label(8, { name: 'uint' }), '4294967296'],
    ['inet_ip v4 (network order)', [10, 0, 1, 2], label(4, { name: 'inet_ip' }), '10.0.1.2'],
    ['inet_ip v6', [0xfd, 0, ...Array(13).fill(0), 1], label(16, { name: 'inet_ip' }), 'fd00::1'],
    ['hex', [0xde, 0xad], label(2, { name: 'hex' }), 'dead'],
    ['string up to NUL', [0x65, 0x74, 0x68, 0x30, 0, 0x7a], label(6, { name: 'string' }), 'eth0'],
    ['static_map', [5, 0, 0, 0], label(4, { name: 'uint' }, { name: 'static_map', static_map: { '5': 'udp' } }), 'udp'],
    ['static_map unknown', [9, 0, 0, 0], label(4, { name: 'uint' }, { name: 'static_map', static_map: { '5': 'udp' } }), 'unknown:9'],
    ['static_map allow_unknown', [9, 0, 0, 0], label(4, { name: 'uint' }, { name: 'static_map', static_map: { '5': 'udp' }, allow_unknown: true }), '9'],
    ['ifname in a host', [3, 0, 0, 0], label(4, { name: 'ifname', host: 'router' }), 'veth0'],
    ['ifname ambiguous across hosts', [2, 0, 0, 0], label(4, { name: 'ifname' }), 'ambiguous:2'],
    ['ifname unique across hosts', [3, 0, 0, 0], label(4, { name: 'ifname' }), 'veth0'],
    ['ifname unknown', [9, 0, 0, 0], label(4, { name: 'ifname' }), 'unknown:9'],
    ['regexp match keeps the label', [5, 0, 0, 0], label(4, { name: 'uint' }, { name: 'regexp', regexps: ['^[0-5]$'] }), '5'],
    ['regexp no match skips the label set', [9, 0, 0, 0], label(4, { name: 'uint' }, { name: 'regexp', regexps: ['^[0-5]$'] }), undefined],
  ])('%s', (_name, key, l, want) => {
    expect(one(key, l)).toBe(want);
  });

  it('cuts the key into labels with padding, and refuses labels that do not cover it', () => {
    const key = Uint8Array.from([6, 0, 0, 0, 10, 0, 0, 1, 0, 53]);
    const labels: LabelConfig[] = [
      { name: 'proto', size: 1, padding: 3, decoders: [{ name: 'uint' }] },
      { name: 'addr', size: 4, decoders: [{ name: 'inet_ip' }] },
      { name: 'port', size: 2, decoders: [{ name: 'hex' }] },
    ];
    expect(decodeLabels(key, labels, net, 'm')).toEqual(['6', '10.0.0.1', '0035']);
    expect(() => decodeLabels(key.slice(0, 8), labels, net, 'm')).toThrow(/labels cover 10 bytes, the map's key has 8/);
  });
});

describe('exporter config', () => {
  it('reads YAML and names what is wrong', () => {
    const c = loadExporterConfig(VIEWER_METRICS);
    expect(c.metrics.counters[0].name).toBe('xdp_proto_packets_total');
    expect(() => parseExporterConfig({ metrics: { counters: [{ name: 'bad name' }] } }, 'x.yaml')).toThrow(/x\.yaml: at metrics\.counters\.0\.name: a Prometheus metric name/);
    expect(() => parseExporterConfig({ metrics: { counters: [{ name: 'm', labels: [{ name: 'l', size: 4, decoders: [{ name: 'ksym' }] }] }] } })).toThrow(/decoders/);
    expect(() => parseExporterConfig({ metrics: {}, extra: 1 })).toThrow(/extra/);
  });

  it('reads a per-CPU map: labels from the key, values summed over CPUs', () => {
    const s = viewerSession();
    s.controller.advanceTo(2_000_000);
    const [m] = loadExporterConfig(VIEWER_METRICS).metrics.counters;
    const samples = readMapMetric(m, s.catalog, s.built.net);
    const by = Object.fromEntries(samples.map((x) => [x.labels.proto, x.value]));
    const ledger = [...s.built.net.ledger.values()];
    const udp = ledger.filter((e) => e.traffic === 'udp').reduce((n, e) => n + e.count, 0);
    expect(by.udp).toBe(udp);
    expect(by.ipv4).toBe(by.udp + by.tcp);
    expect(Object.keys(by)).toHaveLength(11);
  });

  it('says when no object (or several) has the map', () => {
    const s = viewerSession();
    expect(() => readMapMetric({ name: 'nope', help: '', labels: [] }, s.catalog, s.built.net)).toThrow(/no loaded object has a map 'nope'/);
  });
});
