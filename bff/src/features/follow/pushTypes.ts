// TODO(issue 26): a copy of features/messages' door types (/work/notes/issue26-interface.md), until
// the messages room is merged; then these come from '../messages/index.js' and this file goes.

/** The decrypted XML of a push, fields as WeChat names them. */
export interface WechatPush {
  ToUserName: string;
  FromUserName: string;
  CreateTime: number;
  MsgType: string;
  Event?: string;
  EventKey?: string;
  Ticket?: string;
  MsgId?: string;
  Content?: string;
  [field: string]: unknown;
}

export type PushReply = { kind: 'text'; content: string } | { kind: 'success' };

export interface PushHandler {
  /** Returns null when the push is not this handler's (then the next handler, then the forward URL). */
  handle(push: WechatPush, ctx: { requestId: string; ip: string }): Promise<PushReply | null>;
}
