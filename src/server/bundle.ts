/**
 * The page, built from web/ when the server starts: esbuild bundles web/main.ts (TypeScript and
 * d3) into one ES module in memory — no minification, no source map, no timestamps, so the same
 * sources always give the same bytes — next to web/index.html and web/style.css.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

export interface WebAssets {
  'index.html': string;
  'style.css': string;
  'app.js': string;
}

export async function buildWeb(dir = WEB_DIR): Promise<WebAssets> {
  const out = await build({
    entryPoints: [`${dir}/main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  return {
    'index.html': readFileSync(`${dir}/index.html`, 'utf8'),
    'style.css': readFileSync(`${dir}/style.css`, 'utf8'),
    'app.js': out.outputFiles[0].text,
  };
}
