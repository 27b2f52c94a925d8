import { createHash, randomBytes, randomInt } from 'node:crypto';
import QRCode from 'qrcode';
import { html, json, readBody, readJson, redirectTo } from '../http.js';
import { chatPage, scanPage } from '../pages.js';
import type { Call, Routes } from '../route.js';
import { apiError, currentUser, isFollower, USER_ID, type PushMode, type ServerConfig } from '../rules/index.js';
import type { Rules } from '../rules/index.js';
import { decryptMessage, encryptMessage, sortedSha1 } from '../rules/message-crypto.js';

// The Official Account's side of WeChat that a server URL sees:
// 生成带参数的二维码 https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
// 接收事件推送 https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
// 被动回复用户消息 https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
// 消息加解密说明 https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html

/** Temporary codes live at most 30 days; without expire_seconds, 60 seconds. */
const MAX_EXPIRE_SECONDS = 2_592_000;
const DEFAULT_EXPIRE_SECONDS = 60;
/** "微信服务器在五秒内收不到响应会断掉连接，并且重新发起请求，总共重试三次": three deliveries at most. */
const DELIVERIES = 3;
/** What WeChat shows the user when the server's answer is not a reply it can use. */
const UNAVAILABLE = '该公众号暂时无法提供服务，请稍后再试';

/** The account's original id (原始ID, `gh_…`): the ToUserName of its pushes. */
export const originalIdOf = (appid: string) => `gh_${createHash('sha256').update(appid).digest('hex').slice(0, 12)}`;

const SCENE_STR = /^[\s\S]{1,64}$/;

/** POST /cgi-bin/qrcode/create: a temporary or permanent parametric QR code for a live global token. */
async function createQrCode({ rules, req, res, url }: Call): Promise<void> {
  const token = rules.globalTokens.get(url.searchParams.get('access_token') ?? '');
  if (!token) return apiError(res, 40001, 'invalid credential, access_token is invalid or not latest');
  if (token.expiresAt <= rules.now()) return apiError(res, 42001, 'access_token expired');
  const body = await readJson<Record<string, unknown>>(req);
  if (!body || typeof body !== 'object') return apiError(res, 47001, 'data format error');
  const action = body.action_name;
  const scene = (body.action_info as { scene?: Record<string, unknown> } | undefined)?.scene ?? {};
  let value: string | undefined;
  if (action === 'QR_SCENE' || action === 'QR_LIMIT_SCENE') {
    const id = scene.scene_id;
    // 临时: a 32-bit non-zero integer; 永久: 1 to 100000.
    const max = action === 'QR_SCENE' ? 4_294_967_295 : 100_000;
    if (typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= max) value = String(id);
  } else if (action === 'QR_STR_SCENE' || action === 'QR_LIMIT_STR_SCENE') {
    const str = scene.scene_str;
    if (typeof str === 'string' && SCENE_STR.test(str)) value = str;
  } else return apiError(res, 40052, 'invalid action name');
  if (value === undefined) return apiError(res, 40053, 'invalid action info');

  const temporary = action === 'QR_SCENE' || action === 'QR_STR_SCENE';
  const asked = body.expire_seconds;
  if (asked !== undefined && (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 1))
    return apiError(res, 40009, 'invalid expire_seconds');
  // More than 30 days is cut to 30 days (the document's "最大不超过2592000").
  const expireSeconds = Math.min((asked as number | undefined) ?? DEFAULT_EXPIRE_SECONDS, MAX_EXPIRE_SECONDS);
  // Like WeChat's: Base64 with + / =, so a client must URL-encode it for showqrcode.
  const ticket = `gQ${randomBytes(60).toString('base64')}`;
  const qrUrl = `http://${req.headers.host ?? 'weixin.qq.com'}/q/${randomBytes(12).toString('base64url')}`;
  rules.oa.qrTickets.set(ticket, {
    appid: token.appid,
    scene: value,
    expiresAt: temporary ? rules.now() + expireSeconds * 1000 : null,
    url: qrUrl,
  });
  json(res, 200, temporary ? { ticket, expire_seconds: expireSeconds, url: qrUrl } : { ticket, url: qrUrl });
}

/** The live code a ticket names, or undefined (unknown or expired). */
const liveTicket = (rules: Rules, ticket: string) => {
  const qr = rules.oa.qrTickets.get(ticket);
  return qr && (qr.expiresAt === null || qr.expiresAt > rules.now()) ? qr : undefined;
};

