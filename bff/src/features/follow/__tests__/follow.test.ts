import { FOLLOW_REPLIES, type LoginResult } from '@wxauth/contract';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../../adapters/kv/memory.js';
import { createLocalSignals } from '../../../adapters/kv/signals.js';
import type { FollowConfig } from '../../../platform/config.js';
import { AppError } from '../../../platform/errors.js';
import { cryptoRandom } from '../../../platform/random.js';
import type { Outcome, Session } from '../../session/index.js';
import { createFollowLogin } from '../follow.js';
import type { WechatPush } from '../../messages/index.js';

const APPID = 'wx0123456789abcdef';
const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SETTINGS: FollowConfig = {
  confirm: true,
  replyText: '你正在电脑上登录 {site}（{browser}，{os}，{time}）。<a href="{link}">点此确认登录</a>',
  ttlSeconds: 300,
};

/**
 * The room's rules on their own: the Kv in memory, WeChat's qrcode/create played by a function that
 * hands out tickets, features/login's `enter` by one that notes whom it signed in. The same rules
 * through HTTP, the simulator and Redis: follow.http.test.ts.
 */
function setup(settings: Partial<FollowConfig> = {}, demo = false, qrPerDay?: number) {
  let clock = Date.parse('2026-12-07T06:05:00Z');
  const now = () => clock;
  const kv = createMemoryKv(now);
  const signals = createLocalSignals();
  const scenes: string[] = [];
  const entered: Array<{ openid: string; returnTo: string; unionid: string | null }> = [];
  const follow = createFollowLogin({
    kv,
    signals,
    appid: APPID,
    settings: { ...SETTINGS, ...settings },
    publicUrl: 'https://h5.example.com',
    secret: 'test-session-secret-0123456789abcdef',
    createQr: async (scene, expireSeconds) => {
      scenes.push(scene);
      return {
        ticket: `ticket-${scenes.length}`,
        expire_seconds: expireSeconds,
        url: `http://weixin.qq.com/q/${scenes.length}`,
      };
    },
    qrImage: (ticket) => `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`,
    enter: async (p): Promise<Outcome<LoginResult>> => {
      entered.push({ openid: p.openid, returnTo: p.returnTo, unionid: p.unionid });
      return { body: { next: 'bind', returnTo: p.returnTo }, session: { set: 'new-session' } };
    },
    random: cryptoRandom,
    now,
    demo,
    qrPerDay,
  });
  const ctx = { requestId: 'r1', ip: '203.0.113.1' };
  /** WeChat's push for `user` scanning the login's QR code: a follower's SCAN, or a new follower's subscribe. */
  const scan = (scene: string, user: string, event: 'SCAN' | 'subscribe' = 'SCAN') =>
    follow.pushHandler.handle(
      {
        ToUserName: 'gh_0123456789ab',
        FromUserName: user,
        CreateTime: Math.floor(clock / 1000),
        MsgType: 'event',
        Event: event,
        EventKey: event === 'subscribe' ? `qrscene_${scene}` : scene,
        Ticket: 'ticket-1',
      },
      ctx,
    );
  /** A phone's session after snsapi_base: this openid, of this account. */
  const phone = (openid: string, appid = APPID) =>
    ({ identity: { appid, openid, unionid: null, customer_id: null } }) as unknown as Session;
  const start = async (returnTo = '/orders') => {
    const started = await follow.start({ returnTo, userAgent: CHROME_ON_WINDOWS });
    return { ...started, id: follow.idOf(started.token), scene: scenes.at(-1)! };
  };
  return { follow, kv, signals, scenes, entered, scan, phone, start, advance: (ms: number) => (clock += ms) };
}

const reply = (content: string) => ({ kind: 'text', content });
const fails = async (p: Promise<unknown>, status: number, code: string) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect(err).toMatchObject({ status, code });
};

