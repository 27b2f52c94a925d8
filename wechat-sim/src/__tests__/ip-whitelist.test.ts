import { describe, expect, it } from 'vitest';
import { LONE, OA, WEB, startSim } from './helpers.js';

// 获取 Access token (offiaccount/Basic_Information/Get_access_token): "调用接口的IP地址不在白名单中，请在接口IP白名单中进行设置"
// is 40164, and WeChat's errmsg names the address it saw, as operators report it:
// {"errcode":40164,"errmsg":"invalid ip 101.45.43.1 ipv6 ::ffff:101.45.43.1, not in whitelist, rid: …"}.
// The allowlist guards the global access_token (cgi-bin/token and cgi-bin/stable_token), not the sns API.
describe('the 接口IP白名单 (40164)', () => {
  const whitelisted = (ips: string[]) => ({
    apps: [
      { ...OA, kind: 'official' as const, callbackDomain: 'h5.example.com', ipWhitelist: ips },
      { ...WEB, kind: 'website' as const, callbackDomain: 'www.example.com', ipWhitelist: ips },
      { ...LONE, kind: 'official' as const, callbackDomain: 'lone.example.com' },
    ],
  });
  const stable = (get: (p: string, i?: RequestInit) => Promise<Response>, body: Record<string, unknown>) =>
    get('/cgi-bin/stable_token', {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', ...body }),
    }).then((r) => r.json() as Promise<Record<string, unknown>>);

  it("refuses a caller not on the app's allowlist, naming the address it saw in IPv4 and IPv6 form", async () => {
    const { get, api } = await startSim(whitelisted(['203.0.113.10']));
    const refused = await stable(get, { appid: OA.appid, secret: OA.secret });
    expect(refused).toEqual({
      errcode: 40164,
      errmsg: expect.stringMatching(/^invalid ip 127\.0\.0\.1 ipv6 ::ffff:127\.0\.0\.1, not in whitelist, rid: \w+$/),
    });
    const params = { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret };
    expect(await api('/cgi-bin/token', params)).toMatchObject({ errcode: 40164 });
    // An app without an allowlist takes any caller.
    expect(await stable(get, { appid: LONE.appid, secret: LONE.secret })).toMatchObject({ expires_in: 7200 });
  });

  it('gives a listed caller its token', async () => {
    const { get } = await startSim(whitelisted(['203.0.113.10', '127.0.0.1']));
    expect(await stable(get, { appid: OA.appid, secret: OA.secret })).toEqual({
      access_token: expect.any(String),
      expires_in: 7200,
    });
  });

  it('checks the appid and the secret first: 40013 and 40125 stay what they are', async () => {
    const { get } = await startSim(whitelisted(['203.0.113.10']));
    expect(await stable(get, { appid: 'wx9999999999999999', secret: OA.secret })).toMatchObject({ errcode: 40013 });
    expect(await stable(get, { appid: OA.appid, secret: 'wrong' })).toMatchObject({ errcode: 40125 });
  });

  it('does not guard the sns API: a code exchange from anywhere is judged on its code', async () => {
    const { api } = await startSim(whitelisted(['203.0.113.10']));
    const exchange = (secret: string) =>
      api('/sns/oauth2/access_token', { appid: WEB.appid, secret, code: 'made-up', grant_type: 'authorization_code' });
    expect(await exchange(WEB.secret)).toMatchObject({ errcode: 40029 });
    expect(await exchange('wrong')).toMatchObject({ errcode: 40125 });
  });
});
