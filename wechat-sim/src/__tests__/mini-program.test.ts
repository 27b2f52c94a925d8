import { describe, expect, it } from 'vitest';
import { OA, startSim } from './helpers.js';

const MP = { appid: 'wx4444444444444444', secret: 'mp-secret' };
const OTHER_MP = { appid: 'wx5555555555555555', secret: 'other-mp-secret' };

/** The helpers' simulator plus two mini programs: one on the OA's Open Platform account, one alone. */
async function startMpSim() {
  const sim = await startSim({
    apps: [
      { ...OA, kind: 'official', callbackDomain: 'h5.example.com', openPlatform: 'op1' },
      { ...MP, kind: 'miniprogram', openPlatform: 'op1' },
      { ...OTHER_MP, kind: 'miniprogram' },
    ],
  });
  const post = async (path: string, body: unknown, query = '') =>
    (await (await sim.get(`${path}${query}`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<
      string,
      unknown
    >;
  const wxLogin = async (user: string, app = MP) =>
    (await post('/__sim/mp/login', { appid: app.appid, user })).code as string;
  const session = (code: string, app = MP) =>
    sim.api('/sns/jscode2session', {
      appid: app.appid,
      secret: app.secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
  const token = async (app = MP) =>
    (await post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: app.appid, secret: app.secret }))
      .access_token as string;
  const phone = async (code: string, accessToken: string, openid?: string) =>
    post('/wxa/business/getuserphonenumber', { code, ...(openid && { openid }) }, `?access_token=${accessToken}`);
  return { ...sim, post, wxLogin, session, token, phone };
}

describe('jscode2session (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html)', () => {
  it("gives the user's openid for this mini program, a session_key, and the Open Platform's unionid", async () => {
    const sim = await startMpSim();
    const reply = await sim.session(await sim.wxLogin('alice'));
    expect(reply.openid).toBe(sim.sim.openidOf(MP.appid, 'alice'));
    expect(reply.openid).not.toBe(sim.sim.openidOf(OA.appid, 'alice'));
    expect(reply.session_key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(reply.unionid).toMatch(/^o/);
    // The same person through the OA's snsapi_userinfo has the same unionid.
    const oa = await sim.exchange(await sim.codeFor('alice', 'snsapi_userinfo'));
    expect(oa.unionid).toBe(reply.unionid);
    // A mini program on no Open Platform account gets no unionid.
    expect((await sim.session(await sim.wxLogin('alice', OTHER_MP), OTHER_MP)).unionid).toBeUndefined();
  });

  it('takes a code once, within 5 minutes, from the mini program it was issued to', async () => {
    const sim = await startMpSim();
    const code = await sim.wxLogin('bob');
    expect((await sim.session(code, OTHER_MP)).errcode).toBe(40029);
    expect((await sim.session(code)).openid).toBeTruthy();
    expect((await sim.session(code)).errcode).toBe(40163);
    const late = await sim.wxLogin('bob');
    sim.advance(5 * 60_000 + 1);
    expect((await sim.session(late)).errcode).toBe(40029);
    expect((await sim.session('made-up')).errcode).toBe(40029);
    expect(
      (
        await sim.api('/sns/jscode2session', {
          appid: MP.appid,
          secret: 'wrong',
          js_code: 'x',
          grant_type: 'authorization_code',
        })
      ).errcode,
    ).toBe(40125);
  });

  it('blocks a high-risk user (40226) and limits a user to 100 calls a minute (45011)', async () => {
    const sim = await startMpSim();
    expect((await sim.session(await sim.wxLogin('risky-carol'))).errcode).toBe(40226);
    const [first, second] = await Promise.all([1, 2].map(() => sim.wxLogin('dave')));
    // Every call naming the user's code counts, a refused one too: the 100th goes through, the 101st does not.
    expect((await sim.session(first!)).openid).toBeTruthy();
    for (let i = 0; i < 98; i++) expect((await sim.session(first!)).errcode).toBe(40163);
    expect((await sim.session(first!)).errcode).toBe(40163);
    expect((await sim.session(second!)).errcode).toBe(45011);
    sim.advance(60_000);
    expect((await sim.session(second!)).openid).toBeTruthy();
  });

  it('refuses a wx.login for an app that is no mini program', async () => {
    const sim = await startMpSim();
    const res = await sim.get('/__sim/mp/login', {
      method: 'POST',
      body: JSON.stringify({ appid: OA.appid, user: 'a' }),
    });
    expect(res.status).toBe(400);
  });
});

describe('getuserphonenumber (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html)', () => {
  it("gives the user's phone with the app's watermark, once", async () => {
    const sim = await startMpSim();
    const got = await sim.post('/__sim/mp/phone-code', { appid: MP.appid, user: 'erin', phone: '13912345678' });
    expect(got.errMsg).toBe('getPhoneNumber:ok');
    const token = await sim.token();
    const reply = await sim.phone(got.code as string, token);
    expect(reply).toMatchObject({
      errcode: 0,
      phone_info: {
        phoneNumber: '13912345678',
        purePhoneNumber: '13912345678',
        countryCode: '86',
        watermark: { appid: MP.appid, timestamp: Date.parse('2026-11-22T08:00:00Z') / 1000 },
      },
    });
    expect((await sim.phone(got.code as string, token)).errcode).toBe(40163);
  });

  it('ties the code to its app (40013) and, when given, to the openid; lives 5 minutes', async () => {
    const sim = await startMpSim();
    const code = async () => (await sim.post('/__sim/mp/phone-code', { appid: MP.appid, user: 'fay' })).code as string;
    expect((await sim.phone(await code(), await sim.token(OTHER_MP))).errcode).toBe(40013);
    expect((await sim.phone(await code(), await sim.token(), sim.sim.openidOf(MP.appid, 'someone-else'))).errcode).toBe(
      40029,
    );
    const ok = await sim.phone(await code(), await sim.token(), sim.sim.openidOf(MP.appid, 'fay'));
    expect((ok.phone_info as { purePhoneNumber: string }).purePhoneNumber).toMatch(/^1[3-9]\d{9}$/);
    const late = await code();
    sim.advance(5 * 60_000 + 1);
    expect((await sim.phone(late, await sim.token())).errcode).toBe(40029);
    expect((await sim.phone(await code(), 'not-a-token')).errcode).toBe(40001);
  });

  it('a user with no phone, or who refuses, gets no code: the button says why', async () => {
    const sim = await startMpSim();
    expect(await sim.post('/__sim/mp/phone-code', { appid: MP.appid, user: 'nophone-gus' })).toEqual({
      errMsg: 'getPhoneNumber:fail user deny',
    });
    expect(await sim.post('/__sim/mp/phone-code', { appid: MP.appid, user: 'hal', decision: 'deny' })).toEqual({
      errMsg: 'getPhoneNumber:fail user deny',
    });
  });

  it('counts its codes and session keys as issued secrets (tests look for them in logs)', async () => {
    const sim = await startMpSim();
    const code = await sim.wxLogin('ivy');
    const { session_key } = await sim.session(code);
    const phone = (await sim.post('/__sim/mp/phone-code', { appid: MP.appid, user: 'ivy' })).code;
    expect(sim.sim.issuedSecrets()).toEqual(expect.arrayContaining([code, session_key, phone]));
  });
});
