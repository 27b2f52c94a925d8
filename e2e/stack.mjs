// Starts the whole product on loopback for the end-to-end tests and bench:web: the built BFF, WeChat
// (the simulator), an SMS gateway stand-in, and real nginx running the repository's nginx.conf.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator, demoApps } from '@wxauth/wechat-sim';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
/** The uni-app example's H5 build (examples/uni-app: `uni build -p h5`). */
export const UNIAPP_DIST = join(ROOT, 'examples/uni-app/dist/build/h5');

/**
 * `n` different loopback ports nobody listens on, picked at random below the ephemeral range (32768 and
 * up on Linux, 49152 on macOS). A port listen(0) gives is from that range: any outgoing connection can
 * take it before the process it was meant for binds it, and with two runs at once one did.
 */
export async function freePorts(n) {
  const held = new Map();
  while (held.size < n) {
    const port = 10_000 + Math.floor(Math.random() * (32_768 - 10_000));
    const server = createTcpServer();
    const free = await new Promise((r) =>
      server.once('error', () => r(false)).listen(port, '127.0.0.1', () => r(true)),
    );
    if (free) held.set(port, server);
  }
  await Promise.all([...held.values()].map((s) => new Promise((r) => s.close(r))));
  return [...held.keys()];
}

/** A real WeChat in-app browser user agent (iOS): the H5 app looks for "MicroMessenger". */
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN';

/** WeChat's in-app browser on Android (its X5/XWeb WebView). */
export const ANDROID_WECHAT_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';

/** Debian's Chromium (Playwright's own browser download cannot work here), quiet on a closed network. */
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/**
 * The repository's nginx.conf with only the values of its "e2e:" lines replaced. Every marked line
 * must be replaced, and nothing else is touched, so the tests run the file that ships. A value may be
 * a function of the line's own value (the upstream keeps the file's server parameters). The image's
 * template names (${WXAUTH_*}) are all on marked lines: none may be left.
 * @param {Record<string, string | ((value: string) => string)>} values
 */
export function deriveNginxConf(values) {
  const source = readFileSync(join(ROOT, 'nginx.conf'), 'utf8');
  const seen = new Set();
  const out = source.replace(/^(\s*)(\S+)\s+(.*?);(\s*)# e2e: (\w+)$/gm, (line, indent, directive, value, _sp, key) => {
    if (!(key in values)) throw new Error(`nginx.conf: no e2e value for "${key}"`);
    seen.add(key);
    const replacement = values[key];
    return `${indent}${directive} ${typeof replacement === 'function' ? replacement(value) : replacement};`;
  });
  const missing = Object.keys(values).filter((k) => !seen.has(k));
  if (missing.length) throw new Error(`nginx.conf has no "e2e:" line for ${missing.join(', ')}`);
  const placeholder = /\$\{WXAUTH_\w+\}/.exec(out);
  if (placeholder) throw new Error(`nginx.conf: ${placeholder[0]} is on a line with no "e2e:" mark`);
  return out;
}

/** The upstream's server lines for BFFs on these loopback ports, with the parameters nginx.conf gives its one. */
export const upstreamServers = (ports) => (value) => {
  const params = value.split(/\s+/).slice(1).join(' ');
  return ports.map((p) => `127.0.0.1:${p}${params ? ` ${params}` : ''}`).join('; server ');
};

async function waitFor(url, child, what) {
  for (let i = 0; i < 300; i++) {
    if (child?.exitCode != null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up at ${url}`);
}

/** One BFF process on `port`: it can be killed (any signal) and started again with the same settings. */
function startBff(env, port) {
  const spawnBff = () =>
    spawn(process.execPath, [join(ROOT, 'bff/dist/server.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let child = spawnBff();
  const bff = {
    port,
    url: `http://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    start() {
      child = spawnBff();
      return bff.ready();
    },
    ready: () => waitFor(`${bff.url}/healthz`, child, `the BFF on ${port}`),
    /** Ends the process with `signal` (SIGKILL: a crash) and waits until it is gone. */
    kill: (signal = 'SIGTERM') =>
      new Promise((r) =>
        child.exitCode != null || child.signalCode != null ? r() : (child.once('exit', r), child.kill(signal)),
      ),
    stop: () => bff.kill('SIGTERM'),
  };
  return bff;
}

