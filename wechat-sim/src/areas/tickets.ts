import { json } from '../http.js';
import { randomToken } from '../ids.js';
import type { Call, Routes } from '../route.js';
import { ACCESS_TOKEN_TTL_S, apiError } from '../rules/index.js';

/** GET /cgi-bin/ticket/getticket: the app's jsapi_ticket, for any live global token of the app. */
function getTicket({ rules, res, url: { searchParams: q } }: Call): void {
  const token = rules.globalTokens.get(q.get('access_token') ?? '');
  if (!token) return apiError(res, 40001, 'invalid credential, access_token is invalid or not latest');
  if (token.expiresAt <= rules.now()) return apiError(res, 42001, 'access_token expired');
  if (q.get('type') !== 'jsapi') return apiError(res, 40097, 'invalid args');
  // One ticket per app: the same one while it is valid, with the time it has left; a new one after.
  const now = rules.now();
  const current = rules.currentTicket.get(token.appid);
  const live = current && rules.tickets.get(current);
  if (current && live && live.expiresAt > now) {
    const expires_in = Math.floor((live.expiresAt - now) / 1000);
    return json(res, 200, { errcode: 0, errmsg: 'ok', ticket: current, expires_in });
  }
  if (current) rules.tickets.delete(current);
  // As long as the ticket in WeChat's JS-SDK signature example.
  const ticket = randomToken(86);
  rules.tickets.set(ticket, { expiresAt: now + ACCESS_TOKEN_TTL_S * 1000 });
  rules.currentTicket.set(token.appid, ticket);
  json(res, 200, { errcode: 0, errmsg: 'ok', ticket, expires_in: ACCESS_TOKEN_TTL_S });
}

/** JS-SDK tickets. */
export const tickets: Routes = {
  'GET /cgi-bin/ticket/getticket': getTicket,
};
