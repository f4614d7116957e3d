/** Changes sent while the clock is paused wait for the next event, up to a bound (then 429). */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/server/errors.ts';
import { MAX_PENDING_CHANGES } from '../../src/server/session.ts';
import { viewerSession } from './helpers.ts';

describe('changes waiting for the next event', () => {
  it('are bounded: past MAX_PENDING_CHANGES a change is refused with 429 until the clock runs them', async () => {
    const s = viewerSession();
    const pkt = { dev: 'gen/eth0', src: '10.0.0.1', dst: '10.0.1.2', protocol: 'udp' };
    for (let i = 0; i < MAX_PENDING_CHANGES; i++) expect(await s.inject(pkt)).toMatchObject({ applied: false });
    const refused = await s.inject(pkt).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 429, message: `${MAX_PENDING_CHANGES} changes are waiting for the next event: step or play first` });
    await expect(s.editMap('xdp_proto_count.o', 'proto_count', '05000000', { value: '0100000000000000' })).rejects.toMatchObject({ status: 429 });

    s.controller.advanceTo(1);
    expect(s.built.net.counters.get('injected')).toBeGreaterThanOrEqual(MAX_PENDING_CHANGES);
    expect(await s.inject(pkt)).toMatchObject({ applied: false });
  });
});
