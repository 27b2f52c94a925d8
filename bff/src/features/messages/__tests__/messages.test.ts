import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, startBff, type TestOptions } from '../../../__tests__/harness.js';
import { createMessageCrypto } from '../../../adapters/wechat/messageCrypto.js';
import type { PushHandler, WechatPush } from '../index.js';
import {
  AES_KEY,
  delivery,
  eventXml,
  OLD_AES_KEY,
  openReply,
  PATH,
  sha1Sorted,
  textXml,
  TOKEN,
  type PushOptions,
} from './wechat.js';

const ENV = { WX_MESSAGE_TOKEN: TOKEN, WX_MESSAGE_AES_KEYS: AES_KEY };

async function start(options: TestOptions = {}) {
  const bff = await startBff({ ...options, env: { ...ENV, ...options.env } });
  /** One delivery of `xml`, as WeChat makes it (signed now, encrypted in the mode). */
  const push = (xml: string, o: Partial<PushOptions> = {}) => {
    const { query, body } = delivery(xml, bff.now(), { appid: APP.appid, ...o });
    return fetch(`${bff.origin}${PATH}?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  };
  const metric = async (outcome: string) => {
    const text = await (await fetch(`${bff.origin}/metrics`)).text();
    return Number(new RegExp(`wxauth_wechat_pushes_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };
  return { ...bff, push, metric };
}

/** A handler that claims `subscribe` with a text reply, counting what it saw. */
function subscribeHandler(reply = '欢迎') {
  const seen: WechatPush[] = [];
  const handler: PushHandler = {
    async handle(push) {
      seen.push(push);
      return push.Event === 'subscribe' ? { kind: 'text', content: reply } : null;
    },
  };
  return { handler, seen };
}

/** The company's existing handler: a real HTTP server that checks WeChat's signature itself, as it would. */
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

interface Received {
  url: URL;
  body: string;
  contentType: string | undefined;
  signatureOk: boolean;
}

async function existingHandler(
  answer: (r: Received) => { status?: number; body: string; type?: string; delayMs?: number },
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://handler');
      const q = url.searchParams;
      const signatureOk = sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!) === q.get('signature');
      const r = { url, body: Buffer.concat(chunks).toString(), contentType: req.headers['content-type'], signatureOk };
      received.push(r);
      const a = answer(r);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(a.status ?? (signatureOk ? 200 : 401), { 'content-type': a.type ?? 'application/xml' });
        res.end(signatureOk ? a.body : 'bad signature');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`, received };
}

const verify = (bff: { origin: string; now: () => number }, o: { token?: string; timestamp?: number } = {}) => {
  const timestamp = String(o.timestamp ?? Math.floor(bff.now() / 1000));
  const nonce = '1514711492';
  const signature = sha1Sorted(o.token ?? TOKEN, timestamp, nonce);
  return fetch(
    `${bff.origin}${PATH}?${new URLSearchParams({ signature, timestamp, nonce, echostr: '5867398318457432931' })}`,
  );
};

describe("the MP backend's URL check (GET)", () => {
  it('answers echostr as text when the signature is right', async () => {
    const bff = await start();
    const res = await verify(bff);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('5867398318457432931');
  });

  it('a wrong token, a stale timestamp or a missing part: refused, and echostr never echoed', async () => {
    const bff = await start();
    const wrong = await verify(bff, { token: 'someoneElsesToken' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('5867398318457432931');
    const stale = await verify(bff, { timestamp: Math.floor(bff.now() / 1000) - 301 });
    expect(stale.status).toBe(403);
    expect(await stale.text()).not.toContain('5867398318457432931');
    // Within the tolerance either way: a clock a few minutes off still works.
    expect((await verify(bff, { timestamp: Math.floor(bff.now() / 1000) + 299 })).status).toBe(200);
    expect((await fetch(`${bff.origin}${PATH}?echostr=1`)).status).toBe(401);
  });

  it('is not there without WX_MESSAGE_TOKEN', async () => {
    const bff = await startBff();
    expect((await verify(bff)).status).toBe(404);
    expect((await fetch(`${bff.origin}${PATH}`, { method: 'POST', body: '<xml/>' })).status).toBe(404);
  });
});

describe('pushes (POST) in the three modes', () => {
  it('plaintext: a claimed subscribe gets the passive text reply, to the user from the account', async () => {
    const { handler, seen } = subscribeHandler('欢迎 <关注> ]]> & 再见');
    const bff = await start({ pushHandlers: [handler] });
    const res = await bff.push(eventXml({ from: 'oUser1', event: 'subscribe', eventKey: 'qrscene_x', ticket: 'T1' }));
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toMatch(
      /^<xml><ToUserName><!\[CDATA\[oUser1\]\]><\/ToUserName><FromUserName><!\[CDATA\[gh_0123456789ab\]\]>/,
    );
    expect(xml).toContain('<MsgType><![CDATA[text]]></MsgType>');
    expect(xml).toContain(`<CreateTime>${Math.floor(bff.now() / 1000)}</CreateTime>`);
    // A "]]>" in the text cannot close the CDATA early.
    expect(xml).toContain('<Content><![CDATA[欢迎 <关注> ]]]]><![CDATA[> & 再见]]></Content>');
    expect(seen[0]).toMatchObject({
      FromUserName: 'oUser1',
      MsgType: 'event',
      Event: 'subscribe',
      EventKey: 'qrscene_x',
      Ticket: 'T1',
      CreateTime: 1795334400,
    });
  });

  it('safe mode: the push is decrypted, its msg_signature checked, and the reply encrypted and signed', async () => {
    const { handler, seen } = subscribeHandler('安全模式的回复');
    const bff = await start({ pushHandlers: [handler] });
    const res = await bff.push(eventXml({ from: 'oUser2', event: 'subscribe', eventKey: 'qrscene_y' }), {
      mode: 'safe',
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain('安全模式的回复');
    const reply = openReply(body, { appid: APP.appid });
    expect(reply).toContain('<Content><![CDATA[安全模式的回复]]></Content>');
    expect(reply).toContain('<ToUserName><![CDATA[oUser2]]></ToUserName>');
    expect(seen[0]).toMatchObject({ FromUserName: 'oUser2', Event: 'subscribe' });
  });

  it('compatible mode: only the encrypted copy counts (plaintext fields beside it are not signed), the reply encrypted', async () => {
    const { handler, seen } = subscribeHandler();
    const bff = await start({ pushHandlers: [handler] });
    const { query, body } = delivery(eventXml({ from: 'oReal', event: 'subscribe' }), bff.now(), {
      appid: APP.appid,
      mode: 'compatible',
    });
    // Someone on the way rewrites the plaintext copy.
    const tampered = body.replace('<FromUserName><![CDATA[oReal]]>', '<FromUserName><![CDATA[oForged]]>');
    const res = await fetch(`${bff.origin}${PATH}?${query}`, { method: 'POST', body: tampered });
    expect(res.status).toBe(200);
    expect(openReply(await res.text(), { appid: APP.appid })).toContain('<ToUserName><![CDATA[oReal]]>');
    expect(seen.map((p) => p.FromUserName)).toEqual(['oReal']);
  });

  it('during a key change (WX_MESSAGE_AES_KEYS=new,old) a push under either key is read, and answered with its key', async () => {
    const { handler, seen } = subscribeHandler();
    const bff = await start({ pushHandlers: [handler], env: { WX_MESSAGE_AES_KEYS: `${OLD_AES_KEY},${AES_KEY}` } });
    // WeChat still holds the key listed second: its reply must open with that one, or WeChat drops it.
    const res = await bff.push(eventXml({ from: 'oOld', event: 'subscribe' }), { mode: 'safe', key: AES_KEY });
    expect(openReply(await res.text(), { appid: APP.appid, key: AES_KEY })).toContain('oOld');
    const next = await bff.push(eventXml({ from: 'oNew', event: 'subscribe' }), { mode: 'safe', key: OLD_AES_KEY });
    expect(openReply(await next.text(), { appid: APP.appid, key: OLD_AES_KEY })).toContain('oNew');
    expect(seen.map((p) => p.FromUserName)).toEqual(['oOld', 'oNew']);
  });

  it('a push no handler claims, with no forward URL: "success", counted as unclaimed', async () => {
    const bff = await start();
    const res = await bff.push(textXml({ from: 'oU', content: 'hi', msgId: '1' }));
    expect(await res.text()).toBe('success');
    expect(await bff.metric('unclaimed')).toBe(1);
  });
});

describe("WeChat's retries: acted on once, answered the same", () => {
  it('the same event delivered again (new nonce and timestamp) does not reach the handler twice', async () => {
    const { handler, seen } = subscribeHandler('只一次');
    const bff = await start({ pushHandlers: [handler] });
    const xml = eventXml({ from: 'oRetry', event: 'subscribe', eventKey: 'qrscene_r' });
    const first = openReply(await (await bff.push(xml, { mode: 'safe' })).text(), { appid: APP.appid });
    bff.advance(5_000);
    const again = openReply(await (await bff.push(xml, { mode: 'safe' })).text(), { appid: APP.appid });
    expect(seen).toHaveLength(1);
    expect(again).toContain('<Content><![CDATA[只一次]]></Content>');
    expect(again.replace(/<CreateTime>\d+/, '')).toBe(first.replace(/<CreateTime>\d+/, ''));
    expect(await bff.metric('retry')).toBe(1);
    // Another event of the same user at another time is another push.
    await bff.push(eventXml({ from: 'oRetry', event: 'subscribe', createTime: 1795334401 }));
    expect(seen).toHaveLength(2);
  });

  it('messages are deduped by MsgId', async () => {
    const seen: string[] = [];
    const bff = await start({ pushHandlers: [{ handle: async (p) => (seen.push(p.MsgId!), null) }] });
    await bff.push(textXml({ from: 'oM', content: 'a', msgId: '6054768590064713728' }));
    await bff.push(textXml({ from: 'oM', content: 'a', msgId: '6054768590064713728' }));
    await bff.push(textXml({ from: 'oM', content: 'a', msgId: '6054768590064713729' }));
    expect(seen).toEqual(['6054768590064713728', '6054768590064713729']);
  });

  it('cluster-wide: the retry reaching another instance on the same Redis is not acted on again', async () => {
    const { handler, seen } = subscribeHandler('集群');
    const a = await start({ redis: true, pushHandlers: [handler] });
    const b = await start({ peer: a, pushHandlers: [handler] });
    const xml = eventXml({ from: 'oCluster', event: 'subscribe' });
    const [one, two] = await Promise.all([a.push(xml), b.push(xml)]);
    expect(seen).toHaveLength(1);
    for (const res of [one, two]) expect(await res.text()).toContain('<Content><![CDATA[集群]]></Content>');
  });
});

describe('hostile pushes are refused before anything acts on them', () => {
  const hostile = async () => {
    const { handler, seen } = subscribeHandler();
    return { bff: await start({ pushHandlers: [handler] }), seen };
  };
  const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it('a forged signature or msg_signature: 401', async () => {
    const { bff, seen } = await hostile();
    const xml = eventXml({ from: 'o', event: 'subscribe' });
    const forged = await bff.push(xml, { forge: 'signature' });
    expect([forged.status, await code(forged)]).toEqual([401, 'PUSH_SIGNATURE_INVALID']);
    const msg = await bff.push(xml, { mode: 'safe', forge: 'msg_signature' });
    expect([msg.status, await code(msg)]).toEqual([401, 'PUSH_SIGNATURE_INVALID']);
    const token = await bff.push(xml, { token: 'notOurToken' });
    expect(token.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('a replayed delivery (old timestamp, right signature): 403', async () => {
    const { bff, seen } = await hostile();
    const res = await bff.push(eventXml({ from: 'o', event: 'subscribe' }), {
      timestamp: Math.floor(bff.now() / 1000) - 3600,
    });
    expect([res.status, await code(res)]).toEqual([403, 'PUSH_STALE']);
    expect(seen).toEqual([]);
  });

  it('a used signed query with another body (captured URL, plaintext forgery or a downgrade from safe mode): 401', async () => {
    // The URL's signature covers token, timestamp and nonce only, never the body: a query string seen
    // once (a proxy's or the forwarded handler's log) would carry any body for five minutes. Each
    // signed query is bound to the first body it came with; WeChat's own retry (same body) still passes.
    const { bff, seen } = await hostile();
    const real = delivery(eventXml({ from: 'oVictim', event: 'SCAN', eventKey: 'a' }), bff.now(), { appid: APP.appid });
    const post = (query: string, body: string) => fetch(`${bff.origin}${PATH}?${query}`, { method: 'POST', body });
    expect((await post(real.query, real.body)).status).toBe(200);
    const forged = eventXml({ from: 'oAttacker', event: 'subscribe', eventKey: 'qrscene_x', createTime: 1795334402 });
    const reused = await post(real.query, forged);
    expect([reused.status, await code(reused)]).toEqual([401, 'PUSH_SIGNATURE_INVALID']);
    // The same delivery again (WeChat retrying with the same URL) is a retry, answered as before.
    expect((await post(real.query, real.body)).status).toBe(200);

    // Safe mode: msg_signature signs the Encrypt, but dropping encrypt_type and msg_signature leaves a
    // URL whose plain signature is still right: the plaintext body beside it must not be taken.
    const safe = delivery(eventXml({ from: 'oVictim2', event: 'SCAN', eventKey: 'b' }), bff.now(), {
      appid: APP.appid,
      mode: 'safe',
    });
    expect((await post(safe.query, safe.body)).status).toBe(200);
    const downgraded = new URLSearchParams(safe.query);
    downgraded.delete('encrypt_type');
    downgraded.delete('msg_signature');
    const down = await post(downgraded.toString(), forged);
    expect([down.status, await code(down)]).toEqual([401, 'PUSH_SIGNATURE_INVALID']);
    expect(seen.map((p) => p.FromUserName)).toEqual(['oVictim', 'oVictim2']);
  });

  it("encrypted for another account (another appid inside), or with a key we don't have: 400", async () => {
    const { bff, seen } = await hostile();
    const foreign = await bff.push(eventXml({ from: 'o', event: 'subscribe' }), {
      mode: 'safe',
      appid: 'wx00000000000000aa',
    });
    expect([foreign.status, await code(foreign)]).toEqual([400, 'PUSH_UNDECRYPTABLE']);
    const other = await bff.push(eventXml({ from: 'o', event: 'subscribe' }), { mode: 'safe', key: OLD_AES_KEY });
    expect(other.status).toBe(400);
    expect(seen).toEqual([]);
  });

  it('malformed XML, a missing field, a field twice, a reserved name: 400 PUSH_INVALID', async () => {
    const { bff, seen } = await hostile();
    for (const body of [
      '<xml><ToUserName>',
      'not xml at all',
      '<xml><ToUserName>a</ToUserName></xml>',
      eventXml({ from: 'o', event: 'subscribe' }).replace('</xml>', '<FromUserName>o2</FromUserName></xml>'),
      eventXml({ from: 'o', event: 'subscribe' }).replace('</xml>', '<__proto__><x>1</x></__proto__></xml>'),
      '<root><ToUserName>a</ToUserName></root>',
    ]) {
      const res = await bff.push(body);
      expect([res.status, await code(res)], body).toEqual([400, 'PUSH_INVALID']);
    }
    expect(seen).toEqual([]);
  });

  it('XXE and billion laughs: 400, nothing expanded, nothing read from disk', async () => {
    const { bff, seen } = await hostile();
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`,
    ).join(
      '',
    )}]><xml><ToUserName>a</ToUserName><FromUserName>&lol9;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>a</ToUserName><FromUserName>&xxe;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>`;
    for (const body of [laughs, xxe]) {
      const started = performance.now();
      const res = await bff.push(body);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain('lollollol');
      expect(text).not.toContain('root:');
      expect(performance.now() - started).toBeLessThan(2000);
    }
    // Inside an encrypted push too.
    const inner = await bff.push(xxe, { mode: 'safe' });
    expect(inner.status).toBe(400);
    expect(seen).toEqual([]);
  });

  it('a body over 64 KB: 413, unread', async () => {
    const { bff } = await hostile();
    const big = textXml({ from: 'o', content: 'x'.repeat(70 * 1024), msgId: '9' });
    const res = await bff.push(big);
    expect([res.status, await code(res)]).toEqual([413, 'BODY_TOO_LARGE']);
  });
});

describe("forwarding to the company's existing handler (WX_MESSAGE_FORWARD_URL)", () => {
  it('forwards an unclaimed push unchanged, so its own signature check passes, and relays its reply as is', async () => {
    const reply = '<xml><ToUserName><![CDATA[oF]]></ToUserName><Content><![CDATA[菜单]]></Content></xml>';
    const handler = await existingHandler(() => ({ body: reply }));
    const { handler: ours, seen } = subscribeHandler();
    const bff = await start({ pushHandlers: [ours], env: { WX_MESSAGE_FORWARD_URL: handler.url } });
    const xml = textXml({ from: 'oF', content: '菜单', msgId: '42' });
    const { query, body } = delivery(xml, bff.now(), { appid: APP.appid });
    const res = await fetch(`${bff.origin}${PATH}?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body,
    });
    expect(await res.text()).toBe(reply);
    expect(res.headers.get('content-type')).toBe('application/xml');
    expect(seen).toHaveLength(1);
    expect(handler.received).toHaveLength(1);
    const [got] = handler.received;
    expect(got!.signatureOk).toBe(true);
    expect(got!.url.search).toBe(`?${query}`);
    expect(got!.body).toBe(body);
    expect(got!.contentType).toBe('text/xml');
    expect(await bff.metric('forwarded')).toBe(1);
  });

  it('forwards to the URL exactly as configured: a trailing slash is kept (Django, Flask redirect a POST without it)', async () => {
    const handler = await existingHandler((r) =>
      r.url.pathname === '/wechat/' ? { body: '<xml>ok</xml>' } : { status: 301, body: '' },
    );
    const bff = await start({ env: { WX_MESSAGE_FORWARD_URL: `${handler.url}/` } });
    const res = await bff.push(textXml({ from: 'oSlash', content: 'x', msgId: '48' }));
    expect(handler.received.map((r) => r.url.pathname)).toEqual(['/wechat/']);
    expect(await res.text()).toBe('<xml>ok</xml>');
  });

  it('safe mode: the handler gets the encrypted push as WeChat sent it, and its encrypted reply reaches WeChat', async () => {
    const handler = await existingHandler((r) => {
      const q = r.url.searchParams;
      const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(r.body)![1]!;
      expect(sha1Sorted(TOKEN, q.get('timestamp')!, q.get('nonce')!, encrypt)).toBe(q.get('msg_signature'));
      const crypto = createMessageCrypto({ token: TOKEN, appid: APP.appid, keys: [AES_KEY] });
      const push = crypto.decrypt(encrypt);
      const from = /<FromUserName><!\[CDATA\[([^\]]+)/.exec(push)![1];
      const answer = crypto.encrypt(
        `<xml><ToUserName><![CDATA[${from}]]></ToUserName><Content><![CDATA[旧系统]]></Content></xml>`,
      );
      const sig = sha1Sorted(TOKEN, '1700000000', '77', answer);
      return {
        body: `<xml><Encrypt><![CDATA[${answer}]]></Encrypt><MsgSignature><![CDATA[${sig}]]></MsgSignature><TimeStamp>1700000000</TimeStamp><Nonce><![CDATA[77]]></Nonce></xml>`,
      };
    });
    const bff = await start({ env: { WX_MESSAGE_FORWARD_URL: handler.url } });
    const res = await bff.push(textXml({ from: 'oSafe', content: 'hello', msgId: '43' }), { mode: 'safe' });
    expect(openReply(await res.text(), { appid: APP.appid })).toContain('旧系统');
    expect(handler.received[0]!.signatureOk).toBe(true);
  });

  it('a slow handler: "success" before WeChat gives up, a warning and forward_timeout; its retry is not forwarded again', async () => {
    const handler = await existingHandler(() => ({ body: '<xml/>', delayMs: 6000 }));
    const bff = await start({ env: { WX_MESSAGE_FORWARD_URL: handler.url } });
    const xml = textXml({ from: 'oSlow', content: 'x', msgId: '44' });
    const started = performance.now();
    const res = await bff.push(xml);
    const ms = performance.now() - started;
    expect(await res.text()).toBe('success');
    expect(ms).toBeLessThan(4800);
    expect(ms).toBeGreaterThan(3500);
    expect(await bff.metric('forward_timeout')).toBe(1);
    expect(bff.logs.join('')).toMatch(/"level":40.*"outcome":"forward_timeout".*push answered success/);
    expect(await (await bff.push(xml)).text()).toBe('success');
    expect(handler.received).toHaveLength(1);
  });

  it('a handler that is down or fails: "success", counted by outcome', async () => {
    const failing = await existingHandler(() => ({ status: 500, body: 'oops' }));
    const bff = await start({ env: { WX_MESSAGE_FORWARD_URL: failing.url } });
    expect(await (await bff.push(textXml({ from: 'o', content: 'x', msgId: '45' }))).text()).toBe('success');
    expect(await bff.metric('forward_status')).toBe(1);
    const down = await start({ env: { WX_MESSAGE_FORWARD_URL: 'http://127.0.0.1:9/wechat' } });
    expect(await (await down.push(textXml({ from: 'o', content: 'x', msgId: '46' }))).text()).toBe('success');
    expect(await down.metric('forward_error')).toBe(1);
  });

  it('a handler answering more than a reply can be (64 KB): "success", unread past the limit, forward_too_large', async () => {
    // A passive reply is a few kB (被动回复用户消息); a forward URL pointing at a big resource must
    // not be read whole into memory, kept for the retries, and relayed to WeChat.
    const big = await existingHandler(() => ({ body: `<xml>${'x'.repeat(2 * 1024 * 1024)}</xml>` }));
    const bff = await start({ env: { WX_MESSAGE_FORWARD_URL: big.url } });
    const xml = textXml({ from: 'oBig', content: 'x', msgId: '47' });
    const res = await bff.push(xml);
    expect(await res.text()).toBe('success');
    expect(await bff.metric('forward_too_large')).toBe(1);
    expect(bff.logs.join('')).toMatch(/"level":40.*"outcome":"forward_too_large"/);
    // Its retry gets the same "success", not the big body.
    expect(await (await bff.push(xml)).text()).toBe('success');
  });

  it("a slow or failing handler of wxauth's own: success, and the push is not forwarded", async () => {
    const handler = await existingHandler(() => ({ body: '<xml/>' }));
    const slow: PushHandler = { handle: () => new Promise((r) => setTimeout(() => r(null), 6000)) };
    const bff = await start({ pushHandlers: [slow], env: { WX_MESSAGE_FORWARD_URL: handler.url } });
    expect(await (await bff.push(eventXml({ from: 'o', event: 'SCAN', eventKey: 'x' }))).text()).toBe('success');
    expect(await bff.metric('handler_timeout')).toBe(1);
    const broken: PushHandler = { handle: () => Promise.reject(new Error('broken')) };
    const other = await start({ pushHandlers: [broken], env: { WX_MESSAGE_FORWARD_URL: handler.url } });
    expect(await (await other.push(eventXml({ from: 'o', event: 'SCAN', eventKey: 'x' }))).text()).toBe('success');
    expect(await other.metric('handler_error')).toBe(1);
    expect(handler.received).toHaveLength(0);
  });
});