/** A stand-in SMS gateway for SMS_PROVIDER=webhook: keeps the last code per phone. */
async function startSmsGateway() {
  const codes = new Map();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST') {
        const { phone, code } = JSON.parse(body);
        codes.set(phone, code);
        res.writeHead(204).end();
      } else {
        const phone = new URL(req.url, 'http://x').searchParams.get('phone');
        res.writeHead(codes.has(phone) ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: codes.get(phone) }));
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * A location of one of the site's own services, as a deployment writes it in wxauth/services/:
 * `require` "bound" or "session" puts it behind the login; null leaves it open.
 * @param {{ path: string, upstream: string, require: 'bound' | 'session' | null }} service
 */
function serviceLocation({ path, upstream, require }) {
  const protect = require ? `    include wxauth/${require === 'bound' ? 'protect' : 'protect-session'}.conf;\n` : '';
  return `location ${path} {\n${protect}    proxy_pass ${upstream};\n}\n`;
}

/**
 * @param {{ demo: boolean, nginxPort?: number, bffPort?: number, simPort?: number, verifyDir?: string, webRoot?: string,
 *   proxy?: { domain: string, allowedHosts: string }, websiteLogin?: boolean, instances?: number[],
 *   env?: Record<string, string>,
 *   services?: Array<{ path: string, upstream: string, require: 'bound' | 'session' | null }> }} options
 * One stack. demo: the BFF in demo mode with its embedded simulator (what `pnpm start` runs).
 * Otherwise real mode: the BFF configured like production, WeChat played by a separate simulator,
 * SMS sent through the webhook provider to a local gateway. `instances`: more BFF ports behind the
 * same nginx upstream (a cluster; give it `env` with a shared DATABASE_URL and REDIS_URL).
 * Ports left out are free ones, so any number of stacks and test runs can share the machine.
 * `services`: locations of the site's own services behind this nginx (wxauth/services/).
 * `webRoot`: the H5 build nginx serves (default web/dist; the uni-app example's is UNIAPP_DIST).
 */
