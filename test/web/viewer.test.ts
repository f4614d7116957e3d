/**
 * The viewer in a real browser: Debian's chromium driven by playwright-core. The page is served
 * for a bundled scenario on a free loopback port; the test checks the SVG's hosts, devices,
 * badges and links, clicks a packet and reads its hop list, opens a packet that met the XDP
 * program (programs, C line, decoded frames), edits a map entry through the form and sees the
 * value change, and saves screenshots under test-results/. Skips, loudly, without chromium.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/parse.ts';
import { loadExporterConfig } from '../../src/server/exporter.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { Session } from '../../src/server/session.ts';
import type { ControlState, MapDump, PacketSummary, PacketTrace, TrafficInfo } from '../../web/protocol.ts';
import type { TopologyRecord } from '../../src/trace/records.ts';
import { until, VIEWER_METRICS, viewerSession } from '../server/helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGSHIP = 'scenarios/xdp-proto-counter.yaml';
const SHOTS = 'test-results';
const TAIL_SCENARIO = 'test/server/fixtures/viewer-tail.yaml';
const DEVMAP_SCENARIO = 'test/server/fixtures/viewer-devmap.yaml';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: viewer browser tests: no ${CHROMIUM} (apt-get install -y chromium)`);

let context: BrowserContext;
let profile: string;

async function openBrowser(): Promise<BrowserContext> {
  profile = mkdtempSync(join(tmpdir(), 'chainlab-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 950 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

async function newPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  // Generous waits: CI machines are slow and busy; the animation runs on wall-clock time.
  page.setDefaultTimeout(90_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return { page, errors };
}

const json = async <T>(srv: RunningServer, path: string): Promise<T> => (await (await fetch(new URL(path, srv.url))).json()) as T;

describe.skipIf(!haveChromium)('live viewer in chromium', () => {
  let srv: RunningServer;
  let session: Session;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Paused until the first page has drawn: the scenario is 20 ms, 20 s at this speed, and a slow
    // chromium start could otherwise leave it over (paused at its end) before any dot is drawn.
    session = viewerSession({ play: false, speed: 1_000_000, metrics: loadExporterConfig(VIEWER_METRICS), wallMs: () => performance.now() });
    srv = await startServer(session, { host: '127.0.0.1', port: 0 });
    context = await openBrowser();
  });

  afterAll(async () => {
    await context?.close();
    await srv?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('draws hosts, devices with their program badges, and links; packets move; a clicked packet shows its hops', { timeout: 180_000 }, async () => {
    const { page, errors } = await newPage(srv.url);
    await page.waitForSelector('g.device >> nth=3');
    expect(await page.locator('g.host').evaluateAll((els) => els.map((e) => e.getAttribute('data-host')))).toEqual(['gen', 'router', 'app']);
    expect(await page.locator('g.device').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['gen/eth0', 'router/eth0', 'router/veth0', 'app/veth0']);
    expect(await page.locator('g.link').evaluateAll((els) => els.map((e) => [e.getAttribute('data-link'), e.getAttribute('class')]))).toEqual([
      ['gen/eth0|router/eth0', 'link link-wire'],
      ['router/veth0|app/veth0', 'link link-veth'],
    ]);
    expect(await page.locator('g.device[data-id="router/eth0"] g.badge text').textContent()).toBe('XDP: xdp_proto_count');
    expect(await page.locator('g.device[data-id="gen/eth0"] g.badge').count()).toBe(0);

    // Packets arrive and move; rates show up on the links once stats come in.
    await page.click('#play');
    await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Pause');
    await page.waitForSelector('circle.packet');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('g.link text')).some((t) => /pps/.test(t.textContent ?? '')));
    await page.screenshot({ path: `${SHOTS}/viewer-playing.png` });

    // Pause: the dots stand still and can be clicked.
    await page.click('#play');
    await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');
    await page.waitForTimeout(150);
    // The newest dot: an old dot may still be walking the picture after the server's bounded
    // packet store (1000) has let its packet go.
    const ids = await page.locator('circle.packet').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-pkt'))));
    const pkt = Math.max(...ids);
    const dot = page.locator(`circle.packet[data-pkt="${pkt}"]`);
    await dot.click({ force: true });
    await page.waitForFunction((p) => document.querySelector('#trace h3')?.textContent?.startsWith(`Packet ${p} `), pkt);
    const heads = await page.locator('#trace li.hop .hop-head').allTextContents();
    const trace = await json<PacketTrace>(srv, `/api/packets/${pkt}`);
    expect(heads.length).toBe(trace.hops.length);
    expect(heads[0]).toMatch(/gen\/eth0\s+wire\s+arrive/);
    expect(await page.locator(`circle.packet.selected[data-pkt="${pkt}"]`).count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/viewer-packet.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a packet that met the XDP program shows the program, its C line and the frame before and after (opened by its address)', async () => {
    const list = await json<PacketSummary[]>(srv, '/api/packets');
    const passed = list.find((p) => p.last.startsWith('app/veth0 local'));
    expect(passed).toBeDefined();
    // A trace has its own address: the page opens #packet=N.
    const { page, errors } = await newPage(`${srv.url}#packet=${passed?.pkt}`);
    await page.waitForSelector('#trace li.hop');
    const xdpHop = page.locator('#trace li.hop[data-hook="xdp"]');
    await expect.poll(() => xdpHop.count()).toBe(1);
    expect(await xdpHop.locator('.prog').textContent()).toBe('xdp_proto_count');
    expect(await xdpHop.locator('.line').textContent()).toMatch(/verdict at xdp_proto_count\.c:\d+/);
    expect(await xdpHop.locator('.insns').textContent()).toMatch(/\d+ insns/);
    const frames = await xdpHop.locator('details.frame summary').allTextContents();
    expect(frames[0]).toMatch(/^before: IP 10\.0\.0\.1\.\d+ > 10\.0\.1\.2\.(80|53)/);
    expect(frames[1]).toMatch(/^after \(unchanged\): IP 10\.0\.0\.1/);
    // The program's instructions, those of the verdict's C line marked.
    await xdpHop.locator('details.listing summary').click();
    await page.waitForSelector('#trace pre.disasm span.verdict-line');
    expect(await xdpHop.locator('pre.disasm span.verdict-line').allTextContents()).toContainEqual(expect.stringMatching(/\texit\n$/));
    await page.screenshot({ path: `${SHOTS}/viewer-trace.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('editing a map entry through the form changes the map (and the exported metric)', async () => {
    const { page, errors } = await newPage(srv.url);
    await page.click('#tabs button[data-tab="maps"]');
    await page.waitForSelector('table.map-dump tr[data-key="05000000"]');
    expect(await page.locator('#map-select').inputValue()).toBe('xdp_proto_count.o/proto_count');
    const cell = page.locator('table.map-dump tr[data-key="05000000"] td.num');
    const before = BigInt(((await cell.textContent()) ?? '').replace(/\D/g, ''));
    expect(before).toBeLessThan(100_000n);
    await page.fill('#map-edit [name="key"]', '5');
    await page.selectOption('#map-edit [name="keyFormat"]', 'uint');
    await page.fill('#map-edit [name="value"]', '100000');
    await page.selectOption('#map-edit [name="valueFormat"]', 'uint');
    await page.click('#map-edit button[type="submit"]');
    // The clock may be paused (scheduled for the next event) or playing (applied): play on to be sure.
    await page.waitForFunction(() => (document.querySelector('.map-status')?.textContent ?? '') !== '');
    if ((await page.locator('#play').textContent()) === 'Play') await page.click('#play');
    await page.waitForFunction(() => {
      const t = document.querySelector('table.map-dump tr[data-key="05000000"] td.num')?.textContent ?? '';
      return BigInt(t.replace(/\D/g, '') || '0') >= 200000n;
    });
    const metrics = await (await fetch(new URL('/metrics', srv.url))).text();
    const udp = /^chainlab_xdp_proto_packets_total\{proto="udp"\} (\d+)$/m.exec(metrics);
    expect(Number(udp?.[1])).toBeGreaterThanOrEqual(200_000);
    await page.screenshot({ path: `${SHOTS}/viewer-maps.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('serves the flagship scenario (npm start): its device, the XDP badge, and it says it samples', async () => {
    const flagship = await Session.create(loadScenarioFile(FLAGSHIP), { play: true, speed: 200_000, wallMs: () => performance.now() });
    const f = await startServer(flagship, { port: 0 });
    try {
      const { page, errors } = await newPage(f.url);
      await page.waitForSelector('g.device');
      expect(await page.locator('g.device').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['dut/eth0']);
      expect(await page.locator('g.badge text').textContent()).toBe('XDP: xdp_proto_count');
      await page.waitForSelector('circle.packet');
      await until(async () => (await page.locator('#sampling').textContent())?.includes('1 in'), 'the page to say it samples');
      await page.screenshot({ path: `${SHOTS}/viewer-flagship.png` });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });

  it('the layout is the same on every reload; devices show rates and drops; dots take their verdict colour; the four charts draw', { timeout: 180_000 }, async () => {
    const session = viewerSession({ play: false, speed: 1_000_000, wallMs: () => performance.now() });
    const f = await startServer(session, { port: 0 });
    try {
      const { page, errors } = await newPage(f.url);
      // Where everything is drawn: device positions, host boxes, link ends.
      const picture = (): Promise<string[]> =>
        page.evaluate(() => [
          ...Array.from(document.querySelectorAll('g.device'), (e) => `${e.getAttribute('data-id')} ${e.getAttribute('transform')}`),
          ...Array.from(document.querySelectorAll('g.host rect'), (e) => ['x', 'y', 'width', 'height'].map((a) => e.getAttribute(a)).join(',')),
          ...Array.from(document.querySelectorAll('g.link line'), (e) => ['x1', 'y1', 'x2', 'y2'].map((a) => e.getAttribute(a)).join(',')),
        ]);
      await page.waitForSelector('g.device >> nth=3');
      const first = await picture();
      expect(first).toHaveLength(4 + 3 + 2);
      expect(first.every((x) => !/NaN|null/.test(x))).toBe(true);
      await page.reload();
      await page.waitForSelector('g.device >> nth=3');
      expect(await picture()).toEqual(first);

      // Every dot's class and fill as the page draws it, from the first frame on.
      await page.evaluate(() => {
        const seen: Record<string, { fill: string; pkts: number[] }> = {};
        (window as unknown as { seen: typeof seen }).seen = seen;
        const look = (): void => {
          for (const c of Array.from(document.querySelectorAll('circle.packet'))) {
            const cls = /verdict-(\w+)/.exec(c.getAttribute('class') ?? '')?.[1] ?? '?';
            const s = (seen[cls] ??= { fill: getComputedStyle(c).fill, pkts: [] });
            const pkt = Number(c.getAttribute('data-pkt'));
            if (!s.pkts.includes(pkt)) s.pkts.push(pkt);
            const at = `${c.getAttribute('cx')},${c.getAttribute('cy')}`;
            if (!(moves[pkt] ??= []).includes(at)) moves[pkt].push(at);
          }
        };
        const moves: Record<number, string[]> = {};
        (window as unknown as { moves: typeof moves }).moves = moves;
        new MutationObserver(look).observe(document.querySelector('svg#topology') as Node, { subtree: true, childList: true, attributes: true });
      });
      await page.click('#play');
      const seen = await page.waitForFunction(() => {
        const s = (window as unknown as { seen: Record<string, { fill: string; pkts: number[] }> }).seen;
        return s.drop && s.deliver && s.pass ? s : undefined;
      });
      const colours = (await seen.jsonValue()) as Record<string, { fill: string; pkts: number[] }>;
      // Dots glide from device to device: some packet has been drawn at many places.
      await page.waitForFunction(() => Object.values((window as unknown as { moves: Record<number, string[]> }).moves).some((at) => at.length >= 10));
      // Red, blue and green: three different fills.
      expect(new Set([colours.drop.fill, colours.deliver.fill, colours.pass.fill]).size).toBe(3);
      expect(colours.drop.fill).toBe('rgb(215, 58, 58)');
      // A red dot is a packet that met a drop; a blue one was delivered (UDP dropped, TCP delivered).
      for (const [cls, outcome, flow] of [['drop', 'dropped', /^udp /], ['deliver', 'delivered', /^tcp /]] as const) {
        const t = await fetch(new URL(`/api/packets/${colours[cls].pkts[0]}`, f.url));
        if (t.status === 404) continue; // let go by the bounded store
        const trace = (await t.json()) as PacketTrace;
        expect(trace.outcome).toBe(outcome);
        expect(trace.flow).toMatch(flow);
      }

      // Rates on links and devices; the router's NIC drops (red ring), the generator's does not.
      await page.waitForFunction(() => /drops \d+/.test(document.querySelector('g.device[data-id="router/eth0"] text.dev-stats')?.textContent ?? ''));
      expect(await page.locator('g.device[data-id="router/eth0"]').getAttribute('class')).toContain('dropping');
      expect(await page.locator('g.device[data-id="gen/eth0"]').getAttribute('class')).not.toContain('dropping');
      expect(await page.locator('g.device[data-id="gen/eth0"] text.dev-stats').textContent()).toMatch(/tx \d+(\.\d)? k?pps/);
      expect(await page.locator('g.device[data-id="router/eth0"] text.dev-stats').textContent()).toMatch(/^rx \d+(\.\d)? k?pps/);
      await page.waitForFunction(() => /pps/.test(document.querySelector('g.link[data-link="router/veth0|app/veth0"] text')?.textContent ?? ''));

      // The charts: one line per series, each with more than one point, and its legend.
      await page.waitForFunction(() => Array.from(document.querySelectorAll('#charts path.series')).every((p) => ((p.getAttribute('d') ?? '').match(/L/g) ?? []).length >= 2) && document.querySelectorAll('#chart-cpu path.series').length > 0);
      const legend = (id: string): Promise<string[]> => page.locator(`#${id} g.legend text`).allTextContents();
      expect(await legend('chart-throughput')).toEqual(['injected', 'delivered', 'dropped', 'left']);
      expect(await legend('chart-drops')).toEqual(['XDP_DROP']);
      expect(await legend('chart-latency')).toEqual(['p50', 'p90', 'p99']);
      expect(await legend('chart-cpu')).toEqual(['cpu0', 'cpu1']);
      expect(await page.locator('#chart-throughput text.chart-title').textContent()).toBe('throughput (packets/s)');
      await page.screenshot({ path: `${SHOTS}/viewer-rates.png` });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });

  it('controls: step event, step hop, speed, a traffic rate, a map edit that waits for the next event, and a VLAN ICMP packet built in the inject form', { timeout: 180_000 }, async () => {
    const session = viewerSession({ play: false, speed: 1_000_000, wallMs: () => performance.now() });
    const f = await startServer(session, { port: 0 });
    const state = (): Promise<ControlState> => json<ControlState>(f, '/api/state');
    try {
      const { page, errors } = await newPage(f.url);
      await page.waitForSelector('g.device >> nth=3');
      await page.waitForFunction(() => / 0 events/.test(document.querySelector('#clock')?.textContent ?? ''));
      // Nothing measured yet: the charts say so, with no time axis to read.
      expect(await page.locator('#chart-throughput text.chart-title').textContent()).toBe('throughput (packets/s) — none yet');
      expect(await page.locator('#chart-throughput g.x .tick').count()).toBe(0);

      // One event, then events up to a packet's hop: the clock stays paused.
      await page.click('#step');
      await page.waitForFunction(() => / 1 events/.test(document.querySelector('#clock')?.textContent ?? ''));
      expect((await state()).events).toBe(1);
      await page.click('#step-hop');
      await page.waitForSelector('#recent li');
      expect(await state()).toMatchObject({ playing: false, events: expect.any(Number) });
      expect(await page.locator('#play').textContent()).toBe('Play');

      // Speed: the slider is log10 of simulated ns per wall second.
      await page.locator('#speed').fill('7');
      await expect.poll(async () => (await state()).speed).toBe(10_000_000);
      expect(await page.locator('#speed-label').textContent()).toBe('10 ms/s');

      // A traffic rate, set in the table; it applies at the next event.
      await page.click('#tabs button[data-tab="traffic"]');
      const udp = page.locator('#traffic tr[data-traffic="udp"]');
      await expect.poll(() => udp.locator('td.rate').textContent()).toBe('10000 pps');
      await udp.locator('input').fill('40kpps');
      await udp.locator('button').click();
      await page.click('#step');
      await expect.poll(async () => (await json<TrafficInfo[]>(f, '/api/traffic')).find((t) => t.name === 'udp')?.rate).toBe('40000 pps');
      await expect.poll(() => udp.locator('td.rate').textContent(), { timeout: 10_000 }).toBe('40000 pps');

      // A map edit while paused waits for the next event. Clicking the device that runs the program opens its maps.
      await page.locator('g.device[data-id="router/eth0"] text.dev-name').click();
      await page.waitForSelector('#tab-maps:not(.hidden)');
      expect(await page.locator('#map-select').inputValue()).toBe('xdp_proto_count.o/proto_count');
      const row = page.locator('table.map-dump tr[data-key="01000000"] td.num');
      await page.waitForSelector('table.map-dump tr[data-key="01000000"]');
      await page.fill('#map-edit [name="key"]', '1');
      await page.fill('#map-edit [name="value"]', '7000');
      await page.click('#map-edit button[type="submit"]');
      await page.waitForFunction(() => /next event/.test(document.querySelector('.map-status')?.textContent ?? ''));
      await page.waitForTimeout(1500); // a refresh of the dump or more
      expect(await row.textContent()).toBe('0 Σ');
      for (let i = 0; i < 50 && (await row.textContent()) === '0 Σ'; i++) {
        await page.click('#step');
        await page.waitForTimeout(100);
      }
      // A per-CPU map: the one value written on each of the 2 CPUs, as bpftool map update does.
      await expect.poll(() => row.textContent()).toBe('14000 Σ');

      // Inject: an ICMP echo in VLAN 42 straight into the router's NIC. The XDP program counts
      // the VLAN tag and ICMP and passes it; the stack drops it (no VLAN 42 device: OTHERHOST).
      const slot = async (k: number): Promise<bigint> => BigInt((await json<MapDump>(f, '/api/maps/xdp_proto_count.o/proto_count')).entries[k].valueNum ?? '-1');
      const [vlanBefore, icmpBefore] = [await slot(1), await slot(6)];
      await page.click('#tabs button[data-tab="inject"]');
      await page.selectOption('#inject-form [name="dev"]', 'router/eth0');
      await page.fill('#inject-form [name="vlan"]', '42');
      await page.fill('#inject-form [name="src"]', '10.0.0.1');
      await page.fill('#inject-form [name="dst"]', '10.0.0.2');
      await page.selectOption('#inject-form [name="protocol"]', 'icmp');
      await page.click('#inject-form button[type="submit"]');
      await page.waitForFunction(() => /scheduled/.test(document.querySelector('#log li')?.textContent ?? ''));
      // The packet enters at the next event: its notice names it, and the page that asked opens its trace.
      const notice = page.locator('#log li.notice-inject', { hasText: 'injected at router/eth0' });
      for (let i = 0; i < 50 && (await notice.count()) === 0; i++) await page.click('#step');
      const pkt = Number(/packet (\d+)/.exec((await notice.first().textContent()) ?? '')?.[1]);
      await page.waitForFunction((p) => document.querySelector('#trace h3')?.textContent === `Packet ${p} — in flight`, pkt);
      // Step until its walk is over: the open trace follows it (it is fetched again each second).
      const outcome = async (): Promise<string> => (await json<PacketTrace>(f, `/api/packets/${pkt}`)).outcome;
      for (let i = 0; i < 50 && (await outcome()) === 'in flight'; i++) await page.click('#step-hop');
      expect(await outcome()).toBe('dropped');
      await page.waitForFunction((p) => document.querySelector('#trace h3')?.textContent === `Packet ${p} — dropped`, pkt);
      const xdp = page.locator('#trace li.hop[data-hook="xdp"]');
      expect(await xdp.locator('.hop-head').textContent()).toMatch(/router\/eth0\s+xdp\s+XDP_PASS/);
      const before = xdp.locator('details.frame-before');
      expect(await before.locator('summary').textContent()).toMatch(/^before: IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request/);
      const layers = await before.locator('ul.layers li').allTextContents();
      expect(layers.map((l) => l.split(':')[0])).toEqual(['eth', 'vlan', 'ipv4', 'icmp', 'payload']);
      expect(layers[1]).toMatch(/vid=42/);
      expect(await xdp.locator('details.frame summary').nth(1).textContent()).toMatch(/^after \(unchanged\): IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP/);
      expect(await page.locator('#trace h3').textContent()).toMatch(/dropped$/);
      expect(await page.locator('#trace li.hop').last().locator('.hop-head').textContent()).toMatch(/OTHERHOST/);
      expect([(await slot(1)) - vlanBefore, (await slot(6)) - icmpBefore]).toEqual([1n, 1n]);
      await page.screenshot({ path: `${SHOTS}/viewer-inject.png` });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });

  it('a tail-call chain shows one step per program, the verdict and its C line on the last', async () => {
    const session = new Session(loadScenarioFile(TAIL_SCENARIO), { play: false, speed: 200_000, wallMs: () => performance.now() });
    const f = await startServer(session, { port: 0 });
    try {
      const { page, errors } = await newPage(f.url);
      await page.waitForSelector('g.device');
      expect(await page.locator('g.badge text').textContent()).toBe('XDP: chain_entry');
      await page.click('#play');
      await page.locator('#recent li').first().click();
      const xdp = page.locator('#trace li.hop[data-hook="xdp"]');
      await page.waitForSelector('#trace li.hop[data-hook="xdp"]');
      expect(await xdp.locator('.hop-head').textContent()).toMatch(/XDP_PASS/);
      expect(await xdp.locator('li.step .prog').allTextContents()).toEqual(['chain_entry', 'tail call → stage_one', 'tail call → stage_two']);
      expect(await xdp.locator('li.step .line').allTextContents()).toEqual([' · verdict at tail_chain.c:72']);
      expect(await xdp.locator('li.step code.source').allTextContents()).toEqual(['return XDP_PASS;']);
      const insns = (await xdp.locator('li.step .insns').allTextContents()).map((t) => Number(/\d+/.exec(t)?.[0]));
      expect(insns.every((n) => n > 5)).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });

  it('a program that rewrites the packet (tc-nat): the frame after it is marked changed and decoded anew', async () => {
    const session = await Session.create(loadScenarioFile('scenarios/tc-nat.yaml'), { play: true, speed: 200_000, wallMs: () => performance.now() });
    const f = await startServer(session, { port: 0 });
    try {
      const pkt = await until(async () => (await json<PacketSummary[]>(f, '/api/packets')).find((p) => p.last.includes('local'))?.pkt, 'a delivered packet', 30_000);
      const { page, errors } = await newPage(`${f.url}#packet=${pkt}`);
      const tc = page.locator('#trace li.hop[data-hook="tc-ingress"]');
      await page.waitForSelector('#trace li.hop[data-hook="tc-ingress"]');
      expect(await tc.locator('.prog').textContent()).toBe('tc_dnat');
      const frames = await tc.locator('details.frame summary').allTextContents();
      expect(frames[0]).toMatch(/^before: IP 10\.0\.0\.1\.\d+ > 10\.0\.0\.100\.80: UDP/);
      expect(frames[1]).toMatch(/^after \(changed\): IP 10\.0\.0\.1\.\d+ > 10\.0\.1\.2\.8080: UDP/);
      expect(await tc.locator('details.frame-after ul.layers li').allTextContents()).toContainEqual(expect.stringMatching(/^udp: .*dport=8080/));
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });

  it('a map edit changes what the datapath does: the NAT entry rewritten in the form sends later packets to the new port', { timeout: 180_000 }, async () => {
    const session = await Session.create(loadScenarioFile('scenarios/tc-nat.yaml'), { play: false, speed: 200_000, wallMs: () => performance.now() });
    const f = await startServer(session, { port: 0 });
    /** The destination the newest delivered packet left tc_dnat with. */
    const natTo = async (): Promise<string | undefined> => {
      const p = (await json<PacketSummary[]>(f, '/api/packets')).find((x) => x.last.includes('local'));
      if (!p) return undefined;
      const t = await json<PacketTrace>(f, `/api/packets/${p.pkt}`);
      return /> (10\.0\.1\.2\.\d+):/.exec(t.hops.find((h) => h.hop.hook === 'tc-ingress')?.after?.summary ?? '')?.[1];
    };
    try {
      const { page, errors } = await newPage(f.url);
      await page.waitForSelector('g.device');
      await page.click('#play');
      expect(await until(natTo, 'a packet through the NAT', 60_000)).toBe('10.0.1.2.8080');
      await page.click('#play');
      await page.waitForFunction(() => document.querySelector('#play')?.textContent === 'Play');

      // 10.0.0.100:80/udp → 10.0.1.2:8081 instead of 8080 (struct nat_val: __be32 addr, __be16 port, pad).
      await page.click('#tabs button[data-tab="maps"]');
      await page.selectOption('#map-select', 'tc_nat.o/dnat_table');
      const row = page.locator('table.map-dump tr[data-key="0a00006400501100"]');
      await expect.poll(() => row.locator('td.value').textContent()).toBe('0a 00 01 02 1f 90 00 00');
      await row.locator('button.pick').click();
      // "edit" fills the form with the entry (8-byte keys and values read as little-endian numbers).
      expect([await page.inputValue('#map-edit [name="key"]'), await page.inputValue('#map-edit [name="keyFormat"]')]).toEqual([String(0x001150006400000an), 'uint']);
      await page.selectOption('#map-edit [name="valueFormat"]', 'hex');
      await page.fill('#map-edit [name="value"]', '0a 00 01 02 1f 91 00 00');
      await page.click('#map-edit button[type="submit"]');
      await page.waitForFunction(() => /next event/.test(document.querySelector('.map-status')?.textContent ?? ''));
      expect(await row.locator('td.value').textContent()).toBe('0a 00 01 02 1f 90 00 00');
      await page.click('#play');
      await expect.poll(() => row.locator('td.value').textContent(), { timeout: 10_000 }).toBe('0a 00 01 02 1f 91 00 00');
      expect(await until(async () => ((await natTo()) === '10.0.1.2.8081' ? true : undefined), 'a packet sent to the new port', 60_000)).toBe(true);

      // The page shows it too: the newest packet's frame after tc_dnat.
      await page.click('#tabs button[data-tab="packet"]');
      await page.locator('#recent li').first().click();
      await page.waitForSelector('#trace li.hop[data-hook="tc-ingress"]');
      expect(await page.locator('#trace li.hop[data-hook="tc-ingress"] details.frame-after summary').textContent()).toMatch(/^after \(changed\): IP 10\.0\.0\.1\.40000 > 10\.0\.1\.2\.8081: UDP/);
      await page.screenshot({ path: `${SHOTS}/viewer-nat-edit.png` });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });

  it('a devmap entry program: its badge on the target device, its verdicts in the trace, the frame it rewrote, the drops it makes', { timeout: 180_000 }, async () => {
    const session = new Session(loadScenarioFile(DEVMAP_SCENARIO), { play: false, speed: 100_000, wallMs: () => performance.now() });
    const f = await startServer(session, { port: 0 });
    try {
      const { page, errors } = await newPage(f.url);
      await page.waitForSelector('g.device[data-id="router/veth1"] g.badge');
      expect(await page.locator('g.device[data-id="router/veth1"] g.badge text').textContent()).toBe('devmap: devmap_mark');
      expect(await page.locator('g.device[data-id="router/veth0"] g.badge text').textContent()).toBe('XDP: xdp_devmap_prog');
      await page.click('#play');
      const ended = (x: PacketSummary, what: string): boolean => x.last === what;
      const dropped = await until(async () => (await json<PacketSummary[]>(f, '/api/packets')).find((x) => ended(x, 'router/veth1 xdp-devmap XDP_DROP'))?.pkt, 'a packet devmap_mark dropped', 60_000);
      const passed = await until(async () => (await json<PacketSummary[]>(f, '/api/packets')).find((x) => x.last.startsWith('right/eth0 local'))?.pkt, 'a packet delivered', 60_000);
      await page.waitForFunction(() => document.querySelector('g.device[data-id="router/veth1"]')?.classList.contains('dropping'));

      await page.evaluate((p) => (location.hash = `#packet=${p}`), dropped);
      await page.waitForFunction((p) => document.querySelector('#trace h3')?.textContent === `Packet ${p} — dropped`, dropped);
      const hop = page.locator('#trace li.hop[data-hook="xdp-devmap"]');
      expect(await hop.locator('.hop-head').textContent()).toMatch(/router\/veth1\s+xdp-devmap\s+XDP_DROP/);
      expect(await hop.locator('li.step .prog').allTextContents()).toEqual(['devmap_mark']);

      await page.evaluate((p) => (location.hash = `#packet=${p}`), passed);
      await page.waitForFunction((p) => document.querySelector('#trace h3')?.textContent === `Packet ${p} — delivered`, passed);
      expect(await hop.locator('.hop-head').textContent()).toMatch(/router\/veth1\s+xdp-devmap\s+XDP_PASS/);
      // devmap_mark stamps rx_queue_index, ingress and egress ifindex into the source MAC's last bytes.
      expect(await hop.locator('details.frame-after summary').textContent()).toMatch(/^after \(changed\): IP 10\.0\.1\.1\.20000 > 10\.0\.2\.1\.9: UDP/);
      const eth = (which: string): Promise<string | null> => hop.locator(`details.frame-${which} ul.layers li`).first().textContent();
      expect(await eth('before')).not.toBe(await eth('after'));
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });

  it.each(readdirSync('scenarios').filter((x) => x.endsWith('.yaml')).sort())('every bundled scenario draws without errors: %s', { timeout: 150_000 }, async (file) => {
    // Paused until the page has drawn: a short replay (pcap-replay's 43 frames) could otherwise
    // be over before a slow browser connects, leaving no packet to see.
    const session = await Session.create(loadScenarioFile(`scenarios/${file}`), { play: false, speed: 200_000, wallMs: () => performance.now() });
    const f = await startServer(session, { port: 0 });
    try {
      const topo = await json<TopologyRecord>(f, '/api/topology');
      const { page, errors } = await newPage(f.url);
      const devices = topo.hosts.flatMap((h) => h.devices.map((d) => `${h.name}/${d.name}`));
      await page.waitForSelector(`g.device >> nth=${devices.length - 1}`);
      expect(await page.locator('g.device').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(devices);
      expect(await page.locator('g.link').count()).toBe(topo.links.length);
      await page.click('#play');
      // The list of recent packets keeps them (a dot leaves the picture once its walk is done).
      try {
        await page.waitForSelector('#recent li', { timeout: 90_000 });
      } catch (e) {
        // Say where the run stood, to tell a stalled clock from a page that got nothing.
        const state = await json<unknown>(f, '/api/state');
        const stored = await json<unknown[]>(f, '/api/packets');
        throw new Error(`no packet reached the page: state ${JSON.stringify(state)}, ${stored.length} packets stored, page status "${await page.locator('#conn').textContent()}", clock "${await page.locator('#clock').textContent()}"`, { cause: e });
      }
      await page.screenshot({ path: `${SHOTS}/viewer-${file.replace(/\.yaml$/, '')}.png` });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await f.close();
    }
  });
});
