import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptMessage, encryptMessage, sortedSha1 } from '../rules/message-crypto.js';
import { OA, startSim, WEB } from './helpers.js';

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const TOKEN = 'simToken';

describe("the simulator's message crypto, against WeChat's published sample vectors", () => {
  it('encrypts as the Java sample (fixed random) and decrypts the Python sample', () => {
    expect(encryptMessage(KEY, 'wxb11529c136998cb6', '我是中文abcd123', Buffer.from('aaaabbbbccccdddd'))).toBe(
      'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
    );
    const encrypt =
      'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';
    expect(sortedSha1('spamtest', '1409735669', '1320562132', encrypt)).toBe(
      '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
    );
    const opened = decryptMessage(KEY, encrypt);
    expect(opened.appid).toBe('wx2c2769f8efd9abc2');
    expect(opened.message).toContain('<Content><![CDATA[abcdteT]]></Content>');
  });
});

/** A global access_token of the OA, as the BFF gets it. */
async function tokenOf(api: (p: string, q: Record<string, string>) => Promise<Record<string, unknown>>) {
  const r = await api('/cgi-bin/token', { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret });
  return r.access_token as string;
}

describe('parametric QR codes (生成带参数的二维码)', () => {
  const create = async (sim: Awaited<ReturnType<typeof startSim>>, body: unknown, token?: string) => {
    const t = token ?? (await tokenOf(sim.api));
    const res = await sim.get(`/cgi-bin/qrcode/create?access_token=${encodeURIComponent(t)}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };

  it('QR_STR_SCENE: a ticket, its life (default 60 s, at most 30 days) and the url the image encodes', async () => {
    const sim = await startSim();
    const made = await create(sim, {
      action_name: 'QR_STR_SCENE',
      action_info: { scene: { scene_str: 'wxauth_abc' } },
    });
    expect(made).toMatchObject({ expire_seconds: 60, url: expect.stringMatching(/^http:\/\/.+\/q\/[A-Za-z0-9_-]+$/) });
    expect(made.ticket).toMatch(/^gQ[A-Za-z0-9+/=]+$/);
    const long = await create(sim, {
      expire_seconds: 9_999_999,
      action_name: 'QR_STR_SCENE',
      action_info: { scene: { scene_str: 'x' } },
    });
    expect(long.expire_seconds).toBe(2_592_000);
    const forever = await create(sim, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 7 } } });
    expect(forever).not.toHaveProperty('expire_seconds');
    expect(forever.ticket).toBeTruthy();
  });

  it("refuses as WeChat does: a bad token, an action it doesn't know, a scene out of range", async () => {
    const sim = await startSim();
    expect(await create(sim, { action_name: 'QR_STR_SCENE' }, 'nope')).toMatchObject({ errcode: 40001 });
    expect(await create(sim, { action_name: 'QR_FOO', action_info: { scene: { scene_id: 1 } } })).toMatchObject({
      errcode: 40052,
    });
    for (const scene of [{ scene_str: '' }, { scene_str: 'x'.repeat(65) }, { scene_id: 0 }, {}])
      expect(await create(sim, { action_name: 'QR_STR_SCENE', action_info: { scene } })).toMatchObject({
        errcode: 40053,
      });
    expect(
      await create(sim, { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 100_001 } } }),
    ).toMatchObject({ errcode: 40053 });
  });

  it('showqrcode: a real PNG while the code lives, none after', async () => {
    const sim = await startSim();
    const made = await create(sim, { action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 's' } } });
    const res = await sim.get(`/cgi-bin/showqrcode?ticket=${encodeURIComponent(made.ticket as string)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await res.arrayBuffer());
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Square, and big enough to scan from a screen.
    expect(png.readUInt32BE(16)).toBe(png.readUInt32BE(20));
    expect(png.readUInt32BE(16)).toBeGreaterThan(150);
    // The ticket as given, not URL-encoded, is another ticket ("+" reads as a space).
    expect((await sim.get(`/cgi-bin/showqrcode?ticket=${made.ticket as string}x`)).status).toBe(404);
    sim.advance(61_000);
    expect((await sim.get(`/cgi-bin/showqrcode?ticket=${encodeURIComponent(made.ticket as string)}`)).status).toBe(404);
  });
});

