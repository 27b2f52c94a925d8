import { createHash, randomInt } from 'node:crypto';
import { createMessageCrypto } from '../../../adapters/wechat/messageCrypto.js';

// WeChat's side of the server URL, for the tests: a push signed (and encrypted) as WeChat sends it.

export const TOKEN = 'pushTestToken2026';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const OLD_AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
export const PATH = '/api/wechat/messages';

/** sha1 over the sorted parts, written here again rather than taken from the code under test. */
export const sha1Sorted = (...parts: string[]) =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');

export type Mode = 'plaintext' | 'compatible' | 'safe';

export interface PushOptions {
  mode?: Mode;
  token?: string;
  key?: string;
  appid: string;
  /** Seconds; defaults to the BFF's clock. */
  timestamp?: number;
  nonce?: string;
  /** Corrupts the signature or msg_signature. */
  forge?: 'signature' | 'msg_signature';
}

/** The query string and body of one delivery, as WeChat makes them. */
export function delivery(xml: string, nowMs: number, o: PushOptions): { query: string; body: string } {
  const token = o.token ?? TOKEN;
  const timestamp = String(o.timestamp ?? Math.floor(nowMs / 1000));
  const nonce = o.nonce ?? String(randomInt(1e9));
  const q = new URLSearchParams({ signature: sha1Sorted(token, timestamp, nonce), timestamp, nonce });
  const openid = /<FromUserName><!\[CDATA\[([^\]]*)\]\]>/.exec(xml)?.[1];
  if (openid) q.set('openid', openid);
  if (o.forge === 'signature') q.set('signature', sha1Sorted(token, timestamp, `${nonce}0`));
  const mode = o.mode ?? 'plaintext';
  if (mode === 'plaintext') return { query: q.toString(), body: xml };
  const encrypt = createMessageCrypto({ token, appid: o.appid, keys: [o.key ?? AES_KEY] }).encrypt(xml);
  const to = /<ToUserName><!\[CDATA\[([^\]]*)\]\]>/.exec(xml)?.[1] ?? '';
  q.set('encrypt_type', 'aes');
  q.set('msg_signature', sha1Sorted(token, timestamp, nonce, o.forge === 'msg_signature' ? `${encrypt}x` : encrypt));
  const envelope = `<ToUserName><![CDATA[${to}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt>`;
  // 兼容模式: the plaintext fields come too.
  const body =
    mode === 'safe'
      ? `<xml>${envelope}</xml>`
      : xml.replace('</xml>', `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
  return { query: q.toString(), body };
}

export const eventXml = (o: { from: string; event: string; eventKey?: string; createTime?: number; ticket?: string }) =>
  `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[${o.from}]]></FromUserName><CreateTime>${o.createTime ?? 1795334400}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${o.event}]]></Event>${o.eventKey === undefined ? '' : `<EventKey><![CDATA[${o.eventKey}]]></EventKey>`}${o.ticket ? `<Ticket><![CDATA[${o.ticket}]]></Ticket>` : ''}</xml>`;

export const textXml = (o: { from: string; content: string; msgId: string; createTime?: number }) =>
  `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[${o.from}]]></FromUserName><CreateTime>${o.createTime ?? 1795334400}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${o.content}]]></Content><MsgId>${o.msgId}</MsgId></xml>`;

/** The message inside an encrypted reply, its msg_signature checked as WeChat checks it. */
export function openReply(body: string, o: { appid: string; token?: string; key?: string }): string {
  const field = (name: string) =>
    new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)(?:\\]\\]>)?</${name}>`).exec(body)?.[1] ?? '';
  const [encrypt, signature, timestamp, nonce] = ['Encrypt', 'MsgSignature', 'TimeStamp', 'Nonce'].map(field);
  if (sha1Sorted(o.token ?? TOKEN, timestamp!, nonce!, encrypt!) !== signature)
    throw new Error('reply signature wrong');
  return createMessageCrypto({ token: o.token ?? TOKEN, appid: o.appid, keys: [o.key ?? AES_KEY] }).decrypt(encrypt!);
}