describe('unsubscribe', () => {
  it('is an event for the host (wechat.unsubscribed, with the customer), changes nothing else, and is still forwarded', async () => {
    const handler = await existingHandler(() => ({ body: 'success', type: 'text/plain' }));
    const bff = await start({
      env: {
        WX_MESSAGE_FORWARD_URL: handler.url,
        EVENTS_WEBHOOK_URL: 'http://127.0.0.1:9/events',
        HOST_SIGNING_SECRET: 'h'.repeat(32),
      },
    });
    const browser = bff.browser();
    await browser.loginAndBind('unfollower', '13800138000', bff.inbox);
    const openid = bff.sim.openidOf(APP.appid, 'unfollower');
    const res = await bff.push(eventXml({ from: openid, event: 'unsubscribe', eventKey: '' }), { mode: 'safe' });
    expect(await res.text()).toBe('success');
    expect(handler.received).toHaveLength(1);
    const events = await bff.db.selectFrom('events_outbox').select(['type', 'payload']).execute();
    const unsubscribed = events.filter((e) => e.type === 'wechat.unsubscribed');
    expect(unsubscribed).toHaveLength(1);
    expect(JSON.parse(unsubscribed[0]!.payload).data).toMatchObject({ appid: APP.appid, openid, customerId: '1' });
    // Still signed in, still bound.
    expect(((await (await browser.request('/api/session')).json()) as { bound: boolean }).bound).toBe(true);
    // A retry records nothing more.
    await bff.push(eventXml({ from: openid, event: 'unsubscribe', eventKey: '' }));
    expect(
      (await bff.db.selectFrom('events_outbox').select('type').where('type', '=', 'wechat.unsubscribed').execute())
        .length,
    ).toBe(1);
  });
});