/** An account's server: a real HTTP server that checks WeChat's signatures and answers as told. */
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A page that answers every request with something else than echostr (a site's home page, say). */
async function otherPage(): Promise<string> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Shop</h1>'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

interface Push {
  query: URLSearchParams;
  body: string;
  /** The push's XML, decrypted when it came encrypted. */
  xml: string;
}

async function accountServer(answer: (push: Push, n: number) => { body: string; delayMs?: number }) {
  const pushes: Push[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const query = new URL(req.url!, 'http://x').searchParams;
      const [timestamp, nonce] = [query.get('timestamp')!, query.get('nonce')!];
      if (sortedSha1(TOKEN, timestamp, nonce) !== query.get('signature')) return void res.writeHead(401).end();
      // The MP backend's check when 服务器配置 is saved: echostr, as it came.
      if (req.method === 'GET') return void res.writeHead(200).end(query.get('echostr'));
      let xml = body;
      if (query.get('encrypt_type') === 'aes') {
        const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)/.exec(body)![1]!;
        if (sortedSha1(TOKEN, timestamp, nonce, encrypt) !== query.get('msg_signature'))
          return void res.writeHead(401).end();
        xml = decryptMessage(KEY, encrypt).message;
      }
      pushes.push({ query, body, xml });
      const a = answer({ query, body, xml }, pushes.length);
      setTimeout(() => !res.destroyed && res.writeHead(200).end(a.body), a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`, pushes };
}

const field = (xml: string, name: string) =>
  new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)(?:\\]\\]>)?</${name}>`).exec(xml)?.[1];

/** A passive text reply to a push, encrypted when asked. */
function textReply(push: Push, content: string, encrypted: boolean): string {
  const xml = `<xml><ToUserName><![CDATA[${field(push.xml, 'FromUserName')}]]></ToUserName><FromUserName><![CDATA[${field(push.xml, 'ToUserName')}]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content></xml>`;
  if (!encrypted) return xml;
  const encrypt = encryptMessage(KEY, OA.appid, xml);
  return `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${sortedSha1(TOKEN, '2', '3', encrypt)}]]></MsgSignature><TimeStamp>2</TimeStamp><Nonce><![CDATA[3]]></Nonce></xml>`;
}

describe('scans, pushes and the chat', () => {
  async function setUp(mode: 'plaintext' | 'compatible' | 'safe', answer: Parameters<typeof accountServer>[0]) {
    const sim = await startSim({ pushTimeoutMs: 300 });
    const account = await accountServer(answer);
    const post = async (path: string, body: unknown) => {
      const res = await sim.get(path, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const configured = await post('/__sim/oa/server', {
      appid: OA.appid,
      url: account.url,
      token: TOKEN,
      encodingAESKey: KEY,
      mode,
    });
    expect(configured.status).toBe(200);
    const token = await tokenOf(sim.api);
    const qr = (await (
      await sim.get(`/cgi-bin/qrcode/create?access_token=${token}`, {
        method: 'POST',
        body: JSON.stringify({
          expire_seconds: 300,
          action_name: 'QR_STR_SCENE',
          action_info: { scene: { scene_str: 'wxauth_s1' } },
        }),
      })
    ).json()) as { ticket: string };
    return { sim, account, post, ticket: qr.ticket };
  }

  it('a new user scans: subscribe with qrscene_<scene> and the Ticket; scanning again as a follower: SCAN', async () => {
    const { sim, account, post, ticket } = await setUp('safe', (push) => ({ body: textReply(push, '你好', true) }));
    const first = await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'alice' });
    expect(first.body).toEqual({
      event: 'subscribe',
      delivered: true,
      attempts: 1,
      reply: { msgType: 'text', content: '你好' },
    });
    const [push] = account.pushes;
    expect(push!.query.get('encrypt_type')).toBe('aes');
    expect(push!.query.get('openid')).toBe(sim.sim.openidOf(OA.appid, 'alice'));
    // Safe mode: only the envelope travels in the clear.
    expect(push!.body).not.toContain('subscribe');
    expect(field(push!.xml, 'FromUserName')).toBe(sim.sim.openidOf(OA.appid, 'alice'));
    expect(field(push!.xml, 'MsgType')).toBe('event');
    expect(field(push!.xml, 'Event')).toBe('subscribe');
    expect(field(push!.xml, 'EventKey')).toBe('qrscene_wxauth_s1');
    expect(field(push!.xml, 'Ticket')).toBe(ticket);
    expect(field(push!.xml, 'CreateTime')).toBe(String(Date.parse('2026-11-22T08:00:00Z') / 1000));

    const again = await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'alice' });
    expect(again.body.event).toBe('SCAN');
    expect(field(account.pushes[1]!.xml, 'EventKey')).toBe('wxauth_s1');
    const chat = (await (await sim.get(`/__sim/oa/chat?appid=${OA.appid}&user=alice`)).json()) as unknown[];
    expect(chat).toEqual([
      expect.objectContaining({ from: 'account', msgType: 'text', content: '你好' }),
      expect.objectContaining({ from: 'account', msgType: 'text', content: '你好' }),
    ]);
  });

  it('users named follower-… (or set as followers) get SCAN at once', async () => {
    const { account, post, ticket } = await setUp('plaintext', () => ({ body: 'success' }));
    await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'follower-bob' });
    expect(await post('/__sim/oa/followers', { appid: OA.appid, user: 'carol', follows: true })).toMatchObject({
      status: 200,
    });
    const carol = await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'carol' });
    expect(carol.body).toMatchObject({ event: 'SCAN', delivered: true, reply: null });
    expect(account.pushes.map((p) => field(p.xml, 'Event'))).toEqual(['SCAN', 'SCAN']);
    // Plaintext mode: no encrypt_type, no msg_signature.
    expect(account.pushes[0]!.query.has('encrypt_type')).toBe(false);
  });

  it('compatible mode: the plaintext fields and Encrypt both; a plaintext reply is accepted', async () => {
    const { account, post, ticket } = await setUp('compatible', (push) => ({ body: textReply(push, '明文', false) }));
    const scan = await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'dan' });
    expect(scan.body.reply).toEqual({ msgType: 'text', content: '明文' });
    expect(account.pushes[0]!.body).toContain('<Event><![CDATA[subscribe]]></Event>');
    expect(account.pushes[0]!.body).toContain('<Encrypt>');
  });

  it("WeChat's retry rule: no answer within the wait, the push comes again, three times at most", async () => {
    const slow = await setUp('plaintext', (push, n) => ({
      body: textReply(push, `第${n}次`, false),
      delayMs: n < 2 ? 600 : 0,
    }));
    const retried = await slow.post('/__sim/oa/scan', { appid: OA.appid, ticket: slow.ticket, user: 'erin' });
    expect(retried.body).toMatchObject({ delivered: true, attempts: 2, reply: { content: '第2次' } });
    // The same push each time: the same CreateTime, so the server can tell a retry.
    expect(field(slow.account.pushes[0]!.xml, 'CreateTime')).toBe(field(slow.account.pushes[1]!.xml, 'CreateTime'));

    const dead = await setUp('plaintext', () => ({ body: 'success', delayMs: 600 }));
    const lost = await dead.post('/__sim/oa/scan', { appid: OA.appid, ticket: dead.ticket, user: 'erin' });
    expect(lost.body).toMatchObject({ delivered: false, attempts: 3, reply: null });
    expect(dead.account.pushes).toHaveLength(3);
  });

  it('a reply WeChat cannot use (plaintext in safe mode, to someone else): the user sees 暂时无法提供服务', async () => {
    const { sim, post, ticket } = await setUp('safe', (push) => ({ body: textReply(push, '明文', false) }));
    const scan = await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'fay' });
    expect(scan.body).toMatchObject({ delivered: true, reply: null, error: 'a plaintext reply in safe mode' });
    const chat = (await (await sim.get(`/__sim/oa/chat?appid=${OA.appid}&user=fay`)).json()) as unknown[];
    expect(chat).toEqual([
      expect.objectContaining({ msgType: 'system', content: '该公众号暂时无法提供服务，请稍后再试' }),
    ]);
  });

  it('unfollow pushes unsubscribe; a text message comes with a MsgId, both in the chat', async () => {
    const { account, post, ticket, sim } = await setUp('safe', (push) =>
      field(push.xml, 'MsgType') === 'text' ? { body: textReply(push, '收到', true) } : { body: 'success' },
    );
    await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'gus' });
    const said = await post('/__sim/oa/message', { appid: OA.appid, user: 'gus', content: '你好' });
    expect(said.body).toMatchObject({ delivered: true, reply: { content: '收到' } });
    expect(field(account.pushes[1]!.xml, 'MsgId')).toMatch(/^\d+$/);
    expect((await post('/__sim/oa/unfollow', { appid: OA.appid, user: 'gus' })).body).toMatchObject({
      delivered: true,
    });
    expect(field(account.pushes[2]!.xml, 'Event')).toBe('unsubscribe');
    expect((await post('/__sim/oa/unfollow', { appid: OA.appid, user: 'gus' })).status).toBe(409);
    const chat = (await (await sim.get(`/__sim/oa/chat?appid=${OA.appid}&user=gus`)).json()) as Array<{ from: string }>;
    expect(chat.map((l) => l.from)).toEqual(['user', 'account']);
  });

  it('the chat page shows links clickable and anything else as text', async () => {
    const { sim, post, ticket } = await setUp('plaintext', (push) => ({
      body: textReply(
        push,
        '请<a href="https://h5.example.com/confirm?x=1&amp;y=2">确认登录</a> <script>x</script> https://a.example.com/p <a href="javascript:alert(1)">坏</a>',
        false,
      ),
    }));
    await post('/__sim/oa/scan', { appid: OA.appid, ticket, user: 'hal' });
    const page = await (await sim.get(`/__sim/oa/chat/view?appid=${OA.appid}&user=hal`)).text();
    expect(page).toContain('<a href="https://h5.example.com/confirm?x=1&#38;amp;y=2">确认登录</a>');
    expect(page).toContain('<a href="https://a.example.com/p">');
    expect(page).not.toContain('<script>x');
    expect(page).not.toContain('href="javascript');
  });

  it('the server configuration is checked as the MP backend does', async () => {
    const sim = await startSim();
    const post = (body: unknown) => sim.get('/__sim/oa/server', { method: 'POST', body: JSON.stringify(body) });
    const account = await accountServer(() => ({ body: 'success' }));
    const ok = { appid: OA.appid, url: account.url, token: TOKEN, mode: 'plaintext' };
    expect((await post(ok)).status).toBe(200);
    for (const bad of [
      { ...ok, appid: WEB.appid },
      { ...ok, url: 'ftp://x' },
      { ...ok, token: 'ab' },
      { ...ok, mode: 'safe' },
      { ...ok, mode: 'safe', encodingAESKey: 'short' },
      { ...ok, mode: 'other' },
    ])
      expect((await post(bad)).status, JSON.stringify(bad)).toBe(400);
    // Saving sends the signed GET of 接入指南; a URL that does not answer echostr as it came is refused
    // (another token, nothing listening, a page that answers something else), and nothing is saved.
    for (const bad of [
      { ...ok, token: 'otherToken' },
      { ...ok, url: 'http://127.0.0.1:9/wechat' },
      { ...ok, url: await otherPage() },
    ]) {
      const res = await post(bad);
      expect([res.status, ((await res.json()) as { error: string }).error], JSON.stringify(bad)).toEqual([
        400,
        expect.stringMatching(/^url: /),
      ]);
    }
    // Scanning needs a server URL first.
    const noServer = await startSim();
    const scan = await noServer.get('/__sim/oa/scan', {
      method: 'POST',
      body: JSON.stringify({ appid: OA.appid, ticket: 'x', user: 'a' }),
    });
    expect(scan.status).toBe(409);
  });

  it("a scanned code's url opens a page that scans as this browser's user, then shows the chat", async () => {
    const { sim, account, ticket } = await setUp('plaintext', (push) => ({ body: textReply(push, '欢迎', false) }));
    const made = (await (
      await sim.get(`/cgi-bin/qrcode/create?access_token=${await tokenOf(sim.api)}`, {
        method: 'POST',
        body: JSON.stringify({ action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'p' } } }),
      })
    ).json()) as { url: string };
    expect(ticket).toBeTruthy();
    const landing = await sim.get(`${new URL(made.url).pathname}?wxsim_user=ivy`);
    const html = await landing.text();
    expect(html).toContain('ivy');
    const form = new URLSearchParams(
      [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]),
    );
    const scanned = await sim.get('/q/scan', { method: 'POST', body: form });
    expect(scanned.status).toBe(302);
    expect(scanned.headers.get('location')).toBe(`/__sim/oa/chat/view?appid=${OA.appid}&user=ivy`);
    expect(field(account.pushes[0]!.xml, 'EventKey')).toBe('qrscene_p');
  });
});
