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
