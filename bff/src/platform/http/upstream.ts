import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

/** An idle kept-alive connection is closed after this (sooner when the server says so). */
const IDLE_MS = 4000;

const idleSince = Symbol('idleSince');
const idleFor = Symbol('idleFor');
type Idle = Socket & { [idleSince]?: number; [idleFor]?: number };

/**
 * Kept-alive connections closed once idle for IDLE_MS, or a second before the server's Keep-Alive
 * hint runs out, so a request is not written to a connection the server is closing. Swept once a
 * second rather than by a timeout on each socket, which Node refreshes on every read and write.
 */
function keptAlive<A extends HttpAgent>(agent: A): A {
  const keep = agent.keepSocketAlive.bind(agent);
  agent.keepSocketAlive = (socket: Idle) => {
    const hint = /^timeout=(\d+)/.exec(
      String((socket as { _httpMessage?: { res?: IncomingMessage } })._httpMessage?.res?.headers['keep-alive'] ?? ''),
    )?.[1];
    socket[idleSince] = performance.now();
    socket[idleFor] = hint ? Math.min(IDLE_MS, Number(hint) * 1000 - 1000) : IDLE_MS;
    return keep(socket);
  };
  setInterval(() => {
    const t = performance.now();
    for (const sockets of Object.values(agent.freeSockets))
      for (const socket of (sockets ?? []) as Idle[]) if (t - socket[idleSince]! >= socket[idleFor]!) socket.destroy();
  }, 1000).unref();
  return agent;
}

/** Where a request goes, as node:http's options take it. */
interface Target {
  protocol: string;
  hostname: string;
  port: string;
  /** The path and the query, as the request line carries them. */
  path: string;
  auth?: string;
}

/** A path WHATWG URL parsing leaves as it is: RFC 3986's characters, no dot segment, no fragment. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:[/?]|$)/;

/** The target of `url` as `new URL` (then node:http) makes it: WHATWG parsing, which encodes and normalizes. */
function parsed(url: URL): Target {
  return {
    protocol: url.protocol,
    // IPv6 literals without their brackets, as node:http takes a hostname.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port,
    path: url.pathname + url.search,
    ...(url.username || url.password
      ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
      : {}),
  };
}

/**
 * `new URL` for every call parsed the whole address, and node:http converted it again (in the settled
 * login benchmark's profile): the origin is parsed once and kept (a few: the WeChat API, a forward URL,
 * the host's directory), and a path that parsing would leave as it is goes as it is. Anything else (a
 * space, a fragment, a dot segment, credentials, a query or a fragment before any path, upper case in
 * the scheme) is parsed whole, as before, so the request line and Host header are the same either way.
 */
function targets(): (address: string) => Target {
  const origins = new Map<string, Target>();
  return (address) => {
    const start = address.startsWith('http://') ? 7 : address.startsWith('https://') ? 8 : -1;
    const slash = start < 0 ? -1 : address.indexOf('/', start);
    const origin = slash < 0 ? address : address.slice(0, slash);
    const path = slash < 0 ? '' : address.slice(slash);
    if (start < 0 || /[@?#\\]/.test(origin) || !PLAIN_PATH.test(path) || DOT_SEGMENT.test(path))
      return parsed(new URL(address));
    let known = origins.get(origin);
    if (!known) {
      known = parsed(new URL(origin));
      if (origins.size < 64) origins.set(origin, known);
    }
    return { ...known, path };
  };
}

/**
 * The part of fetch the WeChat client uses (a GET or a POST with headers and a string body, an
 * AbortSignal; the answer's `status`, `ok`, `headers.get` and body) over node:http(s) with
 * kept-alive connections. undici's fetch was a fifth of the BFF's CPU in the login benchmark's
 * profile (WHATWG streams, Request and Response objects, an AbortSignal each); this costs about a third
 * of that. Failures are fetch's: a TypeError whose `cause` is the socket's error (`code`
 * ECONNREFUSED…), or the signal's reason once it aborts. TLS is verified as by any https request.
 */
export function createUpstreamFetch(options: { maxSockets?: number } = {}): typeof fetch {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const agents = { 'http:': keptAlive(new HttpAgent(agentOptions)), 'https:': keptAlive(new HttpsAgent(agentOptions)) };
  const target = targets();

  const upstreamFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = target(String(input));
    const { signal, body } = init;
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return Promise.reject(new TypeError(`fetch failed: ${url.protocol} is not supported`));
    if (body !== undefined && body !== null && typeof body !== 'string')
      return Promise.reject(new TypeError('fetch failed: only a string body is supported'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      const fail = (err: Error) => {
        signal?.removeEventListener('abort', abort);
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: err }));
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          path: url.path,
          ...(url.auth && { auth: url.auth }),
          method: init.method ?? 'GET',
          headers: (init.headers instanceof Headers ? Object.fromEntries(init.headers) : init.headers) as
            Record<string, string> | undefined,
          agent: agents[url.protocol as keyof typeof agents],
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            signal?.removeEventListener('abort', abort);
            resolve(answer(res, Buffer.concat(chunks)));
          });
        },
      );
      const abort = () => req.destroy(signal!.reason as Error);
      signal?.addEventListener('abort', abort, { once: true });
      req.on('error', fail);
      req.end(body ?? undefined);
    });
  };
  return upstreamFetch as typeof fetch;
}

/**
 * Why a fetch (this one or undici's) got no answer, as the system names it: the socket error's code
 * (ECONNREFUSED, ENOTFOUND), also when both addresses of a name refused (an AggregateError's first).
 */
export function fetchFailure(err: unknown): string {
  type Cause = { code?: string; message?: string; errors?: Cause[] };
  const cause = (err as { cause?: Cause }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? 'connection failed';
}

/** The answer, read whole, as the Response members the callers use. */
function answer(res: IncomingMessage, body: Buffer): Response {
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name: string) {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')) as unknown,
    arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.length),
  } as Response;
}
