import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { WechatPush } from './types.js';

// The pushes' XML (接收普通消息, 接收事件推送):
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html

/** No entity is expanded (XXE, billion laughs), values stay text, attributes are ignored (WeChat sends none). */
const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Why a body is not a push, in words for the 400's log line. */
export class PushXmlError extends Error {}

/**
 * The fields of `<xml>…</xml>`: refused when not well-formed, when it declares a DOCTYPE or an entity
 * (WeChat never does; only an attacker would), or when its root is not `xml`.
 */
export function parsePushXml(text: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new PushXmlError('a DOCTYPE or ENTITY declaration');
  if (XMLValidator.validate(text) !== true) throw new PushXmlError('not well-formed XML');
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch {
    // fast-xml-parser refuses names such as __proto__.
    throw new PushXmlError('a reserved element name');
  }
  const root = (parsed as { xml?: unknown }).xml;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new PushXmlError('no <xml> root');
  return root as Record<string, unknown>;
}

/** The fields every push has, each once (a field sent twice is an array, and refused). */
export function asPush(fields: Record<string, unknown>): WechatPush {
  for (const name of ['ToUserName', 'FromUserName', 'MsgType'] as const)
    if (typeof fields[name] !== 'string' || !fields[name]) throw new PushXmlError(`no ${name}`);
  const createTime = fields.CreateTime;
  if (typeof createTime !== 'string' || !/^\d{1,12}$/.test(createTime)) throw new PushXmlError('no CreateTime');
  for (const name of ['Event', 'EventKey', 'Ticket', 'MsgId', 'Content'] as const)
    if (fields[name] !== undefined && typeof fields[name] !== 'string') throw new PushXmlError(`${name} twice`);
  return { ...fields, CreateTime: Number(createTime) } as WechatPush;
}

/** Text in CDATA: a `]]>` inside is split across two sections, so it cannot end the first. */
export const cdata = (text: string) => `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

/**
 * A passive text reply (被动回复用户消息): to the user who wrote, from the account
 * (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html).
 */
export function textReplyXml(push: WechatPush, content: string, createTime: number): string {
  return `<xml><ToUserName>${cdata(push.FromUserName)}</ToUserName><FromUserName>${cdata(push.ToUserName)}</FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>${cdata(content)}</Content></xml>`;
}

/** The reply of 安全模式: the encrypted message, its msg_signature, timestamp and nonce. */
export function encryptedReplyXml(r: { encrypt: string; signature: string; timestamp: string; nonce: string }) {
  return `<xml><Encrypt>${cdata(r.encrypt)}</Encrypt><MsgSignature>${cdata(r.signature)}</MsgSignature><TimeStamp>${r.timestamp}</TimeStamp><Nonce>${cdata(r.nonce)}</Nonce></xml>`;
}