describe('login through the Official Account', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('makes a QR code whose scene is wxauth_ and an id derived from the desktop token, shown by showqrcode', async () => {
    const { token, qr, id, scene } = await t.start();
    expect(scene).toBe(`wxauth_${id}`);
    expect(scene.length).toBeLessThanOrEqual(64);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    // The id says nothing of the token: the confirm link (and WeChat) see the id, only the desktop the token.
    expect(token).not.toContain(id);
    expect(qr).toEqual({ qr: 'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=ticket-1', expiresIn: 300 });
    expect(await t.follow.stateOf(id)).toBe('waiting');
    // Two desktops, two logins.
    expect((await t.start()).id).not.toBe(id);
  });

  it("demo mode only: the desktop is also given the code's address (the simulator's scan page)", async () => {
    expect((await t.start()).qr.demoScan).toBeUndefined();
    expect((await setup({}, true).start()).qr.demoScan).toBe('http://weixin.qq.com/q/1');
  });

  it('leaves every push that is not a scan of its own QR code to the next handler', async () => {
    const push = (fields: Partial<WechatPush>) =>
      t.follow.pushHandler.handle(
        { ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: 1, MsgType: 'event', ...fields },
        { requestId: 'r', ip: '1.1.1.1' },
      );
    expect(await push({ MsgType: 'text', Content: 'wxauth_0123' })).toBeNull();
    expect(await push({ Event: 'subscribe' })).toBeNull();
    expect(await push({ Event: 'subscribe', EventKey: '' })).toBeNull();
    expect(await push({ Event: 'subscribe', EventKey: 'qrscene_promo_2026' })).toBeNull();
    expect(await push({ Event: 'SCAN', EventKey: 'promo_2026' })).toBeNull();
    expect(await push({ Event: 'CLICK', EventKey: 'wxauth_menu' })).toBeNull();
    expect(await push({ Event: 'unsubscribe', EventKey: '' })).toBeNull();
    // A follower's SCAN never carries qrscene_: that one is someone else's scene.
    expect(await push({ Event: 'SCAN', EventKey: 'qrscene_wxauth_x' })).toBeNull();
  });

  it.each(['SCAN', 'subscribe'] as const)(
    'a %s of a waiting QR code: the scanner is recorded and gets the confirm link, with the desktop named',
    async (event) => {
      const { id, scene } = await t.start();
      const heard: string[] = [];
      await t.follow.subscribe(id, () => heard.push('notice'));
      const answer = await t.scan(scene, 'o-alice', event);
      expect(answer).toEqual(
        reply(
          `你正在电脑上登录 h5.example.com（Chrome，Windows，12 月 7 日 14:05）。<a href="https://h5.example.com/follow/confirm?login=${id}">点此确认登录</a>`,
        ),
      );
      expect(await t.follow.stateOf(id)).toBe('scanned');
      await new Promise((r) => setTimeout(r, 0));
      expect(heard).toEqual(['notice']);
    },
  );

  it('an expired QR code gets a polite reply and never a login', async () => {
    const { id, scene } = await t.start();
    t.advance(300_001);
    expect(await t.follow.stateOf(id)).toBe('expired');
    expect(await t.scan(scene, 'o-alice')).toEqual(reply(FOLLOW_REPLIES.expired));
    await fails(t.follow.answer(id, t.phone('o-alice'), 'confirmed'), 410, 'FOLLOW_LOGIN_EXPIRED');
    expect(await t.follow.stateOf(id)).toBe('expired');
  });

  it('an unknown or malformed wxauth_ scene gets the same polite reply', async () => {
    expect(await t.scan(`wxauth_${'ab'.repeat(16)}`, 'o-alice')).toEqual(reply(FOLLOW_REPLIES.expired));
    expect(await t.scan('wxauth_../../x', 'o-alice')).toEqual(reply(FOLLOW_REPLIES.expired));
    expect(await t.scan('wxauth_', 'o-alice', 'subscribe')).toEqual(reply(FOLLOW_REPLIES.expired));
  });

  it('a second scan by another user after the first gets "taken", and cannot confirm', async () => {
    const { id, scene } = await t.start();
    await t.scan(scene, 'o-alice');
    expect(await t.scan(scene, 'o-mallory', 'subscribe')).toEqual(reply(FOLLOW_REPLIES.taken));
    await fails(t.follow.answer(id, t.phone('o-mallory'), 'confirmed'), 403, 'FOLLOW_LOGIN_OTHER_USER');
    await fails(t.follow.info(id, t.phone('o-mallory')), 403, 'FOLLOW_LOGIN_OTHER_USER');
    expect(await t.follow.stateOf(id)).toBe('scanned');
  });

  it('of two scans at once by two users, exactly one is the scanner', async () => {
    const { scene } = await t.start();
    const replies = await Promise.all(['o-a', 'o-b', 'o-c'].map((u) => t.scan(scene, u)));
    expect(replies.filter((r) => r?.kind === 'text' && r.content.includes('/follow/confirm'))).toHaveLength(1);
    expect(replies.filter((r) => r?.kind === 'text' && r.content === FOLLOW_REPLIES.taken)).toHaveLength(2);
  });

  it('the confirm page refuses another openid, or the same openid of another account', async () => {
    const { id, scene } = await t.start();
    await t.scan(scene, 'o-alice');
    await fails(t.follow.info(id, t.phone('o-bob')), 403, 'FOLLOW_LOGIN_OTHER_USER');
    await fails(t.follow.info(id, t.phone('o-alice', 'wxfedcba9876543210')), 403, 'FOLLOW_LOGIN_OTHER_USER');
    expect(await t.follow.info(id, t.phone('o-alice'))).toEqual({
      site: 'h5.example.com',
      desktop: { browser: 'Chrome', os: 'Windows' },
      at: Date.parse('2026-12-07T06:05:00Z'),
      state: 'scanned',
    });
  });

  it('nobody can confirm a QR code nobody scanned', async () => {
    const { id } = await t.start();
    await fails(t.follow.answer(id, t.phone('o-alice'), 'confirmed'), 410, 'FOLLOW_LOGIN_EXPIRED');
  });

  it('confirmed once: a replayed confirm, or a cancel after it, is refused', async () => {
    const { id, scene } = await t.start();
    await t.scan(scene, 'o-alice');
    expect(await t.follow.answer(id, t.phone('o-alice'), 'confirmed')).toEqual({ state: 'confirmed' });
    expect(await t.follow.stateOf(id)).toBe('confirmed');
    await fails(t.follow.answer(id, t.phone('o-alice'), 'confirmed'), 409, 'FOLLOW_LOGIN_ANSWERED');
    await fails(t.follow.answer(id, t.phone('o-alice'), 'cancelled'), 409, 'FOLLOW_LOGIN_ANSWERED');
    // Scanning again says so, and changes nothing.
    expect(await t.scan(scene, 'o-alice')).toEqual(reply(FOLLOW_REPLIES.answered));
  });

  it('the desktop collects its session once, only after the confirmation, as the scanner', async () => {
    const { id, scene, token } = await t.start('/orders');
    await fails(t.follow.finish(token), 409, 'FOLLOW_LOGIN_NOT_CONFIRMED');
    await t.scan(scene, 'o-alice');
    await fails(t.follow.finish(token), 409, 'FOLLOW_LOGIN_NOT_CONFIRMED');
    await t.follow.answer(id, t.phone('o-alice'), 'confirmed');
    expect(await t.follow.finish(token)).toEqual({
      body: { next: 'bind', returnTo: '/orders' },
      session: { set: 'new-session' },
    });
    expect(t.entered).toEqual([{ openid: 'o-alice', returnTo: '/orders', unionid: null }]);
    await fails(t.follow.finish(token), 410, 'FOLLOW_LOGIN_EXPIRED');
    expect(t.entered).toHaveLength(1);
  });

  it('only the desktop that holds the token collects: another token is another (unknown) login', async () => {
    const { id, scene } = await t.start();
    await t.scan(scene, 'o-alice');
    await t.follow.answer(id, t.phone('o-alice'), 'confirmed');
    await fails(t.follow.finish('A'.repeat(43)), 410, 'FOLLOW_LOGIN_EXPIRED');
    expect(t.entered).toEqual([]);
  });

  it('cancelled on the phone: the desktop is told, and cannot collect', async () => {
    const { id, scene, token } = await t.start();
    await t.scan(scene, 'o-alice');
    expect(await t.follow.answer(id, t.phone('o-alice'), 'cancelled')).toEqual({ state: 'cancelled' });
    expect(await t.follow.stateOf(id)).toBe('cancelled');
    await fails(t.follow.finish(token), 409, 'FOLLOW_LOGIN_NOT_CONFIRMED');
    await fails(t.follow.answer(id, t.phone('o-alice'), 'confirmed'), 409, 'FOLLOW_LOGIN_ANSWERED');
  });

  it('an answer is final for the whole login: a cancel cannot be turned into a confirm minutes later', async () => {
    // Attack: the user cancels a login they did not start (QR login-jacking); the answer must not lapse
    // while the scan still lets the phone answer, or the chat's link confirms it after all.
    const { id, scene, token } = await t.start();
    await t.scan(scene, 'o-alice');
    await t.follow.answer(id, t.phone('o-alice'), 'cancelled');
    t.advance(2 * 60_000 + 1);
    expect(await t.follow.stateOf(id)).toBe('cancelled');
    await fails(t.follow.answer(id, t.phone('o-alice'), 'confirmed'), 409, 'FOLLOW_LOGIN_ANSWERED');
    await fails(t.follow.finish(token), 409, 'FOLLOW_LOGIN_NOT_CONFIRMED');
    expect(t.entered).toEqual([]);
  });

  it('a confirmation the desktop did not collect in time is over, not open to a second answer', async () => {
    const { id, scene, token } = await t.start();
    await t.scan(scene, 'o-alice');
    await t.follow.answer(id, t.phone('o-alice'), 'confirmed');
    t.advance(2 * 60_000 + 1);
    expect(await t.follow.stateOf(id)).toBe('expired');
    await fails(t.follow.answer(id, t.phone('o-alice'), 'confirmed'), 409, 'FOLLOW_LOGIN_ANSWERED');
    await fails(t.follow.finish(token), 410, 'FOLLOW_LOGIN_EXPIRED');
    expect(t.entered).toEqual([]);
  });

  it('a long-lived QR code (FOLLOW_LOGIN_TTL_SECONDS=1800): a scan left unanswered ends the login, no second scanner', async () => {
    // Attack: someone who photographed the QR code scans it after the first scan's five minutes ran out.
    t = setup({ ttlSeconds: 1800 });
    const { id, scene, token } = await t.start();
    await t.scan(scene, 'o-alice');
    t.advance(6 * 60_000);
    expect(await t.follow.stateOf(id)).toBe('expired');
    expect([reply(FOLLOW_REPLIES.taken), reply(FOLLOW_REPLIES.expired)]).toContainEqual(
      await t.scan(scene, 'o-mallory'),
    );
    expect(await t.follow.stateOf(id)).toBe('expired');
    await fails(t.follow.answer(id, t.phone('o-mallory'), 'confirmed'), 410, 'FOLLOW_LOGIN_EXPIRED');
    await fails(t.follow.finish(token), 409, 'FOLLOW_LOGIN_NOT_CONFIRMED');
    expect(t.entered).toEqual([]);
  });

  it("spends at most its share of the account's daily QR codes, so the company's own keep working", async () => {
    // Attack: a few addresses asking for QR codes all day (20 a minute each) use up the account's
    // 100 000 parametric QR codes a day, and the company's own QR codes stop working with it.
    t = setup({}, false, 2);
    await t.start();
    await t.start();
    await fails(t.start(), 429, 'RATE_LIMITED');
    expect(t.scenes).toHaveLength(2);
    t.advance(24 * 3600_000);
    await t.start();
    expect(t.scenes).toHaveLength(3);
  });

  it("a crafted User-Agent cannot put words, links or placeholders into the account's reply", async () => {
    // Attack: the desktop's User-Agent is the attacker's to write, and its browser and system go into a
    // WeChat text message in which <a href> is a link.
    const userAgent =
      'Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 <a href="https://evil.example.com/">{link}</a> ]]></Content> 官方客服';
    const { token } = await t.follow.start({ returnTo: '/', userAgent });
    const scene = t.scenes.at(-1)!;
    const { content } = (await t.scan(scene, 'o-alice')) as { content: string };
    expect(content).toContain('（Chrome，Windows，');
    expect(content).not.toMatch(/evil|\]\]>|官方客服|Mozilla/);
    expect(content.match(/<a /g)).toHaveLength(1);
    expect(await t.follow.info(t.follow.idOf(token), t.phone('o-alice'))).toMatchObject({
      desktop: { browser: 'Chrome', os: 'Windows' },
    });
  });

  it('the phone has five minutes after the scan, even past the QR code life; then the login is over', async () => {
    const { id, scene } = await t.start();
    t.advance(299_000);
    await t.scan(scene, 'o-alice');
    t.advance(60_000);
    expect(await t.follow.stateOf(id)).toBe('scanned');
    t.advance(4 * 60_000 + 1);
    expect(await t.follow.stateOf(id)).toBe('expired');
    await fails(t.follow.answer(id, t.phone('o-alice'), 'confirmed'), 410, 'FOLLOW_LOGIN_EXPIRED');
  });

  it('the same user scanning again gets the confirm link again', async () => {
    const { scene } = await t.start();
    const first = await t.scan(scene, 'o-alice');
    expect(await t.scan(scene, 'o-alice', 'subscribe')).toEqual(first);
  });

  it('limits scans per WeChat user, and per QR code', async () => {
    for (let i = 0; i < 10; i++) await t.scan(`wxauth_${'0'.repeat(31)}${i}`, 'o-eager');
    const { scene } = await t.start();
    expect(await t.scan(scene, 'o-eager')).toEqual(reply(FOLLOW_REPLIES.limited));
    t.advance(61_000);
    expect((await t.scan(scene, 'o-eager'))?.kind).toBe('text');

    const other = await t.start();
    for (let i = 0; i < 5; i++) await t.scan(other.scene, `o-crowd-${i}`);
    expect(await t.scan(other.scene, 'o-crowd-5')).toEqual(reply(FOLLOW_REPLIES.limited));
  });

  it('FOLLOW_LOGIN_CONFIRM=0: the scan alone signs the desktop in, and the reply says so', async () => {
    const u = setup({ confirm: false, replyText: '' });
    const { id, scene, token } = await u.start('/');
    expect(await u.scan(scene, 'o-alice', 'subscribe')).toEqual(
      reply(
        '你已在电脑上登录 h5.example.com（Chrome，Windows，12 月 7 日 14:05）。如果不是你本人操作，请立即联系我们。',
      ),
    );
    expect(await u.follow.stateOf(id)).toBe('confirmed');
    expect((await u.follow.finish(token)).body).toEqual({ next: 'bind', returnTo: '/' });
    expect(u.entered).toEqual([{ openid: 'o-alice', returnTo: '/', unionid: null }]);
    // Still the first scanner only.
    const next = await u.start();
    await u.scan(next.scene, 'o-alice');
    expect(await u.scan(next.scene, 'o-mallory')).toEqual(reply(FOLLOW_REPLIES.taken));
  });
});
