import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppError } from './errors.js';

/** The steps of a WeChat login, in order: sent to WeChat, back with a code, signed in, bound to a customer. */
export type FunnelStep = 'authorize' | 'callback' | 'login' | 'bound';
/**
 * How the user reached WeChat: inside WeChat for the H5 site (`h5`) or for an OpenID Connect client
 * (`oidc`), or by a desktop's QR code for either (`pc_qr`, where a QR shown and never scanned is normal);
 * by the Official Account's QR code on a desktop (`follow`: authorize is the QR shown, callback the scan);
 * in a mini program (`mp`: no authorize step, wx.login is the client's; callback is its code arriving).
 */
export type LoginFlow = 'h5' | 'pc_qr' | 'oidc' | 'follow' | 'mp';

/** The follow login's outcomes that are steps of the login funnel. */
const FOLLOW_FUNNEL: Partial<Record<FollowOutcome, FunnelStep>> = {
  qr: 'authorize',
  scanned: 'callback',
  signed_in: 'login',
};

/**
 * WeChat's errcodes counted by their number; any other is counted as "other", so an odd answer cannot
 * grow the label set. The alerts watch 40164 (server IP not on the allowlist), 40001/42001 (the global
 * token refused), 45009 (the daily quota of token fetches spent) and the code exchange's 400xx; WeChat's
 * list: https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
 */
export const KNOWN_ERRCODES = new Set([
  -1, 40001, 40002, 40013, 40029, 40030, 40125, 40163, 40164, 41008, 42001, 42002, 42003, 45009, 48001,
]);
/** A WeChat call's outcome as a label: "ok", our failure code (WECHAT_TIMEOUT…), a known errcode, or "other". */
export const wechatOutcome = (outcome: string) =>
  /^-?\d+$/.test(outcome) && !KNOWN_ERRCODES.has(Number(outcome)) ? 'other' : outcome;

/**
 * Prometheus metrics of one instance, served at GET /metrics on the BFF's own port (nginx.conf does
 * not pass /metrics on: scrape each instance directly). Labels are bounded sets only: the route
 * pattern (never the raw path), WeChat's endpoint, an outcome code.
 */
