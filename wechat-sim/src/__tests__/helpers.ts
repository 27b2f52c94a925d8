import { afterEach } from 'vitest';
import { createSimulator, type SimOptions } from '../index.js';

export const OA = { appid: 'wx1111111111111111', secret: 'oa-secret' };
export const WEB = { appid: 'wx2222222222222222', secret: 'web-secret' };
export const LONE = { appid: 'wx3333333333333333', secret: 'lone-secret' };

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});

/** A simulator on loopback with an OA and a website app on one Open Platform account, and a lone OA. */
export async function startSim(extra: Partial<SimOptions> = {}) {
  let clock = Date.parse('2026-11-22T08:00:00Z');
  const sim = createSimulator({
    apps: [
      { ...OA, kind: 'official', callbackDomain: 'h5.example.com', openPlatform: 'op1', name: '测试公众号' },
      { ...WEB, kind: 'website', callbackDomain: 'www.example.com', openPlatform: 'op1' },
      { ...LONE, kind: 'official', callbackDomain: 'lone.example.com' },
    ],
    now: () => clock,
    ...extra,
  });
  const { origin, close } = await sim.listen();
  running.push(close);

  const get = (path: string, init: RequestInit = {}) => fetch(origin + path, { redirect: 'manual', ...init });
  const api = async (path: string, params: Record<string, string>) =>
    (await (await get(`${path}?${new URLSearchParams(params)}`)).json()) as Record<string, unknown>;

  /** Runs the authorize step the way the browser would and returns where WeChat sent it. */
  async function authorize(params: Record<string, string>, user?: string): Promise<Response> {
    const q = new URLSearchParams(params);
    if (user) q.set('wxsim_user', user);
    return get(`/connect/oauth2/authorize?${q}`);
  }

  async function codeFor(user = 'alice', scope = 'snsapi_base', app = OA): Promise<string> {
    const res = await authorize(
      { appid: app.appid, redirect_uri: 'https://h5.example.com/auth', response_type: 'code', scope, state: 'S1' },
      user,
    );
    if (scope === 'snsapi_base') return new URL(res.headers.get('location')!).searchParams.get('code')!;
    const confirm = await get('/connect/oauth2/authorize/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        appid: app.appid,
        redirect_uri: 'https://h5.example.com/auth',
        scope,
        state: 'S1',
        user,
        decision: 'allow',
      }),
    });
    return new URL(confirm.headers.get('location')!).searchParams.get('code')!;
  }

  const exchange = (code: string, app = OA) =>
    api('/sns/oauth2/access_token', { appid: app.appid, secret: app.secret, code, grant_type: 'authorization_code' });

  return {
    sim,
    origin,
    get,
    api,
    authorize,
    codeFor,
    exchange,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

export const authorizeParams = (overrides: Record<string, string> = {}) => ({
  appid: OA.appid,
  redirect_uri: 'https://h5.example.com/auth?from=x',
  response_type: 'code',
  scope: 'snsapi_base',
  state: 'abc123',
  ...overrides,
});
