import { FOLLOW_REPLIES } from '@wxauth/contract';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { APP, startBff, type Bff, type Browser } from '../../../__tests__/harness.js';
import { delivery, eventXml, openReply, PATH } from '../../messages/__tests__/wechat.js';

// The login through the Official Account over HTTP: the real BFF, WeChat played by the simulator (its
// qrcode/create, and a user's scan, pushed to the BFF's message endpoint signed, and encrypted in safe
// mode, as WeChat pushes it), a desktop and a phone as two cookie jars.

const TOKEN = 'followTestToken2026';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const CHROME_ON_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

type Mode = 'plaintext' | 'safe';

async function start(o: { confirm?: boolean; mode?: Mode; redis?: boolean; peer?: Bff; pushTo?: Bff } = {}) {
  const bff = await startBff({
    redis: o.redis,
    peer: o.peer,
    env: {
      FOLLOW_LOGIN: '1',
      FOLLOW_LOGIN_CONFIRM: o.confirm === false ? '0' : '1',
      WX_MESSAGE_TOKEN: TOKEN,
      WX_MESSAGE_AES_KEYS: AES_KEY,
    },
  });
  // The account's server configuration (基本配置 → 服务器配置): where WeChat pushes, and how.
  const server = await fetch(`${bff.simOrigin}/__sim/oa/server`, {
    method: 'POST',
    body: JSON.stringify({
      appid: APP.appid,
      url: `${(o.pushTo ?? bff).origin}/api/wechat/messages`,
      token: TOKEN,
      encodingAESKey: AES_KEY,
      mode: o.mode ?? 'plaintext',
    }),
  });
  expect(server.status).toBe(200);
  return bff;
}

/** A desktop browser: asks for the QR code with its own User-Agent, keeps its cookies. */
async function desktop(bff: Bff, returnTo = '/orders') {
  const browser = bff.browser();
  const res = await browser.request('/api/auth/follow/qr', {
    method: 'POST',
    json: { returnTo },
    headers: { 'user-agent': CHROME_ON_MAC },
  });
  expect(res.status).toBe(200);
  const { qr, expiresIn } = (await res.json()) as { qr: string; expiresIn: number };
  const ticket = new URL(qr).searchParams.get('ticket')!;
  return { browser, qr, expiresIn, ticket };
}

/** `user` scans the ticket's QR code in WeChat: the simulator pushes to the server URL; the reply in their chat. */
async function scan(bff: Bff, ticket: string, user: string): Promise<string | null> {
  const res = await fetch(`${bff.simOrigin}/__sim/oa/scan`, {
    method: 'POST',
    body: JSON.stringify({ appid: APP.appid, ticket, user }),
  });
  expect(res.status).toBe(200);
  const answer = (await res.json()) as { delivered: boolean; reply: { content?: string } | null };
  expect(answer.delivered).toBe(true);
  return answer.reply?.content ?? null;
}

/** The confirm link in the account's reply. */
const linkIn = (reply: string | null) => {
  const href = /href="([^"]+)"/.exec(reply ?? '')?.[1];
  expect(href, reply ?? 'no reply').toBeDefined();
  const url = new URL(href!);
  return { url, login: url.searchParams.get('login')! };
};

/** The phone: the silent login of the H5 app as `user`, then the confirm page's calls. */
async function phone(bff: Bff, user: string) {
  const browser = bff.browser();
  expect((await browser.login({ user, returnTo: '/follow/confirm' })).status).toBe(200);
  return browser;
}

const state = async (b: Browser) =>
  ((await (await b.request('/api/auth/follow/state')).json()) as { state: string }).state;

