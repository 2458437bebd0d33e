import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@crypto-predict/core';

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** Files the page is made of, served from memory under `/assets/<name>` (the page itself at `/`). */
export type StaticAssets = ReadonlyMap<string, Asset>;

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');

const PAGE_FILES = [
  { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  { name: 'dashboard.css', contentType: 'text/css; charset=utf-8' },
  { name: 'dashboard.js', contentType: 'text/javascript; charset=utf-8' },
] as const;

/** lightweight-charts' standalone bundle (it defines `window.LightweightCharts`), from node_modules. */
export function lightweightChartsBundlePath(): string {
  const require = createRequire(import.meta.url);
  return join(
    dirname(require.resolve('lightweight-charts/package.json')),
    'dist',
    'lightweight-charts.standalone.production.js',
  );
}

/** Reads every file once at start; a missing file stops the start with its path. */
export async function loadStaticAssets(): Promise<StaticAssets> {
  const files = [
    ...PAGE_FILES.map((file) => ({ ...file, path: join(PUBLIC_DIR, file.name) })),
    {
      name: 'lightweight-charts.js',
      contentType: 'text/javascript; charset=utf-8',
      path: lightweightChartsBundlePath(),
    },
  ];
  const assets = new Map<string, Asset>();
  for (const file of files) {
    let body: Buffer;
    try {
      body = await readFile(file.path);
    } catch (error) {
      throw new AppError('CONFIG_INVALID', `a file of the page is missing: ${file.path}`, { cause: error });
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(file.name, { body, contentType: file.contentType, etag });
  }
  return assets;
}
