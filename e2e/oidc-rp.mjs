// A relying party on another host name (127.0.0.1, where the H5 app is localhost): the company's other
// app, signing its users in with wxauth through OpenID Connect with the docs' Node example
// (docs/examples/oidc-client.mjs, panva's openid-client). It also receives back-channel logouts.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { allowInsecureRequests, buildEndSessionUrl, refreshTokenGrant } from 'openid-client';
import { finishLogin, startLogin, wxauthClient } from '../docs/examples/oidc-client.mjs';

const browserOf = (req) => /(?:^|;\s*)rp=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];

/**
 * The RP on a free port, started before wxauth (whose client file names its addresses): `configure`
 * tells it wxauth's issuer (http here: the e2e stack has no TLS) and its client.
 */
export async function startRp() {
  const pending = new Map();
  /** Signed in: the browser's rp cookie → its tokens (the id_token is the hint for RP-initiated logout). */
  const signedIn = new Map();
  const logouts = [];
  let settings;
  let config;
  const client = async () =>
    (config ??= await wxauthClient({ ...settings, options: { execute: [allowInsecureRequests] } }));

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, origin);
      // The browser asks; an app has one.
      if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
      if (url.pathname === '/login') {
        const { url: to, keep } = await startLogin(await client(), `${origin}/callback`, 'openid phone wechat');
        const id = randomBytes(16).toString('base64url');
        pending.set(id, keep);
        res.writeHead(302, { location: to.href, 'set-cookie': `rp=${id}; Path=/; HttpOnly; SameSite=Lax` });
        return res.end();
      }
      if (url.pathname === '/callback') {
        const id = browserOf(req);
        const keep = id && pending.get(id);
        if (!keep) return res.writeHead(400).end('no login in progress');
        pending.delete(id);
        // The user said no at wxauth (拒绝): the app's own page for it, for the login this browser began.
        if (url.searchParams.has('error')) {
          if (url.searchParams.get('state') !== keep.state) return res.writeHead(400).end('state mismatch');
          return res.writeHead(200, { 'content-type': 'text/plain' }).end(`refused: ${url.searchParams.get('error')}`);
        }
        const { user, tokens } = await finishLogin(await client(), url, keep);
        signedIn.set(id, tokens);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(user));
      }
      // RP-initiated logout: to wxauth's end_session, and back to /bye.
      if (url.pathname === '/logout') {
        const idToken = signedIn.get(browserOf(req))?.id_token;
        if (!idToken) return res.writeHead(400).end('not signed in');
        const to = buildEndSessionUrl(await client(), {
          id_token_hint: idToken,
          post_logout_redirect_uri: `${origin}/bye`,
          state: 'bye',
        });
        return res.writeHead(302, { location: to.href }).end();
      }
      // Refresh rotation: the tokens refreshed once (a new refresh token), then the spent one tried
      // again, which wxauth must refuse. Answers what happened, never a token.
      if (url.pathname === '/refresh') {
        const id = browserOf(req);
        const old = signedIn.get(id)?.refresh_token;
        if (!old) return res.writeHead(400).end('not signed in');
        const next = await refreshTokenGrant(await client(), old);
        signedIn.set(id, next);
        const reuse = await refreshTokenGrant(await client(), old).then(
          () => 'accepted',
          (error) => error.error ?? String(error),
        );
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            sub: next.claims()?.sub,
            rotated: Boolean(next.refresh_token) && next.refresh_token !== old,
            reuse,
          }),
        );
      }
      if (url.pathname === '/bye') return res.writeHead(200, { 'content-type': 'text/plain' }).end('signed out');
      if (url.pathname === '/backchannel' && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        logouts.push(new URLSearchParams(body).get('logout_token'));
        return res.writeHead(200).end();
      }
      res.writeHead(404).end();
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error?.error ?? error?.message ?? error));
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    logouts,
    configure: (s) => void (settings = s),
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}
