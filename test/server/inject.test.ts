import { describe, expect, it } from 'vitest';
import { decode } from '../../src/net/packet/decode.ts';
import { summary } from '../../src/net/packet/summary.ts';
import { buildInjectFrame, parseInject, tcpFlags } from '../../src/server/inject.ts';

const MAC = '02:00:00:00:00:02';

describe('hand-made packets', () => {
  it('builds UDP, TCP and ICMP frames with the fields asked for', () => {
    const udp = buildInjectFrame(parseInject({ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'udp', sport: 1, dport: 53 }), MAC);
    expect(udp.length).toBe(60);
    expect(summary(udp)).toBe('IP 10.0.0.1.1 > 10.0.1.2.53: UDP, length 18');
    const tcp = buildInjectFrame(parseInject({ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'tcp', dport: 80, flags: 'SA', size: 200 }), MAC);
    expect(tcp.length).toBe(200);
    expect(summary(tcp)).toMatch(/^IP 10\.0\.0\.1\.12345 > 10\.0\.1\.2\.80: Flags \[S\.\]/);
    const icmp6 = buildInjectFrame(parseInject({ dev: 'r/eth0', src: 'fd00::1', dst: 'fd00::2', protocol: 'icmp', vlan: 7 }), MAC);
    const layers = decode(icmp6).map((l) => l.kind);
    expect(layers.slice(0, 4)).toEqual(['eth', 'vlan', 'ipv6', 'icmpv6']);
  });

  it('addresses the frame to the device by default, and takes given MACs', () => {
    const f = buildInjectFrame(parseInject({ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'udp' }), MAC);
    const eth = decode(f)[0] as { dst: string; src: string };
    expect(eth.dst).toBe(MAC);
    const g = buildInjectFrame(parseInject({ dev: 'r/eth0', srcMac: '02:aa:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'udp' }), MAC);
    expect(decode(g)[0]).toMatchObject({ src: '02:aa:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' });
  });

  it('cuts a frame shorter than its headers (a truncated packet)', () => {
    const f = buildInjectFrame(parseInject({ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'tcp', size: 40 }), MAC);
    expect(f.length).toBe(40);
    expect(decode(f).at(-1)?.kind).toBe('truncated');
  });

  it('TCP flag letters', () => {
    expect(tcpFlags('S')).toBe(0x02);
    expect(tcpFlags('sa')).toBe(0x12);
    expect(tcpFlags('FPU')).toBe(0x29);
  });

  it.each([
    [{ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp' }, /dev/],
    [{ dev: 'eth0', src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp' }, /dev: a device like "h1\/eth0"/],
    [{ dev: 'r/eth0', src: '10.0.0.300', dst: '10.0.0.2', protocol: 'udp' }, /src: an IPv4 or IPv6 address/],
    [{ dev: 'r/eth0', src: '10.0.0.1', dst: 'fd00::2', protocol: 'udp' }, /must both be IPv4 or both IPv6/],
    [{ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.0.2', protocol: 'sctp' }, /protocol/],
    [{ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', sport: 70000 }, /sport/],
    [{ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcMac: 'zz' }, /srcMac: a MAC address/],
    [{ dev: 'r/eth0', src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', colour: 'red' }, /colour|unrecognized/i],
  ])('refuses %j', (body, msg) => {
    expect(() => parseInject(body)).toThrow(msg);
  });
});
