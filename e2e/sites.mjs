// Two sites on subdomains, passport and trade under .example.test, that log users in through the
// authorization proxy as php_weixin_proxy's users do: a link to the proxy's root, and a callback whose
// own backend exchanges the code with WeChat (the simulator). HTTPS with a throwaway certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoApps } from '@wxauth/wechat-sim';

/** @param {{ proxyOrigin: string, simApi: string }} options  the proxy's public origin, WeChat's API */
export async function startSites({ proxyOrigin, simApi }) {
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-sites-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=example.test',
      '-addext',
      'subjectAltName=DNS:*.example.test',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const [official, website] = demoApps('unused');
  // An empty icon: a browser asks for /favicon.ico otherwise, and logs the 404 as an error.
  const page = (title, lines) =>
    `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title><h1>${title}</h1>${lines.map((l) => `<p>${l}</p>`).join('')}`;

  const server = createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    async (req, res) => {
      const site = (req.headers.host ?? '').split('.')[0];
      const url = new URL(req.url, `https://${req.headers.host}`);
      const pc = url.searchParams.get('device') === 'pc' || url.searchParams.get('state')?.endsWith('-pc');
      if (url.pathname === '/login') {
        const q = new URLSearchParams({
          appid: pc ? website.appid : official.appid,
          redirect_uri: `https://${req.headers.host}/callback`,
          response_type: 'code',
          scope: pc ? 'snsapi_login' : (url.searchParams.get('scope') ?? 'snsapi_base'),
          state: `${site}-${pc ? 'pc' : 'h5'}`,
        });
        if (pc) q.set('device', 'pc');
        res.writeHead(302, { location: `${proxyOrigin}/?${q}` }).end();
        return;
      }
      if (url.pathname === '/callback') {
        const code = url.searchParams.get('code');
        const state = url.searchParams.get('state');
        res.setHeader('content-type', 'text/html; charset=utf-8');
        if (!code) return void res.end(page(`${site}：用户拒绝授权`, [`state: ${state}`]));
        const app = pc ? website : official;
        const q = new URLSearchParams({ appid: app.appid, secret: app.secret, code, grant_type: 'authorization_code' });
        const tokens = await (await fetch(`${simApi}/sns/oauth2/access_token?${q}`)).json();
        return void res.end(
          page(`${site}：登录成功`, [`openid: ${tokens.openid ?? tokens.errcode}`, `state: ${state}`]),
        );
      }
      res.writeHead(404).end();
    },
  );
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    passport: `https://passport.example.test:${port}`,
    trade: `https://trade.example.test:${port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}