const READY_TIMEOUT_MS = 2000;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: 'wxauth_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'wxauth_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const logins = new Counter({
    name: 'wxauth_logins_total',
    help: 'Finished logins: "home", "bind", or the error code',
    labelNames: ['outcome'] as const,
    registers,
  });
  const wechatCalls = new Counter({
    name: 'wxauth_wechat_requests_total',
    help: 'Calls to WeChat by endpoint: "ok", the errcode (a known one, else "other"), or what went wrong (WECHAT_TIMEOUT, …)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers,
  });
  const wechatDuration = new Histogram({
    name: 'wxauth_wechat_request_duration_seconds',
    help: 'Time WeChat took to answer, by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });
  const smsCodes = new Counter({
    name: 'wxauth_sms_codes_total',
    help: 'SMS code requests: "sent", or the error code (SMS_RATE_LIMITED, SMS_SEND_FAILED, …)',
    labelNames: ['outcome'] as const,
    registers,
  });

  const followLogins = new Counter({
    name: 'wxauth_follow_logins_total',
    help: 'Logins through the Official Account by step: "qr", "scanned", "confirmed", "cancelled", "signed_in", or why a scan led nowhere ("expired", "taken", "limited", "answered")',
    labelNames: ['outcome'] as const,
    registers,
  });
  const funnel = new Counter({
    name: 'wxauth_login_funnel_total',
    help: 'WeChat logins by step (authorize, callback, login, bound) and flow (h5, pc_qr, oidc, follow, mp)',
    labelNames: ['step', 'flow'] as const,
    registers,
  });
  const tokenRenewed = new Gauge({
    name: 'wxauth_wechat_token_renewed_timestamp_seconds',
    help: 'When this instance last renewed the global access_token of an app (unix time); take max() over instances',
    labelNames: ['appid'] as const,
    registers,
  });

  const bindings = new Counter({
    name: 'wxauth_bindings_total',
    help: 'Binding attempts by method (sms, password): "bound", or the error code (CREDENTIALS_INVALID, DIRECTORY_UNAVAILABLE, …)',
    labelNames: ['method', 'outcome'] as const,
    registers,
  });

  // The events outbox, counted in the database when scraped: the same figures from every instance
  // (take max(), not sum()). 0 when EVENTS_WEBHOOK_URL is not set.
  type EventCounts = { pending: number; failed: number; oldestPendingAt: number | null };
  let countEvents: (() => Promise<EventCounts>) | null = null;
  let counted: { at: number; counts: Promise<EventCounts | null> } | null = null;
  /** One query serves both gauges of a scrape; a database that does not answer leaves them as they were. */
  const eventCounts = () => {
    if (!countEvents) return Promise.resolve(null);
    if (!counted || Date.now() - counted.at > 1000)
      counted = { at: Date.now(), counts: countEvents().catch(() => null) };
    return counted.counts;
  };
  new Gauge({
    name: 'wxauth_events_pending',
    help: 'Events in the outbox still to be delivered to EVENTS_WEBHOOK_URL (the whole database)',
    registers,
    async collect() {
      const counts = await eventCounts();
      if (counts) this.set(counts.pending);
    },
  });
  new Gauge({
    name: 'wxauth_events_failed',
    help: 'Events given up after 24 hours of failed deliveries, kept in the outbox (the whole database)',
    registers,
    async collect() {
      const counts = await eventCounts();
      if (counts) this.set(counts.failed);
    },
  });
  new Gauge({
    name: 'wxauth_events_oldest_pending_age_seconds',
    help: 'Age of the oldest event still to be delivered (0 when none): how far behind delivery is',
    registers,
    async collect() {
      const counts = await eventCounts();
      if (counts)
        this.set(counts.oldestPendingAt === null ? 0 : Math.max(0, (Date.now() - counts.oldestPendingAt) / 1000));
    },
  });
  const eventDeliveries = new Counter({
    name: 'wxauth_event_deliveries_total',
    help: 'Event delivery attempts by this instance: "delivered", "retry" (to be tried again) or "failed" (given up)',
    labelNames: ['outcome'] as const,
    registers,
  });

  const pushes = new Counter({
    name: 'wxauth_wechat_pushes_total',
    help: 'WeChat pushes to the message endpoint by how they ended: claimed, forwarded, unclaimed, retry, or handler_timeout, handler_error, forward_timeout, forward_error, forward_status, forward_too_large (answered success)',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Readiness as GET /readyz judges it, checked at scrape time: 1 ready, 0 not (a check that hangs
  // counts as down after 2 s, so a stuck database cannot stall the scrape).
  let checkReady: (() => Promise<Record<'database' | 'state', boolean>>) | null = null;
  const readiness = () =>
    checkReady
      ? Promise.race([checkReady(), new Promise<null>((r) => setTimeout(() => r(null), READY_TIMEOUT_MS).unref())])
      : Promise.resolve(undefined);
  new Gauge({
    name: 'wxauth_ready',
    help: 'Whether this instance is ready (GET /readyz): 1 when the database and the state store answer, else 0',
    labelNames: ['check'] as const,
    registers,
    async collect() {
      this.reset();
      const checks = await readiness();
      if (checks === undefined) return;
      this.set({ check: 'database' }, checks?.database ? 1 : 0);
      this.set({ check: 'state' }, checks?.state ? 1 : 0);
    },
  });

  /** The error code of a failure, as the user was told it ("INTERNAL" for anything unexpected). */
  const codeOf = (err: unknown) => (err instanceof AppError ? err.code : 'INTERNAL');

  return {
    registry,
    codeOf,

    /** An answered request, under the route pattern that matched ("unmatched" for none). */
    request(r: { method: string; route: string; status: number }, seconds: number) {
      requests.inc({ method: r.method, route: r.route, status: String(r.status) });
      duration.observe({ method: r.method, route: r.route }, seconds);
    },

    login: (outcome: string) => logins.inc({ outcome }),
    sms: (outcome: string) => smsCodes.inc({ outcome }),
    followLogin: (outcome: FollowOutcome) => {
      followLogins.inc({ outcome });
      const step = FOLLOW_FUNNEL[outcome];
      if (step) funnel.inc({ step, flow: 'follow' });
    },
    binding: (method: string, outcome: string) => bindings.inc({ method, outcome }),
    /** A login reached this step (see FunnelStep), in this flow. */
    funnel: (step: FunnelStep, flow: LoginFlow) => funnel.inc({ step, flow }),
    /** This instance renewed an app's global access_token just now. */
    tokenRenewed: (appid: string) => tokenRenewed.set({ appid }, Date.now() / 1000),
    /** How readiness is checked at scrape time: whether the database and the state store answer. */
    checkReadyWith(check: () => Promise<Record<'database' | 'state', boolean>>) {
      checkReady = check;
    },
    /** Where the outbox gauges are counted at scrape time (the events outbox worker runs). */
    countEventsWith(count: () => Promise<EventCounts>) {
      countEvents = count;
      counted = null;
    },
    push: (outcome: string) => pushes.inc({ outcome }),
    eventDelivery: (outcome: 'delivered' | 'retry' | 'failed') => eventDeliveries.inc({ outcome }),
    wechat(endpoint: string, outcome: string, seconds: number) {
      wechatCalls.inc({ endpoint, outcome: wechatOutcome(outcome) });
      wechatDuration.observe({ endpoint }, seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The steps of a login through the Official Account, and why a scan led nowhere: a bounded set. */
export type FollowOutcome =
  'qr' | 'scanned' | 'confirmed' | 'cancelled' | 'signed_in' | 'expired' | 'taken' | 'limited' | 'answered';