export async function startStack({
  demo,
  nginxPort,
  bffPort,
  simPort,
  verifyDir,
  webRoot = join(ROOT, 'web/dist'),
  proxy,
  websiteLogin,
  instances = [],
  env: extraEnv = {},
  services = [],
}) {
  const free = await freePorts(3);
  nginxPort ??= free[0];
  bffPort ??= free[1];
  const dir = mkdtempSync(join(tmpdir(), `wxauth-e2e-${demo ? 'demo' : 'real'}-`));
  // nginx's workers run as an unprivileged user: they must be able to read the verify folder.
  chmodSync(dir, 0o755);
  const origin = `http://localhost:${nginxPort}`;
  const proxyOrigin = proxy && `http://${proxy.domain}:${nginxPort}`;
  const closers = [];
  const env = {
    ...process.env,
    PORT: String(bffPort),
    PUBLIC_URL: origin,
    DATABASE_URL: `sqlite:${join(dir, 'wxauth.db')}`,
    TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'warn',
  };
  let simOrigin, simApi, inbox;
  if (demo) {
    simPort ??= free[2];
    env.WXSIM_PORT = String(simPort);
    simOrigin = `http://localhost:${simPort}`;
    simApi = `http://127.0.0.1:${simPort}`;
    inbox = `${origin}/api/dev/sms-inbox`;
  } else {
    // With a proxy, WeChat's callback domain is the proxy's; otherwise the H5 app's own.
    const apps = demoApps(proxy?.domain ?? 'localhost');
    const [official, website] = apps;
    const sim = await createSimulator({ apps, allowPorts: true }).listen(simPort ?? 0, '127.0.0.1');
    closers.push(sim.close);
    simApi = sim.origin;
    simOrigin = `http://localhost:${new URL(simApi).port}`;
    const smsGateway = await startSmsGateway();
    inbox = `${smsGateway.url}/last`;
    closers.push(smsGateway.close);
    Object.assign(env, {
      WX_APPID: official.appid,
      WX_APPSECRET: official.secret,
      WX_OPEN_BASE: simOrigin,
      WX_API_BASE: sim.origin,
      // The login QR code's image (showqrcode), as the browser reaches the simulator.
      WX_MP_BASE: simOrigin,
      // The pages run the simulator's JS-SDK stand-in, as WeChat's browser runs WeChat's script.
      WX_JSSDK_SCRIPT: `${simOrigin}/open/js/jweixin-1.6.0.js`,
      SESSION_SECRET: 'e2e-session-secret-0123456789abcdefghij',
      INTERNAL_API_TOKEN: 'e2e-internal-token-0123456789abcdefghij',
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: `${smsGateway.url}/sms`,
      WX_WEBSITE_APPID: website.appid,
      ...(websiteLogin && { WX_WEBSITE_APPSECRET: website.secret }),
      ...(proxy && {
        WX_PROXY_ALLOWED_HOSTS: proxy.allowedHosts,
        // A test port in the callback must be configured: the proxy never derives one.
        WX_PROXY_PUBLIC_URL: proxyOrigin,
      }),
    });
  }
  Object.assign(env, extraEnv);
  const bffs = [bffPort, ...instances].map((port) => startBff({ ...env, PORT: String(port) }, port));
  closers.push(() => Promise.all(bffs.map((b) => b.stop())));

  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'tmp'));
  const verify = verifyDir ?? join(dir, 'verify');
  mkdirSync(verify, { recursive: true, mode: 0o755 });
  // nginx.conf's own includes (wxauth/…) sit beside it, as in the image; plus the locations of the
  // site's own services this stack protects, as a deployment adds them.
  cpSync(join(ROOT, 'nginx'), join(dir, 'wxauth'), { recursive: true });
  writeFileSync(join(dir, 'wxauth/services/e2e.conf'), services.map(serviceLocation).join('\n'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    deriveNginxConf({
      pid: join(dir, 'nginx.pid'),
      error_log: `${join(dir, 'logs/error.log')} warn`,
      access_log: `${join(dir, 'logs/access.log')} wxauth`,
      mime_types: '/etc/nginx/mime.types',
      client_body_temp: join(dir, 'tmp/client-body'),
      proxy_temp: join(dir, 'tmp/proxy'),
      fastcgi_temp: join(dir, 'tmp/fastcgi'),
      uwsgi_temp: join(dir, 'tmp/uwsgi'),
      scgi_temp: join(dir, 'tmp/scgi'),
      // Several instances: one server line each, as several addresses of one name would give.
      upstream: upstreamServers([bffPort, ...instances]),
      listen: `127.0.0.1:${nginxPort} default_server`,
      server_name: 'localhost',
      proxy_listen: `127.0.0.1:${nginxPort}`,
      proxy_server_name: proxy?.domain ?? 'proxy.invalid',
      root: webRoot,
      verify_root: verify,
      // The simulator's headimgurl names the host the BFF asked it on (simApi), as WeChat's names its CDN.
      avatar_hosts: `"'self' data: https://thirdwx.qlogo.cn https://wx.qlogo.cn https://mp.weixin.qq.com ${simOrigin} ${simApi}"`,
      frame_hosts: `"https://open.weixin.qq.com ${simOrigin}"`,
      // The simulator's JS-SDK stand-in, and its wx.config check.
      jssdk_hosts: `"'self' https://res.wx.qq.com ${simOrigin}"`,
      jssdk_connect: `"'self' ${simOrigin}"`,
      // The e2e relying party is http on 127.0.0.1 (docs/guide/oidc.md: https only outside development).
      logout_targets: `"'self' https: http://127.0.0.1:*"`,
    }),
  );
  const nginx = spawn(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  closers.push(
    () => new Promise((r) => (nginx.exitCode != null ? r() : (nginx.once('exit', r), nginx.kill('SIGQUIT')))),
  );

  const stop = async () => {
    for (const close of closers.reverse()) await close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(bffs.map((b) => b.ready()));
    await waitFor(`http://127.0.0.1:${nginxPort}/nginx-health`, nginx, 'nginx');
  } catch (error) {
    // No process outlives a stack that failed to start.
    await stop();
    throw error;
  }

  return {
    origin,
    /** nginx's port: the H5 app's, and the authorization proxy's on its own server name. */
    port: nginxPort,
    /** The authorization proxy's public origin, with its port (when `proxy` is given). */
    proxyOrigin,
    /** The simulator as the browser sees it, and as backends call it. */
    simOrigin,
    simApi,
    /** Where the SMS codes sent can be read: `${inbox}?phone=…` answers `{ code }`. */
    inbox,
    bffs,
    verifyDir: verify,
    accessLog: join(dir, 'logs/access.log'),
    stop,
  };
}
