import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Middleware } from 'koa';
import type { AppState } from '../../platform/http/context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

/**
 * Demo mode only: serves the built H5 app as nginx.conf does (files as they are, found /assets/ cached
 * for good, a missing one and dot files 404, any other path → index.html), so `pnpm start` is the whole
 * demo on one port.
 */
export function serveWebApp(root: string): Middleware<AppState> {
  const base = normalize(root + sep);
  return async (ctx, next) => {
    // Unknown paths under the BFF's own prefixes stay JSON 404s, never the app.
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || /^\/(api|internal|wx-proxy)(\/|$)/.test(ctx.path))
      return next();
    let path: string;
    try {
      path = decodeURIComponent(ctx.path);
    } catch {
      path = '/'; // a malformed escape names no file: the app answers
    }
    const wanted = normalize(join(base, path));
    const relative = wanted.startsWith(base) ? wanted.slice(base.length) : null;
    // Dot files and folders (Vite's .vite/manifest.json, an .env) are never served; /.well-known/ is.
    const hidden = !!relative?.split(sep).some((s, i) => s.startsWith('.') && !(i === 0 && s === '.well-known'));
    const found = relative !== null && !hidden && (await stat(wanted).catch(() => null))?.isFile() === true;
    const asset = relative?.startsWith(`assets${sep}`) ?? false;
    // Only a file that exists may be cached for good: a missing asset is a 404 nobody keeps.
    if (hidden || (asset && !found)) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = 'Not Found';
      return;
    }
    const file = found ? wanted : join(base, 'index.html');
    const info = await stat(file).catch(() => null);
    if (!info) return next();
    ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
    ctx.length = info.size;
    ctx.set('Cache-Control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.body = ctx.method === 'HEAD' ? null : createReadStream(file);
  };
}
