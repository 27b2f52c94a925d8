import { html, redirectTo, withParams } from '../../http.js';
import { consentPage } from '../../pages.js';
import type { Call } from '../../route.js';
import { STATE_STRICT } from '../../rules/errors.js';
import { currentUser, isFollower, isSnapshot, pageError, STATE } from '../../rules/index.js';

/** WeChat checks the order of these parameters; it refuses the request when they are out of it. */
const AUTHORIZE_ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'];

/** GET /connect/oauth2/authorize: WeChat's checks, then the consent page or straight back with a code. */
export function authorize({ rules, req, res, url }: Call): void {
  const q = url.searchParams;
  const order = [...q.keys()].filter((k) => AUTHORIZE_ORDER.includes(k));
  const expected = AUTHORIZE_ORDER.filter((k) => order.includes(k));
  if (order.join() !== expected.join())
    return pageError(
      res,
      null,
      '参数顺序错误：须为 appid, redirect_uri, response_type, scope, state。这是模拟器的检查，比微信严格：微信文档要求此顺序，顺序不符时真实微信的表现并不一致，模拟器一律拒绝，好让这种链接在上线前就被发现。',
    );

  const appid = q.get('appid');
  if (!appid) return pageError(res, 10012, 'appid不能为空');
  const app = rules.apps.get(appid);
  if (!app) return pageError(res, null, 'appid参数错误');
  if (app.kind !== 'official') return pageError(res, 10016, '不支持微信开放平台的Appid，请使用公众号Appid');

  const redirect = q.get('redirect_uri');
  if (!redirect) return pageError(res, 10011, 'redirect_uri不能为空');
  if (!rules.callbackAllowed(redirect, app)) return pageError(res, 10003, 'redirect_uri域名与后台配置不一致');
  if (q.get('response_type') !== 'code') return pageError(res, null, 'response_type参数错误');

  const scope = q.get('scope');
  if (!scope) return pageError(res, 10010, 'scope不能为空');
  if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo')
    return pageError(res, 10005, '此公众号并没有这些scope的权限');

  const state = q.get('state') ?? '';
  if (!STATE.test(state)) return pageError(res, null, STATE_STRICT);

  const user = currentUser(req, q, res);
  // 快照页模式: a page opened from 朋友圈 gets a virtual identity for snsapi_userinfo with no consent page.
  // 网页授权: a follower entering from the Official Account is not asked either, even for snsapi_userinfo.
  if (scope === 'snsapi_base' || isSnapshot(user) || isFollower(user))
    return rules.redirectWithCode(res, redirect, appid, user, scope, state);
  html(res, 200, consentPage(app.name ?? appid, { appid, redirect_uri: redirect, scope, state, user }));
}

/** POST /connect/oauth2/authorize/confirm: the user's answer on the consent page. */
export async function confirmConsent({ rules, req, res }: Call): Promise<void> {
  const form = await rules.confirmation(req);
  if (!form) return pageError(res, null, '授权请求已失效', 400);
  if (form.decision !== 'allow') return redirectTo(res, withParams(form.redirect, { state: form.state }));
  rules.redirectWithCode(res, form.redirect, form.app.appid, form.user, 'snsapi_userinfo', form.state);
}
