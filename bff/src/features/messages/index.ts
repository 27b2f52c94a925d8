// The Official Account's message endpoint: WeChat's pushes, checked, decrypted, deduped, handed to the
// features that claim them, and the rest forwarded to the company's own handler.
export type { PushHandler, PushReply, WechatPush } from './types.js';
export { ANSWER_WITHIN_MS, PREFLIGHT_EVENT, TIMESTAMP_TOLERANCE_S, type PushOutcome } from './messages.js';
export { createMessagesRoutes, MESSAGES_PATH } from './routes.js';
