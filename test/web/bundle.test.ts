import { readdirSync, readFileSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWeb, WEB_DIR } from '../../src/server/bundle.ts';

describe('the page bundle', () => {
  it('is built from web/ deterministically', async () => {
    const a = await buildWeb();
    const b = await buildWeb();
    expect(a['app.js']).toBe(b['app.js']);
    expect(a['app.js'].length).toBeGreaterThan(10_000);
    expect(a['index.html']).toContain('<script type="module" src="/app.js">');
  });

  it('imports nothing from src/ but the trace record types (STYLE.md §13)', () => {
    const files = readdirSync(WEB_DIR).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(join(WEB_DIR, f), 'utf8');
      for (const m of text.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1];
        if (!spec.startsWith('.')) {
          expect(spec, `${f} imports ${spec}`).toBe('d3');
          continue;
        }
        const target = relative(WEB_DIR, normalize(join(WEB_DIR, spec)));
        if (target.startsWith('..')) expect(target, `${f} imports ${spec}`).toBe(join('..', 'src', 'trace', 'records.ts'));
      }
    }
  });
});
