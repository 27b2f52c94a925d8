import { json } from '../http.js';
import { randomToken } from '../ids.js';
import type { Call, Routes } from '../route.js';
import { ACCESS_TOKEN_TTL_S, apiError } from '../rules/index.js';

/** GET /cgi-bin/ticket/getticket: a jsapi_ticket for a live global token. */
function getTicket({ rules, res, url: { searchParams: q } }: Call): void {
  const token = rules.globalTokens.get(q.get('access_token') ?? '');
  if (!token) return apiError(res, 40001, 'invalid credential, access_token is invalid or not latest');
  if (token.expiresAt <= rules.now()) return apiError(res, 42001, 'access_token expired');
  if (q.get('type') !== 'jsapi') return apiError(res, 40097, 'invalid args');
  // As long as the ticket in WeChat's JS-SDK signature example.
  const ticket = randomToken(86);
  rules.tickets.set(ticket, { expiresAt: rules.now() + ACCESS_TOKEN_TTL_S * 1000 });
  json(res, 200, { errcode: 0, errmsg: 'ok', ticket, expires_in: ACCESS_TOKEN_TTL_S });
}

/** JS-SDK tickets. */
export const tickets: Routes = {
  'GET /cgi-bin/ticket/getticket': getTicket,
};
