/** A push as WeChat sends it, decrypted: its XML's fields as WeChat names them. */
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

/** What the account answers: a text message to the user (a passive reply), or nothing (`success`). */
export type PushReply = { kind: 'text'; content: string } | { kind: 'success' };

/** A feature that acts on some pushes (the follow login's subscribe and SCAN). */
export interface PushHandler {
  /** Returns null when the push is not this handler's (then the next handler, then the forward URL). */
  handle(push: WechatPush, ctx: { requestId: string; ip: string }): Promise<PushReply | null>;
}
