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
import type { PacketSummary, PacketTrace } from '../../web/protocol.ts';
import type { TopologyRecord } from '../../src/trace/records.ts';
import { until, VIEWER_METRICS, viewerSession } from '../server/helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGSHIP = 'scenarios/xdp-proto-counter.yaml';
const SHOTS = 'test-results';
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
