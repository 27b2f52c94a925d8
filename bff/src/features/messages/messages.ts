import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Kv } from '../../adapters/kv/types.js';
import type { Store } from '../../adapters/store/store.js';
import {
  createMessageCrypto,
  MessageCryptoError,
  messageSignature,
  signatureMatches,
  type MessageCrypto,
} from '../../adapters/wechat/messageCrypto.js';
import type { MessagesConfig } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Random } from '../../platform/random.js';
import type { PushHandler, WechatPush } from './types.js';
import { asPush, encryptedReplyXml, parsePushXml, PushXmlError, textReplyXml } from './xml.js';

// The Official Account's server URL (服务器配置): WeChat's checks and rules, as its documents give them.
// Verification and signature: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
// Encryption: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
// Retries, dedupe, `success`: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
// and https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html

/**
 * How far WeChat's `timestamp` may be from our clock. WeChat signs each delivery when it sends it (its
 * retries come within 15 s), so five minutes leaves room for a server's clock drifting, while a signed
 * URL captured (in a log, a proxy) stops working soon after.
 */
export const TIMESTAMP_TOLERANCE_S = 300;
/**
 * WeChat waits 5 s for an answer, then retries (three times). Handlers and the forwarded handler get until
 * 4 s after the push arrived; the rest is for writing the answer down and sending it through nginx.
 */
export const ANSWER_WITHIN_MS = 4000;
/** A retry comes within about 15 s; the answer given is kept well past that. */
const ANSWER_KEPT_MS = 10 * 60_000;
/** A push being acted on: long enough for its handlers, short enough that a crash does not hide a retry long. */
const PENDING_MS = 30_000;
/** The event of `pnpm preflight`'s test push (not WeChat's): answered by the endpoint itself. */
export const PREFLIGHT_EVENT = 'wxauth_preflight';
/**
 * How long a signed URL stays bound to the body it first came with: as long as its timestamp is taken,
 * on either side of now, and a minute more.
 */
const URL_BOUND_MS = (2 * TIMESTAMP_TOLERANCE_S + 60) * 1000;
/** The largest body read: WeChat's pushes are a few kB, three times that in 兼容模式. */
export const PUSH_BODY_LIMIT = 64 * 1024;

/**
 * The largest reply read from the forwarded handler: a passive reply is a few kB (a news item, a text of
 * 2048 bytes at most), under a third more when encrypted. Past it the handler is answered for by `success`.
 */
export const FORWARD_REPLY_LIMIT = 64 * 1024;

/** A response's body as UTF-8 text, or undefined past `limit` bytes (then no more of it is read). */
async function textUpTo(res: Response, limit: number): Promise<string | undefined> {
  if (Number(res.headers.get('content-length') ?? 0) > limit) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > limit) {
      // Leaving the loop early cancels the stream.
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What was answered to a push, kept so that its retries get the same. */
type Answer =
  | { kind: 'success' }
  /** Our passive reply, in plaintext: encrypted again for each delivery that was. */
  | { kind: 'text'; xml: string }
  /** The forwarded handler's reply, as it came. */
  | { kind: 'relay'; contentType: string; body: string };

/** An HTTP answer to WeChat. */
export interface PushResponse {
  status: number;
  contentType: string;
  body: string;
}

/** How a push ended, for the metrics' outcome label and the log. */
export type PushOutcome =
  | 'claimed'
  | 'forwarded'
  | 'unclaimed'
  | 'retry'
  | 'handler_timeout'
  | 'handler_error'
  | 'forward_timeout'
  | 'forward_error'
  | 'forward_status'
  | 'forward_too_large';

export interface PushQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
  encrypt_type?: string;
  msg_signature?: string;
}

export interface IncomingPush {
  query: PushQuery;
  /** The query string as it came, for the forwarded request. */
  rawQuery: string;
  body: string;
  contentType: string;
  requestId: string;
  ip: string;
}

export interface MessagesDeps {
  config: MessagesConfig;
  /** The Official Account's appid: what an encrypted push must carry. */
  appid: string;
  kv: Kv;
  store: Store;
  log: Logger;
  metrics: Metrics;
  random: Random;
  now: () => number;
  handlers: PushHandler[];
  fetch?: typeof fetch;
}

const SUCCESS: PushResponse = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' };
const refused = (status: number, code: 'PUSH_SIGNATURE_INVALID' | 'PUSH_STALE') => new AppError(status, code);
const invalid = () => new AppError(400, 'PUSH_INVALID');

export type Messages = ReturnType<typeof createMessages>;

