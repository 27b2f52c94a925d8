import { html } from '../http.js';
import { qrconnectPage } from '../pages.js';
import type { Call, Routes } from '../route.js';
import { STATE_STRICT } from '../rules/errors.js';
import { currentUser, pageError, STATE } from '../rules/index.js';

/** GET /connect/qrconnect: WeChat shows its own error page here ("参数错误"), not 10003. */
function qrconnect({ rules, req, res, url }: Call): void {
  const q = url.searchParams;
  const app = rules.apps.get(q.get('appid') ?? '');
  if (!app || app.kind !== 'website') return pageError(res, null, 'appid参数错误');
  const redirect = q.get('redirect_uri') ?? '';
  if (!rules.callbackAllowed(redirect, app)) return pageError(res, null, 'redirect_uri 参数错误');
  if (q.get('scope') !== 'snsapi_login') return pageError(res, null, 'Scope 参数错误或没有 Scope 权限');
  const state = q.get('state') ?? '';
  if (!STATE.test(state)) return pageError(res, null, STATE_STRICT);
  const user = currentUser(req, q, res);
  // wxLogin.js's embedded QR (login_type=jssdk) sends the whole page on, unless self_redirect=true.
  const top = q.get('login_type') === 'jssdk' && q.get('self_redirect') !== 'true';
  html(res, 200, qrconnectPage(app.name ?? app.appid, { appid: app.appid, redirect_uri: redirect, state, user }, top));
}

/** POST /connect/qrconnect/confirm: the phone scanned the QR and confirmed. */
async function confirmScan({ rules, req, res }: Call): Promise<void> {
  const form = await rules.confirmation(req);
  if (!form || form.app.kind !== 'website') return pageError(res, null, '二维码已失效', 400);
  rules.redirectWithCode(res, form.redirect, form.app.appid, form.user, 'snsapi_login', form.state);
}

/** Website apps' PC login (Open Platform): a QR page instead of a consent page. */
export const qrLogin: Routes = {
  'GET /connect/qrconnect': qrconnect,
  'POST /connect/qrconnect/confirm': confirmScan,
};
