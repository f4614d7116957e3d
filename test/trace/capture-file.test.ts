import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePcap, parsePcapng } from '../../src/net/traffic/index.ts';
import { CaptureFile, formatOf } from '../../src/trace/capture-file.ts';

const tmp = mkdtempSync(join(tmpdir(), 'chainlab-cap-'));
const tool = (cmd: string): boolean => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
const tshark = tool('tshark');
const tcpdump = tool('tcpdump');
if (!tshark) console.warn('SKIPPED: tshark is not installed; pcapng files are not read back by tshark (apt-get install -y tshark)');
if (!tcpdump) console.warn('SKIPPED: tcpdump is not installed; capture files are not read back by tcpdump');

/** An Ethernet/IPv4/UDP frame with a correct header checksum, `len` bytes long. */
function frame(len: number, dport: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ip = [0x45, 0, 0, len - 14, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = (~sum >> 8) & 0xff;
  ip[11] = ~sum & 0xff;
  f.set(ip, 14);
  f.set([0x9c, 0x40, dport >> 8, dport & 0xff, 0, len - 34, 0, 0], 34);
  return f;
}

describe('capture files', () => {
  it('names the format by extension', () => {
    expect(formatOf('a.pcapng')).toBe('pcapng');
    expect(formatOf('a.PCAPNG')).toBe('pcapng');
    expect(formatOf('a.pcap')).toBe('pcap');
    expect(formatOf('a.cap')).toBe('pcap');
  });

  it('a classic pcap: ns timestamps, frames cut at the snap length keep their wire length', async () => {
    const p = join(tmp, 'a.pcap');
    const f = new CaptureFile(p, 'pcap', 64); // a small buffer: several flushes
    f.addInterface('h/eth0');
    expect(() => f.addInterface('h/eth1')).toThrow(/holds one capture point/);
    f.write(0, 1_500, frame(60, 53));
    f.write(0, 2_000_000_123, frame(300_000, 80));
    f.close();
    const c = await parsePcap(readFileSync(p), p);
    expect(c.records.map((r) => [r.timeNs, r.data.length, r.origLen])).toEqual([[0, 60, 60], [2_000_000_123 - 1_500, 262_144, 300_000]]);
    expect(c.startEpochNs).toBe(1_500n);
  });

  it('a pcapng with one named interface per capture point and each frame\'s direction', () => {
    const p = join(tmp, 'b.pcapng');
    const f = new CaptureFile(p);
    const a = f.addInterface('lb/eth0', 'where tcpdump sees it');
    const b = f.addInterface('lb/eth0@tc-ingress');
    f.write(a, 100, frame(60, 53), 'in');
    f.write(b, 150, frame(61, 54));
    f.write(a, 2 ** 33 + 7, frame(62, 55), 'out', 'late');
    expect(() => f.addInterface('late')).toThrow(/before the first frame/);
    expect(() => f.write(5, 1, frame(60, 1))).toThrow(/no interface 5/);
    f.close();
    const c = parsePcapng(readFileSync(p), p);
    expect(c.format).toBe('pcapng');
    expect(c.records.map((r) => [r.timeNs, r.data.length])).toEqual([[0, 60], [50, 61], [2 ** 33 + 7 - 100, 62]]);
  });

  it.skipIf(!tshark)('tshark reads the pcapng: interface names, directions, ns times, the frames decoded', () => {
    const p = join(tmp, 'c.pcapng');
    const f = new CaptureFile(p);
    const a = f.addInterface('lb/eth0');
    const b = f.addInterface('lb/eth1');
    f.write(a, 1_000, frame(60, 53), 'in');
    f.write(b, 2_345, frame(70, 8080), 'out');
    f.close();
    const r = spawnSync('tshark', ['-r', p, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.interface_name', '-e', 'frame.p2p_dir', '-e', 'frame.time_epoch', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'frame.len'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['lb/eth0,1,0.000001000,10.0.0.2,53,60', 'lb/eth1,0,0.000002345,10.0.0.2,8080,70']);
    const pc = join(tmp, 'c.pcap');
    const g = new CaptureFile(pc);
    g.addInterface('x');
    g.write(0, 42, frame(60, 53));
    g.close();
    const rc = spawnSync('tshark', ['-r', pc, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.checksum.status', '-o', 'ip.check_checksum:TRUE'], { encoding: 'utf8' });
    expect(rc.status, rc.stderr).toBe(0);
    expect(rc.stdout.trim()).toBe('0.000000042\t1'); // 1: checksum good
  });

  it.skipIf(!tcpdump)('tcpdump reads both formats', () => {
    for (const name of ['d.pcap', 'd.pcapng']) {
      const p = join(tmp, name);
      const f = new CaptureFile(p);
      f.addInterface('h/eth0');
      f.write(0, 5, frame(60, 5001), 'in');
      f.close();
      const r = spawnSync('tcpdump', ['-nr', p], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^00:00:00\.000000 IP 10\.0\.0\.1\.40000 > 10\.0\.0\.2\.5001: UDP, length 18$/);
    }
  });
});
