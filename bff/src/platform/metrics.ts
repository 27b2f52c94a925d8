import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppError } from './errors.js';

/**
 * Prometheus metrics of one instance, served at GET /metrics on the BFF's own port (nginx.conf does
 * not pass /metrics on: scrape each instance directly). Labels are bounded sets only: the route
 * pattern (never the raw path), WeChat's endpoint, an outcome code.
 */
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
    help: 'Calls to WeChat by endpoint: "ok", the errcode, or what went wrong (WECHAT_TIMEOUT, …)',
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

  const bindings = new Counter({
    name: 'wxauth_bindings_total',
    help: 'Binding attempts by method (sms, password): "bound", or the error code (CREDENTIALS_INVALID, DIRECTORY_UNAVAILABLE, …)',
    labelNames: ['method', 'outcome'] as const,
    registers,
  });

  // The events outbox, counted in the database when scraped: the same figures from every instance
  // (take max(), not sum()). 0 when EVENTS_WEBHOOK_URL is not set.
  let countEvents: (() => Promise<{ pending: number; failed: number }>) | null = null;
  let counted: { at: number; counts: Promise<{ pending: number; failed: number } | null> } | null = null;
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
    followLogin: (outcome: FollowOutcome) => followLogins.inc({ outcome }),
    binding: (method: string, outcome: string) => bindings.inc({ method, outcome }),
    /** Where the outbox gauges are counted at scrape time (the events outbox worker runs). */
    countEventsWith(count: () => Promise<{ pending: number; failed: number }>) {
      countEvents = count;
      counted = null;
    },
    push: (outcome: string) => pushes.inc({ outcome }),
    eventDelivery: (outcome: 'delivered' | 'retry' | 'failed') => eventDeliveries.inc({ outcome }),
    wechat(endpoint: string, outcome: string, seconds: number) {
      wechatCalls.inc({ endpoint, outcome });
      wechatDuration.observe({ endpoint }, seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The steps of a login through the Official Account, and why a scan led nowhere: a bounded set. */
export type FollowOutcome =
  'qr' | 'scanned' | 'confirmed' | 'cancelled' | 'signed_in' | 'expired' | 'taken' | 'limited' | 'answered';