/** GET /cgi-bin/showqrcode?ticket=: the code as a PNG image (mp.weixin.qq.com's path). */
async function showQrCode({ rules, res, url }: Call): Promise<void> {
  const qr = liveTicket(rules, url.searchParams.get('ticket') ?? '');
  // WeChat answers an unknown or expired ticket without an image; the simulator says so in JSON.
  if (!qr) return json(res, 404, { errcode: 40007, errmsg: 'invalid ticket or ticket expired' });
  const png = await QRCode.toBuffer(qr.url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'max-age=60' });
  res.end(png);
}

/** What one delivery came to. */
interface Delivery {
  delivered: boolean;
  attempts: number;
  reply: { msgType: string; content: string } | null;
  /** Why the answer was not a reply WeChat could use (the user then sees 该公众号暂时无法提供服务). */
  error?: string;
}

/** A field of a flat reply XML: its text, CDATA sections joined. */
function field(xml: string, name: string): string | undefined {
  const inner = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
  return inner?.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
}

/**
 * Pushes `xml` to the account's server URL as WeChat does: signed, encrypted in 兼容/安全模式, delivered
 * again when no answer comes within 5 s (three deliveries at most); the passive reply read as WeChat
 * reads it, and put in the user's chat.
 */
async function deliver(
  rules: Rules,
  appid: string,
  user: string,
  xml: string,
  server: ServerConfig,
): Promise<Delivery> {
  const openid = rules.openidOf(appid, user);
  for (let attempt = 1; attempt <= DELIVERIES; attempt++) {
    const timestamp = String(Math.floor(rules.now() / 1000));
    const nonce = String(randomInt(1_000_000_000));
    const q = new URLSearchParams({ signature: sortedSha1(server.token, timestamp, nonce), timestamp, nonce, openid });
    let body = xml;
    if (server.mode !== 'plaintext') {
      const encrypt = encryptMessage(server.encodingAESKey!, appid, xml);
      q.set('encrypt_type', 'aes');
      q.set('msg_signature', sortedSha1(server.token, timestamp, nonce, encrypt));
      const envelope = `<ToUserName><![CDATA[${originalIdOf(appid)}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt>`;
      body =
        server.mode === 'safe'
          ? `<xml>${envelope}</xml>`
          : xml.replace(/<\/xml>$/, `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
    }
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${server.url}${server.url.includes('?') ? '&' : '?'}${q}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(rules.pushTimeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch {
      continue; // no answer in time (or none at all): WeChat delivers again
    }
    if (status !== 200) return fail(rules, appid, user, attempt, `HTTP ${status}`);
    const reply = readReply(text, server, appid, openid);
    if ('error' in reply) return fail(rules, appid, user, attempt, reply.error);
    if (reply.none) return { delivered: true, attempts: attempt, reply: null };
    rules.oa.chatOf(appid, user).push({ from: 'account', ...reply.message, at: rules.now() });
    return { delivered: true, attempts: attempt, reply: reply.message };
  }
  return { delivered: false, attempts: DELIVERIES, reply: null, error: `no answer within ${rules.pushTimeoutMs} ms` };
}

function fail(rules: Rules, appid: string, user: string, attempts: number, error: string): Delivery {
  rules.oa.chatOf(appid, user).push({ from: 'account', msgType: 'system', content: UNAVAILABLE, at: rules.now() });
  return { delivered: true, attempts, reply: null, error };
}

/** A server's answer as WeChat reads it: nothing to say ("success" or empty), a reply, or unusable. */
function readReply(
  text: string,
  server: ServerConfig,
  appid: string,
  openid: string,
): { none: true } | { none: false; message: { msgType: string; content: string } } | { error: string } {
  if (text === '' || text === 'success') return { none: true };
  let xml = text;
  const encrypt = field(text, 'Encrypt');
  if (encrypt !== undefined) {
    if (server.mode === 'plaintext') return { error: 'an encrypted reply in plaintext mode' };
    const [signature, timestamp, nonce] = ['MsgSignature', 'TimeStamp', 'Nonce'].map((n) => field(text, n) ?? '');
    if (sortedSha1(server.token, timestamp!, nonce!, encrypt) !== signature)
      return { error: 'reply MsgSignature wrong' };
    try {
      const opened = decryptMessage(server.encodingAESKey!, encrypt);
      if (opened.appid !== appid) return { error: 'reply encrypted for another appid' };
      xml = opened.message;
    } catch {
      return { error: 'reply Encrypt does not decrypt' };
    }
  } else if (server.mode === 'safe') return { error: 'a plaintext reply in safe mode' };
  if (field(xml, 'ToUserName') !== openid) return { error: "reply ToUserName is not the user's openid" };
  if (field(xml, 'FromUserName') !== originalIdOf(appid)) return { error: "reply FromUserName is not the account's" };
  const msgType = field(xml, 'MsgType');
  if (!msgType) return { error: 'reply without MsgType' };
  const content = msgType === 'text' ? field(xml, 'Content') : (field(xml, 'Title') ?? '');
  if (content === undefined) return { error: 'text reply without Content' };
  return { none: false, message: { msgType, content } };
}

const follows = (rules: Rules, appid: string, user: string) =>
  rules.oa.follows.get(`${appid}:${user}`) ?? isFollower(user);

/** An event push, as 接收事件推送 shows it. */
function eventXml(
  rules: Rules,
  appid: string,
  user: string,
  event: string,
  extra: Record<string, string> = {},
): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
    .join('');
  return `<xml><ToUserName><![CDATA[${originalIdOf(appid)}]]></ToUserName><FromUserName><![CDATA[${rules.openidOf(appid, user)}]]></FromUserName><CreateTime>${Math.floor(rules.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${fields}</xml>`;
}

/** The official app a control names, with its server configuration; else the error is sent. */
function configured(rules: Rules, res: Call['res'], appid: unknown): ServerConfig | undefined {
  const app = typeof appid === 'string' ? rules.apps.get(appid) : undefined;
  if (!app || app.kind !== 'official') return void json(res, 400, { error: 'appid: no such Official Account' });
  const server = rules.oa.servers.get(app.appid);
  if (!server) return void json(res, 409, { error: 'the account has no server URL: POST /__sim/oa/server first' });
  return server;
}

/** A scan of a live code by `user`: `subscribe` for a new follower (who follows from then on), else `SCAN`. */
async function scanAs(rules: Rules, appid: string, ticket: string, user: string, server: ServerConfig) {
  const qr = liveTicket(rules, ticket)!;
  const follower = follows(rules, appid, user);
  if (!follower) rules.oa.follows.set(`${appid}:${user}`, true);
  const xml = follower
    ? eventXml(rules, appid, user, 'SCAN', { EventKey: qr.scene, Ticket: ticket })
    : eventXml(rules, appid, user, 'subscribe', { EventKey: `qrscene_${qr.scene}`, Ticket: ticket });
  return { event: follower ? 'SCAN' : 'subscribe', ...(await deliver(rules, appid, user, xml, server)) };
}

/** POST /__sim/oa/scan {appid, ticket, user}: the user scans the code in WeChat. */
async function scan({ rules, req, res }: Call): Promise<void> {
  const body = await readJson<Record<string, unknown>>(req);
  const server = configured(rules, res, body?.appid);
  if (!server || !body) return;
  const appid = body.appid as string;
  const user = typeof body.user === 'string' && USER_ID.test(body.user) ? body.user : undefined;
  if (!user) return json(res, 400, { error: 'user: 1 to 64 letters, digits, _ and -' });
  const qr = typeof body.ticket === 'string' ? liveTicket(rules, body.ticket) : undefined;
  if (!qr || qr.appid !== appid) return json(res, 400, { error: "ticket: not a live code of this account's" });
  json(res, 200, await scanAs(rules, appid, body.ticket as string, user, server));
}

/** POST /__sim/oa/unfollow {appid, user}: 取消关注, pushed as `unsubscribe`. */
async function unfollow({ rules, req, res }: Call): Promise<void> {
  const body = await readJson<Record<string, unknown>>(req);
  const server = configured(rules, res, body?.appid);
  if (!server || !body) return;
  const appid = body.appid as string;
  const user = typeof body.user === 'string' && USER_ID.test(body.user) ? body.user : undefined;
  if (!user) return json(res, 400, { error: 'user: 1 to 64 letters, digits, _ and -' });
  if (!follows(rules, appid, user)) return json(res, 409, { error: 'the user does not follow the account' });
  rules.oa.follows.set(`${appid}:${user}`, false);
  json(
    res,
    200,
    await deliver(rules, appid, user, eventXml(rules, appid, user, 'unsubscribe', { EventKey: '' }), server),
  );
}

/** POST /__sim/oa/message {appid, user, content}: the user writes to the account (a text message, with a MsgId). */
async function message({ rules, req, res }: Call): Promise<void> {
  const body = await readJson<Record<string, unknown>>(req);
  const server = configured(rules, res, body?.appid);
  if (!server || !body) return;
  const appid = body.appid as string;
  const user = typeof body.user === 'string' && USER_ID.test(body.user) ? body.user : undefined;
  const content = typeof body.content === 'string' && body.content.length <= 2048 ? body.content : undefined;
  if (!user || !content) return json(res, 400, { error: 'expected {appid, user, content}' });
  rules.oa.chatOf(appid, user).push({ from: 'user', msgType: 'text', content, at: rules.now() });
  const msgId = String(BigInt(rules.now()) * 1000n + BigInt(randomInt(1000)));
  const xml = `<xml><ToUserName><![CDATA[${originalIdOf(appid)}]]></ToUserName><FromUserName><![CDATA[${rules.openidOf(appid, user)}]]></FromUserName><CreateTime>${Math.floor(rules.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content.replaceAll(']]>', ']]]]><![CDATA[>')}]]></Content><MsgId>${msgId}</MsgId></xml>`;
  json(res, 200, await deliver(rules, appid, user, xml, server));
}

const MODES: PushMode[] = ['plaintext', 'compatible', 'safe'];

/**
 * The MP backend's check when 服务器配置 is submitted (接入指南, 第二步): a GET to the URL with signature,
 * timestamp, nonce and echostr; the configuration takes effect only when echostr comes back as it was
 * sent, whatever the mode. https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
 * Returns why it failed, or undefined.
 */
async function checkUrl(rules: Rules, server: ServerConfig): Promise<string | undefined> {
  const timestamp = String(Math.floor(rules.now() / 1000));
  const nonce = String(randomInt(1_000_000_000));
  const echostr = String(randomInt(1e9, 2 ** 47));
  const q = new URLSearchParams({ signature: sortedSha1(server.token, timestamp, nonce), timestamp, nonce, echostr });
  try {
    const res = await fetch(`${server.url}${server.url.includes('?') ? '&' : '?'}${q}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(rules.pushTimeoutMs),
    });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}`;
    return text === echostr ? undefined : 'the answer was not echostr';
  } catch {
    return `no answer within ${rules.pushTimeoutMs} ms`;
  }
}

/** POST /__sim/oa/server {appid, url, token, encodingAESKey?, mode}: the account's 服务器配置, saved once its URL passes the check. */
async function setServer({ rules, req, res }: Call): Promise<void> {
  const body = await readJson<Record<string, unknown>>(req);
  const app = typeof body?.appid === 'string' ? rules.apps.get(body.appid) : undefined;
  if (!body || !app || app.kind !== 'official') return json(res, 400, { error: 'appid: no such Official Account' });
  const { url, token, encodingAESKey, mode } = body;
  let target: URL | undefined;
  try {
    target = new URL(String(url));
  } catch {
    target = undefined;
  }
  // The MP backend's own rules: an http(s) URL, a 3-32 character token, a 43-character key.
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:'))
    return json(res, 400, { error: 'url: an http(s) URL' });
  if (typeof token !== 'string' || !/^[A-Za-z0-9]{3,32}$/.test(token))
    return json(res, 400, { error: 'token: 3 to 32 letters and digits' });
  if (!MODES.includes(mode as PushMode)) return json(res, 400, { error: 'mode: plaintext, compatible or safe' });
  if (mode !== 'plaintext' && (typeof encodingAESKey !== 'string' || !/^[A-Za-z0-9]{43}$/.test(encodingAESKey)))
    return json(res, 400, { error: 'encodingAESKey: 43 letters and digits, needed in compatible and safe mode' });
  const server: ServerConfig = { url: target.href, token, mode: mode as PushMode };
  if (typeof encodingAESKey === 'string') server.encodingAESKey = encodingAESKey;
  const failed = await checkUrl(rules, server);
  if (failed) return json(res, 400, { error: `url: the check failed (${failed}); nothing was saved` });
  rules.oa.servers.set(app.appid, server);
  json(res, 200, { appid: app.appid, url: server.url, mode: server.mode, originalId: originalIdOf(app.appid) });
}

/** GET /__sim/oa/followers?appid=: who follows (set here, or named `follower-…`); POST {appid, user, follows}. */
function listFollowers({ rules, res, url }: Call): void {
  const appid = url.searchParams.get('appid') ?? '';
  const set = [...rules.oa.follows]
    .filter(([k, v]) => v && k.startsWith(`${appid}:`))
    .map(([k]) => k.slice(appid.length + 1));
  json(res, 200, { appid, followers: set, note: 'users named follower-… follow unless set otherwise' });
}

async function setFollower({ rules, req, res }: Call): Promise<void> {
  const body = await readJson<Record<string, unknown>>(req);
  const app = typeof body?.appid === 'string' ? rules.apps.get(body.appid) : undefined;
  if (!body || !app || app.kind !== 'official') return json(res, 400, { error: 'appid: no such Official Account' });
  if (typeof body.user !== 'string' || !USER_ID.test(body.user) || typeof body.follows !== 'boolean')
    return json(res, 400, { error: 'expected {appid, user, follows: boolean}' });
  // Set quietly, as an account that existed before: no push.
  rules.oa.follows.set(`${app.appid}:${body.user}`, body.follows);
  json(res, 200, { appid: app.appid, user: body.user, follows: body.follows });
}

function chatOf(call: Call) {
  const q = call.url.searchParams;
  const appid = q.get('appid') ?? '';
  const user = q.get('user') ?? currentUser(call.req, q, call.res);
  if (!call.rules.apps.has(appid) || !USER_ID.test(user)) return undefined;
  return { appid, user, lines: call.rules.oa.chats.get(`${appid}:${user}`) ?? [] };
}

/** GET /__sim/oa/chat?appid=&user=: the user's chat with the account. */
function chat(call: Call): void {
  const found = chatOf(call);
  if (!found) return json(call.res, 400, { error: 'expected ?appid=<an app>&user=<a user>' });
  json(call.res, 200, found.lines);
}

/** GET /__sim/oa/chat/view?appid=&user=: the chat as the user's phone shows it (links clickable). */
function chatView(call: Call): void {
  const found = chatOf(call);
  if (!found) return json(call.res, 400, { error: 'expected ?appid=<an app>&user=<a user>' });
  const app = call.rules.apps.get(found.appid)!;
  html(call.res, 200, chatPage(app.name ?? app.appid, found.user, found.lines));
}

/** GET /q/<code>: what a phone opens when it scans the code: a page that scans as this browser's user. */
function qrLanding({ rules, req, res, url }: Call): void {
  const code = url.pathname.slice(3);
  const entry = [...rules.oa.qrTickets].find(([, qr]) => qr.url.endsWith(`/q/${code}`));
  const qr = entry && liveTicket(rules, entry[0]);
  if (!entry || !qr) return html(res, 404, scanPage(null));
  const user = currentUser(req, url.searchParams, res);
  const app = rules.apps.get(qr.appid)!;
  html(res, 200, scanPage({ account: app.name ?? app.appid, user, ticket: entry[0], appid: qr.appid }));
}

/** POST /q/scan: the landing page's button; then the user's chat with the account. */
async function qrScan({ rules, req, res }: Call): Promise<void> {
  const form = new URLSearchParams(await readBody(req));
  const appid = form.get('appid') ?? '';
  const ticket = form.get('ticket') ?? '';
  const user = form.get('user') ?? '';
  const server = rules.oa.servers.get(appid);
  const qr = liveTicket(rules, ticket);
  if (!server || !qr || qr.appid !== appid || !USER_ID.test(user)) return html(res, 400, scanPage(null));
  await scanAs(rules, appid, ticket, user, server);
  redirectTo(res, `/__sim/oa/chat/view?${new URLSearchParams({ appid, user })}`);
}

/** WeChat's API for parametric codes, and the page a scanned code opens. */
export const officialAccount: Routes = {
  'POST /cgi-bin/qrcode/create': createQrCode,
  'GET /cgi-bin/showqrcode': showQrCode,
  'GET /q/*': qrLanding,
  'POST /q/scan': qrScan,
};

/** The simulator's controls for the account's side: its server URL, followers, scans and chats. */
export const officialAccountControls: Routes = {
  'POST /__sim/oa/server': setServer,
  'GET /__sim/oa/followers': listFollowers,
  'POST /__sim/oa/followers': setFollower,
  'POST /__sim/oa/scan': scan,
  'POST /__sim/oa/unfollow': unfollow,
  'POST /__sim/oa/message': message,
  'GET /__sim/oa/chat': chat,
  'GET /__sim/oa/chat/view': chatView,
};
