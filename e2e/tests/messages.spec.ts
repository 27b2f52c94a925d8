// The Official Account's message endpoint (issue 26) through the repository's nginx: the simulator pushes
// as WeChat does, in plaintext and in safe mode, to PUBLIC_URL/api/wechat/messages; pushes wxauth does not
// claim reach the company's existing handler (a real server checking its own signature), and its reply
// reaches the user's chat in WeChat.
import { demoApps } from '@wxauth/wechat-sim';
import { expect, test } from './fixtures';
import { startStack } from '../stack.mjs';
import { startWechatHandler } from '../wechat-handler.mjs';

const TOKEN = 'e2eMessageToken';
const KEY = 'e2eEncodingAESKey0123456789abcdefghijklmnop';
const [official] = demoApps('localhost');
const APPID = official!.appid;

type Stack = Awaited<ReturnType<typeof startStack>>;
type Handler = Awaited<ReturnType<typeof startWechatHandler>>;

let stack: Stack;
let handler: Handler;

test.beforeAll(async () => {
  handler = await startWechatHandler({
    token: TOKEN,
    encodingAESKey: KEY,
    appid: APPID,
    reply: (push) =>
      push.includes('<MsgType><![CDATA[text]]>') ? '您好，这里是原有的客服系统' : '欢迎来到原有的活动页',
  });
  stack = await startStack({
    demo: false,
    env: { WX_MESSAGE_TOKEN: TOKEN, WX_MESSAGE_AES_KEYS: KEY, WX_MESSAGE_FORWARD_URL: handler.url },
  });
});

test.afterAll(async () => {
  await stack?.stop();
  await handler?.close();
});

/** The simulator's control (and WeChat's API), as a backend calls it. */
async function sim(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.simApi}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** The account's 服务器配置: PUBLIC_URL's endpoint, through nginx, in `mode`. */
const serverConfig = (mode: 'plaintext' | 'safe') =>
  sim('/__sim/oa/server', {
    appid: APPID,
    url: `${stack.origin}/api/wechat/messages`,
    token: TOKEN,
    encodingAESKey: KEY,
    mode,
  });

/** A temporary parametric code of a scene that is not wxauth's (a poster of the shop's, say). */
async function posterCode(scene: string): Promise<string> {
  const token = (await (
    await fetch(`${stack.simApi}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${official!.secret}`)
  ).json()) as { access_token: string };
  const made = await sim(`/cgi-bin/qrcode/create?access_token=${token.access_token}`, {
    expire_seconds: 300,
    action_name: 'QR_STR_SCENE',
    action_info: { scene: { scene_str: scene } },
  });
  return made.ticket as string;
}

for (const mode of ['plaintext', 'safe'] as const) {
  test(`${mode}: a scan and a message nobody in wxauth claims reach the existing handler, and its replies the user's chat`, async ({
    page,
  }) => {
    await serverConfig(mode);
    const user = `oa-${mode}-${Date.now()}`;
    const before = handler.state.pushes.length;

    const scan = await sim('/__sim/oa/scan', { appid: APPID, ticket: await posterCode(`poster_${mode}`), user });
    expect(scan).toMatchObject({ event: 'subscribe', delivered: true, attempts: 1 });
    expect(scan.reply).toEqual({ msgType: 'text', content: '欢迎来到原有的活动页' });
    const said = await sim('/__sim/oa/message', { appid: APPID, user, content: '人工客服' });
    expect(said.reply).toEqual({ msgType: 'text', content: '您好，这里是原有的客服系统' });

    // The handler got WeChat's pushes as WeChat sent them: its own signature checks passed, encrypted in safe mode.
    const got = handler.state.pushes.slice(before);
    expect(got.map((p) => p.encrypted)).toEqual([mode === 'safe', mode === 'safe']);
    expect(got[0]!.xml).toContain(`<EventKey><![CDATA[qrscene_poster_${mode}]]></EventKey>`);
    expect(got[1]!.xml).toContain('<Content><![CDATA[人工客服]]></Content>');
    expect(handler.state.refused).toBe(0);

    // What the user sees on the phone.
    await page.goto(`${stack.simOrigin}/__sim/oa/chat/view?appid=${APPID}&user=${user}`);
    const chat = page.getByRole('list', { name: '聊天记录' });
    await expect(chat.getByRole('listitem')).toHaveText([
      '欢迎来到原有的活动页',
      '人工客服',
      '您好，这里是原有的客服系统',
    ]);
  });
}

test('through nginx: the URL check answers echostr; a forged push, a stale one and an oversized one are refused', async () => {
  const { createHash } = await import('node:crypto');
  const sign = (...parts: string[]) =>
    createHash('sha1')
      .update([...parts].sort().join(''))
      .digest('hex');
  const timestamp = String(Math.floor(Date.now() / 1000));
  const url = `${stack.origin}/api/wechat/messages`;
  const check = await fetch(
    `${url}?signature=${sign(TOKEN, timestamp, '42')}&timestamp=${timestamp}&nonce=42&echostr=8080`,
  );
  expect([check.status, await check.text()]).toEqual([200, '8080']);

  const push = (q: string, body: string) =>
    fetch(`${url}?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  const xml =
    '<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>';
  expect((await push(`signature=${'0'.repeat(40)}&timestamp=${timestamp}&nonce=1`, xml)).status).toBe(401);
  const old = String(Number(timestamp) - 3600);
  expect((await push(`signature=${sign(TOKEN, old, '1')}&timestamp=${old}&nonce=1`, xml)).status).toBe(403);
  // nginx's own limit for this location: refused before the BFF reads it.
  const big = await push(`signature=${sign(TOKEN, timestamp, '1')}&timestamp=${timestamp}&nonce=1`, 'x'.repeat(70_000));
  expect(big.status).toBe(413);
});