/** The desktop's event stream: each event's name, as it comes, until the stream ends. */
async function events(b: Browser) {
  const res = await b.request('/api/auth/follow/events', { headers: { accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(res.headers.get('x-accel-buffering')).toBe('no');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: string[] = [];
  let buffer = '';
  let ended = false;
  const waiters: Array<() => void> = [];
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const name = /^event: (\w+)$/m.exec(block)?.[1];
        if (name) seen.push(name);
      }
      for (const w of waiters.splice(0)) w();
    }
    ended = true;
    for (const w of waiters.splice(0)) w();
  })();
  return {
    seen,
    get ended() {
      return ended;
    },
    /** Resolves once `name` has come (or fails after a few seconds). */
    async until(name: string): Promise<void> {
      const deadline = Date.now() + 5000;
      while (!seen.includes(name)) {
        if (Date.now() > deadline) throw new Error(`no "${name}" event; got ${seen.join(', ')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe.each(['plaintext', 'safe'] as const)('desktop login through the Official Account (%s mode)', (mode) => {
  it('scan, confirm on the phone, the desktop is signed in as the same customer as the H5 login', async () => {
    const bff = await start({ mode });
    // alice bound her phone in the H5 app before.
    const h5 = bff.browser();
    await h5.loginAndBind('alice', '13800138000', bff.inbox);
    const h5Session = await (await h5.request('/api/session')).json();

    const d = await desktop(bff);
    expect(d.expiresIn).toBe(300);
    expect(d.qr).toBe(`${bff.simOrigin}/cgi-bin/showqrcode?ticket=${encodeURIComponent(d.ticket)}`);
    const image = await fetch(d.qr);
    expect(image.headers.get('content-type')).toBe('image/png');
    const stream = await events(d.browser);
    await stream.until('waiting');

    const reply = await scan(bff, d.ticket, 'alice');
    expect(reply).toContain('你正在电脑上登录 h5.example.com（Chrome，macOS，');
    const { url, login } = linkIn(reply);
    expect(url.origin + url.pathname).toBe('https://h5.example.com/follow/confirm');
    await stream.until('scanned');

    const p = await phone(bff, 'alice');
    const info = await (await p.request(`/api/auth/follow/login?login=${login}`)).json();
    expect(info).toMatchObject({
      site: 'h5.example.com',
      desktop: { browser: 'Chrome', os: 'macOS' },
      state: 'scanned',
    });
    expect((await p.post('/api/auth/follow/confirm', { login })).status).toBe(200);
    await stream.until('confirmed');
    await new Promise((r) => setTimeout(r, 50));
    expect(stream.ended).toBe(true);
    expect(stream.seen).toEqual(['waiting', 'scanned', 'confirmed']);

    const finish = await d.browser.post('/api/auth/follow/finish');
    expect(finish.status).toBe(200);
    expect(await finish.json()).toEqual({ next: 'home', returnTo: '/orders' });
    expect(await (await d.browser.request('/api/session')).json()).toEqual(h5Session);
    // Collected once: the desktop's follow cookie is gone, and a replay is refused.
    expect((await d.browser.post('/api/auth/follow/finish')).status).toBe(400);

    // The login funnel (the alerts' and the dashboard's): QR shown, scanned, signed in, a bound customer.
    const metrics = await (await fetch(`${bff.origin}/metrics`)).text();
    for (const step of ['authorize', 'callback', 'login', 'bound'])
      expect(metrics).toContain(`wxauth_login_funnel_total{step="${step}",flow="follow"} 1`);
  });

  it('a new follower (never seen in the H5 app) is sent to bind, like any first login', async () => {
    const bff = await start({ mode });
    const d = await desktop(bff, '/');
    const { login } = linkIn(await scan(bff, d.ticket, 'newcomer'));
    const p = await phone(bff, 'newcomer');
    expect((await p.post('/api/auth/follow/confirm', { login })).status).toBe(200);
    expect(await (await d.browser.post('/api/auth/follow/finish')).json()).toEqual({ next: 'bind', returnTo: '/' });
    expect(((await (await d.browser.request('/api/session')).json()) as { bound: boolean }).bound).toBe(false);

    // Bound on the desktop: the funnel counts it where the login began (the follow flow), not as the H5
    // site's, though the desktop's session has the Official Account's appid like an H5 login's.
    await d.browser.bind('13800138001', bff.inbox);
    expect(((await (await d.browser.request('/api/session')).json()) as { bound: boolean }).bound).toBe(true);
    const metrics = await (await fetch(`${bff.origin}/metrics`)).text();
    expect(metrics).toContain('wxauth_login_funnel_total{step="bound",flow="follow"} 1');
    expect(metrics).not.toMatch(/wxauth_login_funnel_total\{step="bound",flow="h5"\}/);
    // The phone's own H5 login still counts as the H5 site's.
    expect(metrics).toContain('wxauth_login_funnel_total{step="login",flow="h5"} 1');
  });
});

describe('desktop login through the Official Account: the rules', () => {
  it('without the desktop cookie nothing can be watched or collected', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const { login } = linkIn(await scan(bff, d.ticket, 'alice'));
    expect((await (await phone(bff, 'alice')).post('/api/auth/follow/confirm', { login })).status).toBe(200);
    const stranger = bff.browser();
    for (const res of [
      await stranger.request('/api/auth/follow/state'),
      await stranger.request('/api/auth/follow/events'),
      await stranger.post('/api/auth/follow/finish'),
    ]) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('STATE_INVALID');
    }
    expect(await state(d.browser)).toBe('confirmed');
  });

  it('another WeChat user on the confirm page is refused, and cannot confirm', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const { login } = linkIn(await scan(bff, d.ticket, 'alice'));
    const mallory = await phone(bff, 'mallory');
    const seen = await mallory.request(`/api/auth/follow/login?login=${login}`);
    expect(seen.status).toBe(403);
    expect(((await seen.json()) as { error: { code: string } }).error.code).toBe('FOLLOW_LOGIN_OTHER_USER');
    expect((await mallory.post('/api/auth/follow/confirm', { login })).status).toBe(403);
    expect(await state(d.browser)).toBe('scanned');
  });

  it('the confirm page needs a WeChat session, and same-origin JSON: a sibling subdomain cannot confirm', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const { login } = linkIn(await scan(bff, d.ticket, 'alice'));
    expect((await bff.browser().post('/api/auth/follow/confirm', { login })).status).toBe(401);
    const p = await phone(bff, 'alice');
    const sibling = await p.request('/api/auth/follow/confirm', {
      method: 'POST',
      json: { login },
      headers: { origin: 'https://evil.example.com', 'sec-fetch-site': 'same-site' },
    });
    expect(sibling.status).toBe(403);
    expect(await state(d.browser)).toBe('scanned');
  });

  it('returnTo cannot send the desktop off the site, however it is spelt', async () => {
    // Attack: the login page opened as /follow-login?returnTo=…, the desktop sent on after the login.
    const bff = await start();
    for (const [i, returnTo] of [
      '//evil.com',
      '/\\evil.com',
      '/..//evil.com',
      '/%2e%2e//evil.com',
      'https://evil.com',
    ].entries()) {
      const d = await desktop(bff, returnTo);
      const user = `victim${i}`;
      const { login } = linkIn(await scan(bff, d.ticket, user));
      expect((await (await phone(bff, user)).post('/api/auth/follow/confirm', { login })).status).toBe(200);
      const finished = (await (await d.browser.post('/api/auth/follow/finish')).json()) as { returnTo: string };
      expect(finished.returnTo).toBe('/');
    }
    // Encoded slashes stay a path on this site: a browser never reads %2F as a separator.
    const d = await desktop(bff, '/%2F%2Fevil.com');
    const { login } = linkIn(await scan(bff, d.ticket, 'victim9'));
    expect((await (await phone(bff, 'victim9')).post('/api/auth/follow/confirm', { login })).status).toBe(200);
    const { returnTo } = (await (await d.browser.post('/api/auth/follow/finish')).json()) as { returnTo: string };
    expect(new URL(returnTo, 'https://h5.example.com').origin).toBe('https://h5.example.com');
  });

  it('a stream whose browser left before it began keeps nothing open: no subscription, no timers', async () => {
    // Attack: open the event stream and hang up at once, over and over; each must cost nothing after.
    const bff = await start({ redis: true });
    const d = await desktop(bff);
    const cookie = [...d.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const { hostname, port, host } = new URL(bff.origin);
    const redis = new Redis(inject('redisUrl'));
    try {
      const channels = () => redis.pubsub('CHANNELS', `${bff.redisPrefix}follow:*`);
      for (let i = 0; i < 3; i++) {
        const socket = connect(Number(port), hostname);
        await once(socket, 'connect');
        socket.end(`GET /api/auth/follow/events HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\n\r\n`);
        await once(socket, 'close');
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(await channels()).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('a stream that ends at once (a login already over) leaves no timer behind', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const { login } = linkIn(await scan(bff, d.ticket, 'alice'));
    expect((await (await phone(bff, 'alice')).post('/api/auth/follow/cancel', { login })).status).toBe(200);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    for (let i = 0; i < 20; i++) {
      const stream = await events(d.browser);
      await stream.until('cancelled');
    }
    // (the helper's own waits last 200 ms)
    await new Promise((r) => setTimeout(r, 300));
    expect(timers() - before).toBeLessThan(5);
  });

  it('a replayed confirm is refused; the desktop is signed in once', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const { login } = linkIn(await scan(bff, d.ticket, 'alice'));
    const p = await phone(bff, 'alice');
    expect((await p.post('/api/auth/follow/confirm', { login })).status).toBe(200);
    const again = await p.post('/api/auth/follow/confirm', { login });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('FOLLOW_LOGIN_ANSWERED');
  });

  it('cancel: the desktop is told, and cannot collect a session', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const stream = await events(d.browser);
    const { login } = linkIn(await scan(bff, d.ticket, 'alice'));
    const p = await phone(bff, 'alice');
    expect(await (await p.post('/api/auth/follow/cancel', { login })).json()).toEqual({ state: 'cancelled' });
    await stream.until('cancelled');
    const finish = await d.browser.post('/api/auth/follow/finish');
    expect(finish.status).toBe(409);
    expect((await d.browser.request('/api/session?optional=1')).status).toBe(204);
  });

  it('an expired QR code: WeChat no longer takes its scan, and the desktop is told', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const stream = await events(d.browser);
    await stream.until('waiting');
    bff.advance(301_000);
    const late = await fetch(`${bff.simOrigin}/__sim/oa/scan`, {
      method: 'POST',
      body: JSON.stringify({ appid: APP.appid, ticket: d.ticket, user: 'alice' }),
    });
    expect(late.status).toBe(400);
    expect(await state(d.browser)).toBe('expired');
  });

  it.each(['plaintext', 'safe'] as const)(
    'a push for an unknown wxauth_ scene (%s) gets a polite reply, and never a login',
    async (mode) => {
      const bff = await start({ mode });
      const xml = eventXml({ from: 'o-somebody', event: 'SCAN', eventKey: `wxauth_${'ab'.repeat(16)}` });
      const { query, body } = delivery(xml, bff.now(), { appid: APP.appid, mode, token: TOKEN, key: AES_KEY });
      const res = await fetch(`${bff.origin}${PATH}?${query}`, { method: 'POST', body });
      expect(res.status).toBe(200);
      const text = await res.text();
      const reply = mode === 'safe' ? openReply(text, { appid: APP.appid, token: TOKEN, key: AES_KEY }) : text;
      expect(reply).toContain(`<Content><![CDATA[${FOLLOW_REPLIES.expired}]]></Content>`);
    },
  );

  it('a second scan by another user after the first: "taken", and the first scanner stays the one', async () => {
    const bff = await start();
    const d = await desktop(bff);
    const first = await scan(bff, d.ticket, 'alice');
    expect(await scan(bff, d.ticket, 'mallory')).toBe(FOLLOW_REPLIES.taken);
    const { login } = linkIn(first);
    expect((await (await phone(bff, 'alice')).post('/api/auth/follow/confirm', { login })).status).toBe(200);
  });

  it("the OpenID Connect provider's desktop path: the login goes back to the provider's interaction", async () => {
    const bff = await start();
    const d = await desktop(bff, '/oidc/interaction/abc123');
    const { login } = linkIn(await scan(bff, d.ticket, 'alice'));
    expect((await (await phone(bff, 'alice')).post('/api/auth/follow/confirm', { login })).status).toBe(200);
    expect(await (await d.browser.post('/api/auth/follow/finish')).json()).toEqual({
      next: 'bind',
      returnTo: '/oidc/interaction/abc123',
    });
    // Only this site's paths: anything else goes home.
    const away = await desktop(bff, 'https://evil.example.com/x');
    const second = linkIn(await scan(bff, away.ticket, 'bob'));
    expect((await (await phone(bff, 'bob')).post('/api/auth/follow/confirm', { login: second.login })).status).toBe(
      200,
    );
    expect(((await (await away.browser.post('/api/auth/follow/finish')).json()) as { returnTo: string }).returnTo).toBe(
      '/',
    );
  });

  it('FOLLOW_LOGIN_CONFIRM=0: the scan alone signs the desktop in', async () => {
    const bff = await start({ confirm: false });
    const d = await desktop(bff);
    const reply = await scan(bff, d.ticket, 'alice');
    expect(reply).toContain('你已在电脑上登录 h5.example.com');
    expect(reply).not.toContain('href');
    expect(await state(d.browser)).toBe('confirmed');
    expect((await d.browser.post('/api/auth/follow/finish')).status).toBe(200);
  });

  it('two instances on one Redis: the push reaches A, the desktop waits on B, and B signs it in', async () => {
    const a = await start({ redis: true });
    const b = await start({ redis: true, peer: a, pushTo: a });
    const d = await desktop(b);
    const stream = await events(d.browser);
    await stream.until('waiting');
    const { login } = linkIn(await scan(a, d.ticket, 'alice'));
    await stream.until('scanned');
    const p = await phone(a, 'alice');
    expect((await p.post('/api/auth/follow/confirm', { login })).status).toBe(200);
    await stream.until('confirmed');
    expect((await d.browser.post('/api/auth/follow/finish')).status).toBe(200);
    const metrics = await (await fetch(`${a.origin}/metrics`)).text();
    expect(metrics).toContain('wxauth_follow_logins_total{outcome="scanned"} 1');
  });
});
