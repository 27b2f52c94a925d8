// Two BFF instances behind the repository's nginx, on a real MariaDB and a real Redis: the stack the
// cluster journeys (tests/cluster.spec.ts) and the scale-out benchmark run.
import { request } from 'node:http';
import { startMariadb, startRedis } from '../scripts/servers.mjs';
import { freePorts, startStack } from './stack.mjs';

/**
 * @param {{ instances?: number, env?: Record<string, string> }} [options]  how many BFF processes behind
 *   nginx (two by default), and more of their environment
 */
export async function startCluster({ instances = 2, env = {} } = {}) {
  const [redis, mariadb] = await Promise.all([startRedis(), startMariadb()]);
  const databaseUrl = await mariadb.createDatabase('wxauth');
  const [nginxPort, bffPort, ...more] = await freePorts(1 + instances);
  const stack = await startStack({
    demo: false,
    nginxPort,
    bffPort,
    instances: more,
    env: { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, LOG_LEVEL: 'error', ...env },
  });
  return {
    ...stack,
    redis,
    mariadb,
    databaseUrl,
    /** @returns {Promise<Record<string, number>>} WeChat's calls so far, by path. */
    async simStats() {
      return (await (await fetch(`${stack.simOrigin}/__sim/stats`)).json()).calls;
    },
    async stop() {
      await stack.stop();
      await Promise.all([redis.close(), mariadb.close()]);
    },
  };
}

/**
 * @typedef {{ status: number, headers: import('node:http').IncomingHttpHeaders, body: string,
 *   json: () => any }} Answer
 */

/**
 * A phone's browser, over plain HTTP: its own cookies, and its own loopback address (127.x.y.z), so
 * nginx and the BFF see many different clients the way they would in production.
 */
export class Phone {
  cookies = new Map();
  simCookies = new Map();

  /** @param {string} address a loopback address  @param {string} wechatUser the simulator's user */
  constructor(address, wechatUser) {
    this.address = address;
    this.wechatUser = wechatUser;
  }

  /**
   * @param {string} url
   * @param {{ method?: string, json?: unknown, jar?: Map<string, string> }} [init]
   * @returns {Promise<Answer>}
   */
  send(url, init = {}) {
    const jar = init.jar ?? this.cookies;
    const body = init.json === undefined ? undefined : JSON.stringify(init.json);
    /** @type {Record<string, string>} */
    const headers = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', headers, localAddress: this.address }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair] = line.split(';');
            const eq = pair.indexOf('=');
            if (/Max-Age=0/i.test(line)) jar.delete(pair.slice(0, eq));
            else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
          }
          resolve({ status: res.statusCode, headers: res.headers, body: text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Starts a login at `origin` and walks WeChat's silent authorization: the code and state it returns.
   * @param {string} origin
   */
  async authorize(origin) {
    const started = await this.send(`${origin}/api/auth/wechat/authorize?scope=snsapi_base&returnTo=/`);
    if (started.status !== 302) return { code: '', state: '', started };
    const wechat = new URL(String(started.headers.location).replace(/#.*$/, ''));
    wechat.searchParams.set('wxsim_user', this.wechatUser);
    const back = await this.send(wechat.href, { jar: this.simCookies });
    const to = new URL(String(back.headers.location));
    return { code: to.searchParams.get('code') ?? '', state: to.searchParams.get('state') ?? '', started };
  }

  /** @param {string} origin  @param {{ code: string, state: string }} p */
  finish(origin, p) {
    return this.send(`${origin}/api/auth/wechat/login`, { method: 'POST', json: p });
  }

  /** @param {string} origin */
  async login(origin) {
    return this.finish(origin, await this.authorize(origin));
  }
}