export function createMessages(deps: MessagesDeps) {
  const { config, appid, kv, store, log, metrics, random, now, handlers } = deps;
  const doFetch = deps.fetch ?? fetch;
  const crypto: MessageCrypto | null = config.aesKeys.length
    ? createMessageCrypto({ token: config.token, appid, keys: config.aesKeys })
    : null;
  /** A signature over the token and `parts`, as WeChat makes it: lowercase hex, compared in constant time. */
  const signed = (given: string, parts: string[]) =>
    /^[0-9a-f]{40}$/.test(given) && signatureMatches(given, messageSignature([config.token, ...parts]));

  /** The plain signature over token, timestamp and nonce, and a timestamp near now: before any body is read. */
  function checkSignature(q: PushQuery): void {
    const { signature = '', timestamp = '', nonce = '' } = q;
    if (!/^\d{1,12}$/.test(timestamp) || !/^[A-Za-z0-9]{1,64}$/.test(nonce))
      throw refused(401, 'PUSH_SIGNATURE_INVALID');
    if (!signed(signature, [timestamp, nonce])) throw refused(401, 'PUSH_SIGNATURE_INVALID');
    if (Math.abs(now() / 1000 - Number(timestamp)) > TIMESTAMP_TOLERANCE_S) throw refused(403, 'PUSH_STALE');
  }

  /** The push inside the body: decrypted (and its msg_signature checked) when WeChat encrypted it. */
  function readPush(q: PushQuery, body: string): { push: WechatPush; encrypted: boolean; key: number } {
    const fields = parsePushXml(body);
    if (q.encrypt_type !== 'aes') return { push: asPush(fields), encrypted: false, key: 0 };
    const encrypt = fields.Encrypt;
    if (typeof encrypt !== 'string') throw invalid();
    if (!signed(q.msg_signature ?? '', [q.timestamp!, q.nonce!, encrypt])) throw refused(401, 'PUSH_SIGNATURE_INVALID');
    // In 兼容模式 the plaintext fields come too, outside the signature: only the decrypted ones count.
    if (!crypto) throw new AppError(400, 'PUSH_UNDECRYPTABLE', 'encrypted push, but WX_MESSAGE_AES_KEYS is not set');
    let opened: { message: string; key: number };
    try {
      opened = crypto.open(encrypt);
    } catch (err) {
      if (err instanceof MessageCryptoError) throw new AppError(400, 'PUSH_UNDECRYPTABLE', err.message);
      throw err;
    }
    return { push: asPush(parsePushXml(opened.message)), encrypted: true, key: opened.key };
  }

  const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

  /**
   * The URL's signature covers token, timestamp and nonce, never the body: a signed query string seen
   * once (a proxy's log, the forwarded handler's) would carry any body, in plaintext, until its timestamp
   * is stale; and in safe mode, with encrypt_type and msg_signature dropped, a plaintext body beside it.
   * So each signed query is bound, cluster-wide, to the first body it came with: the same delivery again
   * (WeChat's retry) passes and is deduped; another body under it is refused.
   */
  async function bindUrl(q: PushQuery, body: string): Promise<void> {
    const key = `wx:push-url:${appid}:${sha256(`${q.timestamp}:${q.nonce}`)}`;
    const digest = sha256(body);
    if (await kv.setIfAbsent(key, digest, URL_BOUND_MS)) return;
    if ((await kv.get<string>(key)) !== digest)
      throw new AppError(401, 'PUSH_SIGNATURE_INVALID', 'this signed URL came with another body before');
  }

  /** The push's identity for dedupe: MsgId for messages, the sender and time (and event) for events. */
  function pushId(push: WechatPush): string {
    const msgId = push.MsgId ?? push.MsgID;
    const id =
      typeof msgId === 'string' && msgId
        ? `m:${msgId}`
        : `e:${push.FromUserName}:${push.CreateTime}:${push.Event ?? ''}:${push.EventKey ?? ''}`;
    return `wx:push:${appid}:${createHash('sha256').update(id).digest('base64url')}`;
  }

  /**
   * An answer as WeChat gets it: our reply encrypted when the push was, with the key the push came with:
   * during a key change that is the one WeChat holds now, whichever of WX_MESSAGE_AES_KEYS it is.
   */
  function respond(answer: Answer, encrypted: boolean, key = 0): PushResponse {
    if (answer.kind === 'success') return SUCCESS;
    if (answer.kind === 'relay') return { status: 200, contentType: answer.contentType, body: answer.body };
    if (!encrypted || !crypto) return { status: 200, contentType: 'application/xml; charset=utf-8', body: answer.xml };
    const timestamp = String(Math.floor(now() / 1000));
    const nonce = random.digits(10);
    const encrypt = crypto.encrypt(answer.xml, undefined, key);
    const xml = encryptedReplyXml({ encrypt, signature: crypto.sign(timestamp, nonce, encrypt), timestamp, nonce });
    return { status: 200, contentType: 'application/xml; charset=utf-8', body: xml };
  }

  /** Waits until the first delivery of a retried push has its answer, or the deadline. */
  async function answerOf(key: string, deadline: number): Promise<Answer | undefined> {
    for (;;) {
      const kept = await kv.get<Answer | { kind: 'pending' }>(key);
      if (kept && kept.kind !== 'pending') return kept;
      if (performance.now() + 100 > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** `promise`'s value, or 'timeout' at the deadline (the promise goes on, its result unused). */
  function within<T>(promise: Promise<T>, deadline: number): Promise<T | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - performance.now()));
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  /** The company's own handler: the push as it came, its reply as it comes back, within the deadline. */
  async function forward(incoming: IncomingPush, deadline: number): Promise<{ answer: Answer; outcome: PushOutcome }> {
    const url = `${config.forwardUrl}${incoming.rawQuery ? `?${incoming.rawQuery}` : ''}`;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': incoming.contentType || 'text/xml' },
        body: incoming.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(Math.max(1, Math.floor(deadline - performance.now()))),
      });
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel();
        return { answer: { kind: 'success' }, outcome: 'forward_status' };
      }
      const body = await textUpTo(res, FORWARD_REPLY_LIMIT);
      if (body === undefined) return { answer: { kind: 'success' }, outcome: 'forward_too_large' };
      const contentType = res.headers.get('content-type') ?? 'text/plain; charset=utf-8';
      return { answer: { kind: 'relay', contentType, body }, outcome: 'forwarded' };
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      return { answer: { kind: 'success' }, outcome: timeout ? 'forward_timeout' : 'forward_error' };
    }
  }

  /** Acts on a first delivery: our own rule (unsubscribe), the handlers in order, then the forward URL. */
  async function act(push: WechatPush, incoming: IncomingPush, deadline: number) {
    // 取消关注: the host hears of it; the binding and the customer stay as they are.
    if (push.MsgType === 'event' && push.Event === 'unsubscribe')
      await store.recordUnsubscribed(appid, push.FromUserName);
    const ctx = { requestId: incoming.requestId, ip: incoming.ip };
    for (const handler of handlers) {
      let reply;
      try {
        reply = await within(handler.handle(push, ctx), deadline);
      } catch (err) {
        log.error({ err, requestId: incoming.requestId }, 'push handler failed; answered success');
        return { answer: { kind: 'success' } as Answer, outcome: 'handler_error' as PushOutcome };
      }
      if (reply === 'timeout')
        return { answer: { kind: 'success' } as Answer, outcome: 'handler_timeout' as PushOutcome };
      if (reply === null) continue;
      const answer: Answer =
        reply.kind === 'text'
          ? { kind: 'text', xml: textReplyXml(push, reply.content, Math.floor(now() / 1000)) }
          : reply;
      return { answer, outcome: 'claimed' as PushOutcome };
    }
    if (config.forwardUrl) return forward(incoming, deadline);
    return { answer: { kind: 'success' } as Answer, outcome: 'unclaimed' as PushOutcome };
  }

  return {
    /** GET: the MP backend checks the URL when 服务器配置 is saved; the answer is `echostr`. */
    verifyUrl(q: PushQuery): PushResponse {
      checkSignature(q);
      const echostr = q.echostr ?? '';
      if (!/^[A-Za-z0-9]{1,128}$/.test(echostr)) throw refused(401, 'PUSH_SIGNATURE_INVALID');
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: echostr };
    },

    checkSignature,

    /** POST: a push, its body read and the plain signature checked already. */
    async receive(incoming: IncomingPush): Promise<PushResponse> {
      const started = performance.now();
      const deadline = started + ANSWER_WITHIN_MS;
      let read;
      try {
        read = readPush(incoming.query, incoming.body);
      } catch (err) {
        if (err instanceof PushXmlError)
          throw new AppError(400, 'PUSH_INVALID', `expected a WeChat push: ${err.message}`);
        throw err;
      }
      const { push, encrypted, key: aesKey } = read;
      await bindUrl(incoming.query, incoming.body);
      // pnpm preflight's test push: signed with the token (and encrypted), so only the operator can send
      // it; answered here, never handed to a handler nor forwarded, its EventKey echoed to prove the keys.
      if (push.MsgType === 'event' && push.Event === PREFLIGHT_EVENT) {
        const xml = textReplyXml(push, `preflight:${push.EventKey ?? ''}`, Math.floor(now() / 1000));
        return respond({ kind: 'text', xml }, encrypted, aesKey);
      }
      const key = pushId(push);
      const what = { requestId: incoming.requestId, msgType: push.MsgType, event: push.Event, encrypted };
      if (!(await kv.setIfAbsent(key, { kind: 'pending' }, PENDING_MS))) {
        // WeChat's retry (or the same push at another instance): acted on once, answered the same.
        metrics.push('retry');
        log.info({ ...what, outcome: 'retry' }, 'push retried: answered as before');
        return respond((await answerOf(key, deadline)) ?? { kind: 'success' }, encrypted, aesKey);
      }
      let acted;
      try {
        acted = await act(push, incoming, deadline);
      } catch (err) {
        // Not acted on: WeChat's retry may try again.
        await kv.del(key);
        throw err;
      }
      await kv.set(key, acted.answer, ANSWER_KEPT_MS);
      metrics.push(acted.outcome);
      const ms = Math.round(performance.now() - started);
      if (/_(timeout|error|status|too_large)$/.test(acted.outcome))
        log.warn({ ...what, outcome: acted.outcome, ms }, 'push answered success: the handler was slow or failed');
      else log.info({ ...what, outcome: acted.outcome, ms }, 'push');
      return respond(acted.answer, encrypted, aesKey);
    },
  };
}
