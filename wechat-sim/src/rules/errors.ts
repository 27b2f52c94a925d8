import type { ServerResponse } from 'node:http';
import { html, json } from '../http.js';
import { randomAlnum } from '../ids.js';
import { errorPage } from '../pages.js';

/** WeChat's API answers 200 with a JSON errcode; errmsg carries a request id suffix. */
export function apiError(res: ServerResponse, errcode: number, errmsg: string): void {
  json(res, 200, { errcode, errmsg: `${errmsg}, rid: ${randomAlnum(8).toLowerCase()}` });
}

/** WeChat's pages fail as a page (status 200), not JSON; the simulator's own forms use 400. */
export function pageError(res: ServerResponse, errcode: number | null, message: string, status = 200): void {
  html(res, status, errorPage(errcode, message));
}

/** Why the simulator refuses a state WeChat's documents only describe: shown on its error page. */
export const STATE_STRICT =
  'state参数错误：最多128字节的a-zA-Z0-9。这是模拟器的检查，比微信严格：文档只说明 state 为这样的字符，真实微信对其他字符的处理并不一致，模拟器一律拒绝，好让这种链接在上线前就被发现。';
