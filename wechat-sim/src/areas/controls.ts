import type { ServerResponse } from 'node:http';
import { json, readJson, redirectTo } from '../http.js';
import { randomAlnum } from '../ids.js';
import { avatarSvg, FAVICON_SVG } from '../pages.js';
import type { Call, Routes } from '../route.js';
import { pageError, parseFault, rememberUser } from '../rules/index.js';
import type { Fault } from '../types.js';

/** GET /__sim/stats: how often each WeChat path was called since the last reset. */
function stats({ rules, res }: Call): void {
  json(res, 200, { calls: rules.calls() });
}

/** POST /__sim/reset: forgets every code, token, ticket, fault and count; apps and user ids stay. */
function reset({ rules, res }: Call): void {
  rules.reset();
  json(res, 200, { ok: true });
}

/** POST /__sim/faults: the next requests to a path fail or wait, for tests and the demo. */
async function addFault({ rules, req, res }: Call): Promise<void> {
  const body = await readJson<Partial<Fault>>(req);
  if (body === undefined) return json(res, 400, { error: 'body must be JSON' });
  const fault = parseFault(body);
  if (!fault) return json(res, 400, { error: 'expected {path, errcode? | status? | delayMs?, times?}' });
  rules.faults.add(fault);
  json(res, 201, { faults: rules.faults.list() });
}

/**
 * GET /__sim/new-user, the demo's "换个新用户": this browser becomes a WeChat user never seen before, then
 * goes on to `next`, which must be on a registered app's callback domain, as WeChat's own redirects are.
 */
function newUser({ rules, res, url }: Call): void {
  const next = url.searchParams.get('next') ?? '';
  if (![...rules.apps.values()].some((app) => rules.callbackAllowed(next, app)))
    return pageError(res, null, 'next 须为已登记应用的回调域名下的地址（模拟器检查）', 400);
  rememberUser(res, `new${randomAlnum(12)}`);
  redirectTo(res, next);
}

/** GET /__sim/avatar/<user>/<size>: the headimgurl userinfo hands out, in WeChat's sizes (0 is the largest). */
function avatar({ res, url }: Call): void {
  const name = /^\/__sim\/avatar\/([^/]+)\/(?:0|46|64|96|132)$/.exec(url.pathname)?.[1];
  const user = name === undefined ? undefined : decoded(name);
  if (user === undefined) return json(res, 404, { error: 'not found' });
  svg(res, avatarSvg(user));
}

/** decodeURIComponent, or undefined for a malformed %-escape. */
function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function svg(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' });
  res.end(body);
}

/** The simulator's own controls: neither counted as WeChat calls nor subject to faults. */
export const controls: Routes = {
  'GET /__sim/stats': stats,
  'POST /__sim/faults': addFault,
  'POST /__sim/reset': reset,
  'GET /__sim/new-user': newUser,
  'GET /__sim/avatar/*': avatar,
  // Browsers ask for it unasked; it is WeChat's icon on the simulator's pages.
  'GET /favicon.ico': ({ res }) => svg(res, FAVICON_SVG),
};
