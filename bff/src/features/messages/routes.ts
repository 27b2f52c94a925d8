import Router from '@koa/router';
import type { AppState, Ctx } from '../../platform/http/context.js';
import { readRawBody } from '../../platform/http/body.js';
import { createMessages, PUSH_BODY_LIMIT, type MessagesDeps, type PushQuery, type PushResponse } from './messages.js';

/** The message endpoint's path: the URL to give in the MP backend's 服务器配置 is PUBLIC_URL + this. */
export const MESSAGES_PATH = '/api/wechat/messages';

/** The query's parameters, each given once (a parameter sent twice is not taken). */
function pushQuery(ctx: Ctx): PushQuery {
  const q: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.query)) if (typeof value === 'string') q[name] = value;
  return q;
}

function send(ctx: Ctx, answer: PushResponse): void {
  ctx.status = answer.status;
  ctx.type = answer.contentType;
  ctx.body = answer.body;
}

/**
 * `GET|POST /api/wechat/messages`: the Official Account's server URL. The GET answers the MP backend's
 * check; the POST takes WeChat's pushes, each checked before its body is read, acted on once.
 */
export function createMessagesRoutes(deps: MessagesDeps): Router<AppState> {
  const messages = createMessages(deps);
  const router = new Router<AppState>();
  router.get(MESSAGES_PATH, (ctx) => send(ctx, messages.verifyUrl(pushQuery(ctx))));
  router.post(MESSAGES_PATH, async (ctx) => {
    const query = pushQuery(ctx);
    messages.checkSignature(query);
    const body = await readRawBody(ctx, PUSH_BODY_LIMIT);
    send(
      ctx,
      await messages.receive({
        query,
        rawQuery: ctx.querystring,
        body,
        contentType: ctx.get('content-type'),
        requestId: ctx.state.requestId,
        ip: ctx.ip,
      }),
    );
  });
  return router;
}
