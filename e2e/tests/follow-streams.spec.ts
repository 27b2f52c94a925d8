import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { startStack } from '../stack.mjs';
import { expect, test } from './fixtures';

// nginx.conf caps the desktop's event streams (/api/auth/follow/events) per client address: 100 open at
// once, the next refused with 429 (limit_conn). Real nginx with the shipped value, in front of the demo
// stack's BFF (follow login on), all from 127.0.0.1: one address, as an office behind one NAT.

const CAP = 100;

test.describe.configure({ mode: 'serial', timeout: 90_000 });

type Stream = { req: ClientRequest; res: IncomingMessage };

/** A desktop's cookie: the one POST /api/auth/follow/qr sets, as the page's first call does. */
async function desktopCookie(origin: string): Promise<string> {
  const res = await fetch(`${origin}/api/auth/follow/qr`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ returnTo: '/' }),
  });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

/** One event stream through nginx, on its own connection: the answer's head, the body left open. */
function openStream(origin: string, cookie: string): Promise<Stream> {
  const port = Number(new URL(origin).port);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/api/auth/follow/events',
        headers: { host: `localhost:${port}`, cookie, accept: 'text/event-stream' },
        agent: false,
      },
      (res) => resolve({ req, res }),
    );
    req.on('error', reject);
    req.end();
  });
}

/** The whole body of a refused stream. */
async function bodyOf({ res }: Stream): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}

const close = (s: Stream) => s.req.destroy();

test('one address holds at most 100 streams; the next is 429, and a closed one makes room', async ({ demo }) => {
  const cookie = await desktopCookie(demo.origin);
  const open: Stream[] = [];
  try {
    for (let i = 0; i < CAP; i++) open.push(await openStream(demo.origin, cookie));
    for (const [i, { res }] of open.entries()) {
      expect([i, res.statusCode, res.headers['content-type']]).toEqual([i, 200, 'text/event-stream; charset=utf-8']);
    }

    const refused = await openStream(demo.origin, cookie);
    expect(refused.res.statusCode).toBe(429);
    // nginx's own answer (limit_conn), not the BFF's JSON 429 of its request rate limit.
    expect(refused.res.headers['content-type']).toMatch(/^text\/html/);
    expect(await bodyOf(refused)).toContain('429 Too Many Requests');

    // One desktop goes away: nginx sees its connection close and lets the next one in.
    close(open.shift()!);
    await expect
      .poll(
        async () => {
          const next = await openStream(demo.origin, cookie);
          if (next.res.statusCode === 200) open.push(next);
          else await bodyOf(next);
          return next.res.statusCode;
        },
        { timeout: 5000 },
      )
      .toBe(200);
    expect(open).toHaveLength(CAP);

    // Full again.
    const again = await openStream(demo.origin, cookie);
    expect(again.res.statusCode).toBe(429);
    await bodyOf(again);
  } finally {
    open.forEach(close);
  }
});

test('a desktop whose stream is refused says so, and its refresh works once there is room', async ({
  page,
  consoleErrors,
}) => {
  // The refusal Chromium logs is this test's point.
  consoleErrors.expectFailure(429, '/api/auth/follow/events');
  // A stack of its own: the BFF allows one address 120 streams a minute, and the test above took 101.
  const demo = await startStack({ demo: true });
  // 100 streams of another desktop's login from this address; the page gets a login of its own.
  const cookie = await desktopCookie(demo.origin);
  const open: Stream[] = [];
  try {
    for (let i = 0; i < CAP; i++) open.push(await openStream(demo.origin, cookie));
    expect(open.every((s) => s.res.statusCode === 200)).toBe(true);

    await page.goto(`${demo.origin}/follow-login`);
    const main = page.getByRole('main');
    await expect(main.getByRole('alert')).toHaveText('当前网络中正在扫码登录的页面过多，请稍后刷新二维码');
    const refresh = main.getByRole('button', { name: '刷新二维码' });
    await expect(refresh).toBeVisible();

    open.splice(0).forEach(close);
    await refresh.click();
    await expect(main.getByRole('status')).toHaveText('请用微信扫描二维码，关注公众号后即可登录');
    await expect(main.getByRole('alert')).toHaveCount(0);
  } finally {
    open.forEach(close);
    // The page's stream would keep a connection to the BFF open: it leaves first.
    await page.close();
    await demo.stop();
  }
});
