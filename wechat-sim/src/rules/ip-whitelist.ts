import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4 } from 'node:net';
import type { SimApp } from '../types.js';
import { apiError } from './errors.js';

/**
 * The caller's address in both forms WeChat's 40164 errmsg names it: `1.2.3.4` and `::ffff:1.2.3.4` for an
 * IPv4 caller, as operators report it. For an IPv6 caller the documents show nothing: it is named twice.
 */
export function callerAddresses(req: IncomingMessage): { v4: string; v6: string } {
  const peer = req.socket.remoteAddress ?? '';
  const v4 = peer.replace(/^::ffff:/i, '');
  return isIPv4(v4) ? { v4, v6: `::ffff:${v4}` } : { v4: peer, v6: peer };
}

/**
 * 获取 Access token: the global access_token is only given to callers on the app's 接口IP白名单; anyone else
 * gets 40164 naming the address WeChat saw. True when the request was refused (the answer is sent).
 * Checked after the appid and the secret, so those keep their own codes.
 */
export function refusedByIpWhitelist(req: IncomingMessage, res: ServerResponse, app: SimApp): boolean {
  if (!app.ipWhitelist) return false;
  const { v4, v6 } = callerAddresses(req);
  if (app.ipWhitelist.includes(v4) || app.ipWhitelist.includes(v6)) return false;
  apiError(res, 40164, `invalid ip ${v4} ipv6 ${v6}, not in whitelist`);
  return true;
}
