// Auth.js, the peer of `pnpm bench:peers`: @auth/core's `Auth(request, config)` on node:http, with its
// built-in WeChat provider (platformType 'OfficialAccount': snsapi_userinfo) and its default session
// strategy (no adapter: an encrypted JWT in a cookie). Its three WeChat endpoints point at the simulator
// through the provider's documented overrides (authjs.dev, "customizing a built-in OAuth provider");
// nothing else is changed. Why node:http and not @auth/express: @auth/core's own documentation for
// the WeChat provider shows exactly `Auth(request, { providers: [WeChat({ … })] })`, and Express would
// put a second framework's work in front of Auth.js's; this is the least that serves it.
// Environment: PORT, SIM (the simulator's origin), APPID, SECRET, AUTH_SECRET.
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Auth } from '@auth/core';
import WeChat from '@auth/core/providers/wechat';

const { PORT, SIM, APPID, SECRET, AUTH_SECRET } = process.env;

/** The Auth.js configuration, as its documents write it: one provider, a secret, the host trusted. */
export const config = {
  secret: AUTH_SECRET,
  // Auth.js behind a known origin: the bench's own loopback server (AUTH_TRUST_HOST in its documents).
  trustHost: true,
  basePath: '/auth',
  providers: [
    WeChat({
      clientId: APPID,
      clientSecret: SECRET,
      platformType: 'OfficialAccount',
      // The provider's own endpoints are open.weixin.qq.com and api.weixin.qq.com: the same paths, here.
      authorization: { url: `${SIM}/connect/oauth2/authorize` },
      token: { url: `${SIM}/sns/oauth2/access_token` },
      userinfo: { url: `${SIM}/sns/userinfo` },
    }),
  ],
};

/** A node:http request as the Web Request Auth() takes (what @auth/express's toWebRequest does too). */
async function toWebRequest(req) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  let body;
  if (req.method === 'POST') {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    body = Buffer.concat(chunks);
  }
  return new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body });
}

// The event loop's delays, for the benchmark's report (what the BFF's /metrics has from prom-client):
// read and reset by GET /__bench/eld, outside Auth.js's basePath.
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();

const server = createServer(async (req, res) => {
  try {
    if (req.url === '/healthz') return void res.end('ok');
    if (req.url === '/__bench/eld') {
      res.end(JSON.stringify({ p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 }));
      return void eld.reset();
    }
    const response = await Auth(await toWebRequest(req), config);
    const headers = {};
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers[name] = value;
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length) headers['set-cookie'] = cookies;
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(PORT ?? 0), '127.0.0.1', () => {
  console.error(`authjs listening on http://127.0.0.1:${server.address().port}`);
});
// An orderly exit on SIGINT, so that `node --cpu-prof` writes its profile (bench:peers --prof).
process.on('SIGINT', () => process.exit(0));
