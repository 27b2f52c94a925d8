import { randomBytes } from 'node:crypto';
import { json, readJson } from '../http.js';
import { randomAlnum } from '../ids.js';
import type { Call, Routes } from '../route.js';
import { apiError, USER_ID } from '../rules/index.js';
import { hasNoPhone, isRisky, type MpCode } from '../rules/mini-program.js';
import type { SimApp } from '../types.js';

/** wx.login's code and getPhoneNumber's code both: "每个 code 只能使用一次，code 的有效期为 5min". */
const CODE_TTL_MS = 5 * 60_000;
const PHONE = /^1[3-9]\d{9}$/;

const miniProgram = (app: SimApp | undefined): app is SimApp => app?.kind === 'miniprogram';
const live = (record: MpCode, now: number) => now - record.issuedAt <= CODE_TTL_MS;

/**
 * GET /sns/jscode2session: code2Session, https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
 * → openid, session_key, and unionid when the mini program is bound to an Open Platform account. Its
 * errors: 40029 (code 无效), 45011 (每个用户每分钟 100 次), 40226 (高风险等级用户), -1 (busy, by /__sim/faults).
 * A code used twice is 40163 ("code been used"), as developers meet it though the page does not list it;
 * an expired one is 40029, the page's only word for a bad code.
 */
function code2Session({ rules, res, url: { searchParams: q } }: Call): void {
  const app = rules.checkApp(res, q, true);
  if (!app) return;
  if (!miniProgram(app)) return apiError(res, 40013, 'invalid appid');
  if (q.get('grant_type') !== 'authorization_code') return apiError(res, 40002, 'invalid grant_type');
  const code = q.get('js_code');
  if (!code) return apiError(res, 41008, 'missing code');
  const record = rules.mp.loginCodes.get(code);
  if (!record || record.appid !== app.appid) return apiError(res, 40029, 'invalid code');
  if (!rules.mp.withinMinuteRate(record.user, rules.now()))
    return apiError(res, 45011, 'api minute-quota reach limit mustslower retry next minute');
  if (isRisky(record.user)) return apiError(res, 40226, 'code blocked');
  if (record.used) return apiError(res, 40163, 'code been used');
  if (!live(record, rules.now())) return apiError(res, 40029, 'invalid code');
  record.used = true;
  // 16 random bytes, Base64: the shape of WeChat's session_key (its AES-128 key for the user's encrypted data).
  const sessionKey = randomBytes(16).toString('base64');
  rules.mp.sessionKeys.add(sessionKey);
  const reply: Record<string, unknown> = { session_key: sessionKey, openid: rules.openidOf(app.appid, record.user) };
  const unionid = rules.unionidOf(app, record.user, 'jscode2session');
  if (unionid) reply.unionid = unionid;
  json(res, 200, reply);
}

/**
 * POST /wxa/business/getuserphonenumber?access_token=: getPhoneNumber,
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html
 * Body `{code, openid?}`; the access_token is the mini program's global one (stable_token or token). Its
 * errors: 40029 (code 无效), 40013 (请求 appid 身份与获取 code 的小程序 appid 不匹配), 45011 and -1 (by
 * /__sim/faults). An openid that is not the code's user is refused as 40029 here: the page says only that
 * it "会校验 openid 和 code 的绑定关系".
 */
async function phoneNumber({ rules, req, res, url: { searchParams: q } }: Call): Promise<void> {
  const token = rules.globalTokens.get(q.get('access_token') ?? '');
  if (!token) return apiError(res, 40001, 'invalid credential, access_token is invalid or not latest');
  if (rules.now() > token.expiresAt) return apiError(res, 42001, 'access_token expired');
  const body = await readJson<Record<string, unknown>>(req);
  if (!body || typeof body !== 'object') return apiError(res, 47001, 'data format error');
  const record = typeof body.code === 'string' ? rules.mp.phoneCodes.get(body.code) : undefined;
  if (!record) return apiError(res, 40029, 'invalid code');
  if (record.appid !== token.appid) return apiError(res, 40013, 'invalid appid');
  if (record.used) return apiError(res, 40163, 'code been used');
  if (!live(record, rules.now())) return apiError(res, 40029, 'invalid code');
  if (body.openid !== undefined && body.openid !== rules.openidOf(record.appid, record.user))
    return apiError(res, 40029, 'invalid code');
  record.used = true;
  const phone = rules.mp.phoneOf(record.user);
  json(res, 200, {
    errcode: 0,
    errmsg: 'ok',
    phone_info: {
      phoneNumber: phone,
      purePhoneNumber: phone,
      countryCode: '86',
      watermark: { timestamp: Math.floor(record.issuedAt / 1000), appid: record.appid },
    },
  });
}

/** The request a stand-in for the mini program's client makes: a mini program and a user, or a 400. */
async function clientCall({ rules, req, res }: Call) {
  const body = await readJson<Record<string, unknown>>(req);
  const app = rules.apps.get(String(body?.appid ?? ''));
  const user = String(body?.user ?? '');
  if (!body || !miniProgram(app) || !USER_ID.test(user))
    return void json(res, 400, { error: 'expected {appid: a mini program on the simulator, user}' });
  return { body, app, user };
}

const issue = (codes: Map<string, MpCode>, appid: string, user: string, now: number) => {
  const code = randomAlnum(32);
  codes.set(code, { appid, user, issuedAt: now, used: false });
  return code;
};

/**
 * POST /__sim/mp/login {appid, user}: what `wx.login` gives that user in that mini program
 * (https://developers.weixin.qq.com/miniprogram/dev/api/open-api/login/wx.login.html): `{code, errMsg}`.
 */
async function wxLogin(call: Call): Promise<void> {
  const asked = await clientCall(call);
  if (!asked) return;
  const code = issue(call.rules.mp.loginCodes, asked.app.appid, asked.user, call.rules.now());
  json(call.res, 200, { code, errMsg: 'login:ok' });
}

/**
 * POST /__sim/mp/phone-code {appid, user, phone?, decision?}: what `<button open-type="getPhoneNumber">`
 * gives its bindgetphonenumber handler (https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/getPhoneNumber.html):
 * `{code, errMsg: "getPhoneNumber:ok"}`, or no code when the user refuses (`decision: "deny"`) or has no phone
 * on their WeChat account (users `nophone-…`; WeChat asks them to add one, and they did not). `phone` sets
 * the user's phone from now on.
 */
async function phoneCode(call: Call): Promise<void> {
  const asked = await clientCall(call);
  if (!asked) return;
  const { body, app, user } = asked;
  if (body.phone !== undefined) {
    if (typeof body.phone !== 'string' || !PHONE.test(body.phone))
      return json(call.res, 400, { error: 'phone: 11 digits of a mainland mobile number' });
    call.rules.mp.setPhone(user, body.phone);
  }
  if (body.decision === 'deny' || hasNoPhone(user))
    return json(call.res, 200, { errMsg: 'getPhoneNumber:fail user deny' });
  const code = issue(call.rules.mp.phoneCodes, app.appid, user, call.rules.now());
  json(call.res, 200, { code, errMsg: 'getPhoneNumber:ok' });
}

/** Mini programs: the server API a BFF calls. */
export const miniProgramApi: Routes = {
  'GET /sns/jscode2session': code2Session,
  'POST /wxa/business/getuserphonenumber': phoneNumber,
};

/** The stand-in for WeChat's client in a mini program: its codes, for tests and the demo. Not counted. */
export const miniProgramClient: Routes = {
  'POST /__sim/mp/login': wxLogin,
  'POST /__sim/mp/phone-code': phoneCode,
};
