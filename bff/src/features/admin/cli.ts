import { parseArgs } from 'node:util';
import { CUSTOMER_REF } from '@wxauth/contract';
import { maskOpenid, readAudit, type Actor, type AuditEntry } from '../../adapters/store/audit.js';
import { ConfigError, loadConfig } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { AdminRefusal, listEvents, redeliver, showCustomer, type CustomerView, type EventView } from './commands.js';
import { openDeployment, type Deployment } from './deployment.js';
import { iso, parseSince, table } from './format.js';

export const USAGE = `usage: wxauth admin <command> [options]     (in the repository: pnpm admin …; in the bff image: wxauth admin …)

  customer show <customer id | phone> [--reveal]       the customer, bindings, sessions, recent changes and events, and why they may not get in
  customer unbind <customer id> [--app <appid>] --reason <text> [--yes]
                                                       unbind their WeChat identities (of one app, or all), as their own unbind does
  customer revoke-sessions <customer id> --reason <text> [--yes]
                                                       end every session of theirs; the bindings stay
  events list [--failed] [--since <time>] [--limit <n>]
  events redeliver <event id> | --failed [--yes]       send again now (same id: the receiver drops a copy it has)
  audit [--customer <customer id>] [--since <time>] [--limit <n>]

  --json            JSON, for scripts          --as <name>   who you are, for the audit trail (default: your OS user)
  --yes             no confirmation question   --reveal      the full phone number (the reveal is audited)
  <time>            2026-12-01, 2026-12-01T08:00:00Z, or back from now: 30m, 24h, 7d

It works on the database and state store this environment names (the BFF's variables: DATABASE_URL, REDIS_URL, …).
Exit code: 0 done, 1 not found or refused, 64 wrong usage, 78 a configuration the BFF would refuse.
`;

const HELP = '(wxauth admin --help lists the commands and their options)\n';

export interface AdminIo {
  out(text: string): void;
  err(text: string): void;
  /** A person is at a terminal: a dangerous command may ask them. */
  interactive: boolean;
  /** Asks a yes/no question; true for yes. */
  confirm(question: string): Promise<boolean>;
  /** The OS user running the command: the audit trail's actor without `--as`. */
  user: string;
  host: string;
}

const OPTIONS = {
  json: { type: 'boolean' },
  yes: { type: 'boolean' },
  reveal: { type: 'boolean' },
  failed: { type: 'boolean' },
  app: { type: 'string' },
  reason: { type: 'string' },
  since: { type: 'string' },
  customer: { type: 'string' },
  limit: { type: 'string' },
  as: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
type Option = keyof typeof OPTIONS;

/** Each command: its words, how many ids it takes, the options it allows. */
const COMMANDS: Record<string, { args: number; options: Option[] }> = {
  'customer show': { args: 1, options: ['reveal'] },
  'customer unbind': { args: 1, options: ['app', 'reason', 'yes'] },
  'customer revoke-sessions': { args: 1, options: ['reason', 'yes'] },
  'events list': { args: 0, options: ['failed', 'since', 'limit'] },
  'events redeliver': { args: -1, options: ['failed', 'yes'] },
  audit: { args: 0, options: ['customer', 'since', 'limit'] },
};
const COMMON: Option[] = ['json', 'as', 'help'];

class Usage extends Error {}

/** `wxauth admin …`: runs one command against this environment's deployment; the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>, io: AdminIo): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    if (!(err instanceof Usage) && !(err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw err;
    io.err(`wxauth admin: ${(err as Error).message}\n${HELP}`);
    return 64;
  }
  if (!parsed) {
    io.out(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`${err.message}\n`);
    return 78;
  }
  const { command, ids, values } = parsed;
  const by: Actor = { kind: 'admin', name: values.as?.trim() ?? `${io.user}@${io.host}` };
  const dep = await openDeployment(config);
  try {
    if (dep.state === 'in-process' && (command === 'customer unbind' || command === 'customer revoke-sessions'))
      io.err(
        "note: without REDIS_URL on MySQL the state store is the BFF's own memory: its sessions end at their next check of the database, not at once\n",
      );
    return await run(dep, command, ids, values, by, io);
  } catch (err) {
    if (err instanceof AdminRefusal || (err instanceof AppError && err.code === 'CUSTOMER_NOT_FOUND')) {
      const message = err instanceof AdminRefusal ? err.message : `no customer has the id ${JSON.stringify(ids[0])}`;
      io.err(`wxauth admin: ${message}\n`);
      return 1;
    }
    if (err instanceof Usage) {
      io.err(`wxauth admin: ${err.message}\n${HELP}`);
      return 64;
    }
    throw err;
  } finally {
    await dep.close();
  }
}

type Values = { [K in Option]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function parse(argv: string[]): { command: string; ids: string[]; values: Values } | null {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help || !positionals.length) return null;
  const two = positionals.slice(0, 2).join(' ');
  const command = COMMANDS[two] ? two : positionals[0]!;
  const spec = COMMANDS[command];
  if (!spec) throw new Usage(`unknown command "${positionals.slice(0, 2).join(' ')}"`);
  const ids = positionals.slice(command.split(' ').length);
  const allowed = [...spec.options, ...COMMON];
  const wrong = (Object.keys(values) as Option[]).filter((k) => !allowed.includes(k));
  if (wrong.length) throw new Usage(`${command} takes no --${wrong.join(', --')}`);
  if (spec.args >= 0 && ids.length !== spec.args)
    throw new Usage(`${command} takes ${spec.args ? `${spec.args} id` : 'no id'}, got ${ids.length}`);
  if (command === 'events redeliver' && ids.length + (values.failed ? 1 : 0) !== 1)
    throw new Usage('events redeliver takes an event id or --failed');
  if (command.startsWith('customer ') && !CUSTOMER_REF.test(ids[0]!) && !/^\+86\d{11}$/.test(ids[0]!))
    throw new Usage(`"${ids[0]}" is not a customer id or a phone number`);
  if ((command === 'customer unbind' || command === 'customer revoke-sessions') && !values.reason?.trim())
    throw new Usage(`${command} needs --reason "<why>": it is kept in the audit trail`);
  if (values.reason !== undefined && values.reason.length > 200) throw new Usage('--reason: at most 200 characters');
  if (values.limit !== undefined && !/^[1-9]\d{0,3}$/.test(values.limit)) throw new Usage('--limit: 1 to 9999');
  if (values.since !== undefined && parseSince(values.since, Date.now()) === null)
    throw new Usage(`--since: expected a time like 2026-12-01 or 2026-12-01T08:00:00Z, or 30m, 24h, 7d`);
  if (values.as !== undefined && !values.as.trim()) throw new Usage('--as: a name');
  return { command, ids, values: values as Values };
}

/** A dangerous command goes on only when confirmed: `--yes`, or "y" from a person at a terminal. */
async function confirmed(io: AdminIo, values: Values, question: string): Promise<boolean> {
  if (values.yes) return true;
  if (!io.interactive) throw new Usage('not at a terminal: add --yes to confirm');
  return io.confirm(`${question} [y/N] `);
}

async function run(dep: Deployment, command: string, ids: string[], values: Values, by: Actor, io: AdminIo) {
  const print = (json: unknown, text: () => string) =>
    io.out(values.json ? `${JSON.stringify(json, null, 2)}\n` : text());
  const since = values.since === undefined ? undefined : parseSince(values.since, Date.now())!;
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const id = ids[0]!;

  switch (command) {
    case 'customer show': {
      const view = await showCustomer(dep, id, { reveal: values.reveal ?? false, by });
      print(view, () => customerText(view));
      return 0;
    }
    case 'customer unbind':
    case 'customer revoke-sessions': {
      const unbind = command === 'customer unbind';
      const reason = values.reason!.trim();
      const what = unbind
        ? `Unbind ${values.app ? `the ${values.app} identity` : 'every WeChat identity'} of customer ${id}`
        : `End every session of customer ${id}`;
      if (!(await confirmed(io, values, `${what} (reason: ${reason})?`))) {
        io.err('nothing done\n');
        return 1;
      }
      const done = unbind
        ? await dep.revocation.unbind(id, { appid: values.app, reason }, by)
        : await dep.revocation.revokeSessions(id, reason, by);
      const identities = done.map((i) => ({ appid: i.appid, openid: maskOpenid(i.openid) }));
      print({ customerId: id, [unbind ? 'unbound' : 'sessionsEnded']: identities, reason }, () =>
        done.length
          ? `${unbind ? 'unbound' : 'sessions ended for'} ${done.length} WeChat identit${done.length > 1 ? 'ies' : 'y'} of customer ${id}: ${done.map((i) => i.appid).join(', ')}\n`
          : `customer ${id} has no WeChat identity ${values.app ? `of ${values.app} ` : ''}bound: nothing to do\n`,
      );
      return 0;
    }
    case 'events list': {
      const events = await listEvents(dep, { failed: values.failed, since, limit });
      print(events, () => (events.length ? eventsTable(events) : 'no events\n'));
      return 0;
    }
    case 'events redeliver': {
      const question = values.failed ? 'Send every failed event again?' : `Send event ${id} again?`;
      if (!(await confirmed(io, values, question))) {
        io.err('nothing done\n');
        return 1;
      }
      const done = await redeliver(dep, { id: values.failed ? undefined : id, failed: values.failed }, by);
      print(
        done,
        () =>
          [
            done.redelivered.length
              ? `${done.redelivered.length} event(s) due again now: the BFF sends them within seconds (${done.redelivered.join(', ')})`
              : 'no failed event to send again',
            ...(done.pending.length ? [`already waiting for delivery: ${done.pending.join(', ')}`] : []),
          ].join('\n') + '\n',
      );
      return 0;
    }
    case 'audit': {
      const rows = await readAudit(dep.db, { customerId: values.customer, since, limit: limit ?? 50 });
      print(rows, () => (rows.length ? auditTable(rows) : 'no audit rows\n'));
      return 0;
    }
  }
  throw new Usage(`unknown command "${command}"`);
}

function eventsTable(events: EventView[]): string {
  return table(
    ['event', 'type', 'customer', 'written', 'state', 'attempts', 'last error'],
    events.map((e) => [e.id, e.type, e.customerId, e.createdAt, e.state, e.attempts, e.lastError]),
  );
}

const detailsText = (d: Record<string, unknown>) =>
  Object.entries(d)
    .map(([k, v]) => {
      if (Array.isArray(v))
        return `${k}=${v.map((x) => (typeof x === 'object' ? Object.values(x as object).join(' ') : x)).join(', ')}`;
      if (v && typeof v === 'object') return `${k}=${Object.values(v).join(' ')}`;
      return `${k}=${String(v)}`;
    })
    .join('; ');

function auditTable(rows: AuditEntry[]): string {
  return table(
    ['when', 'action', 'customer', 'by', 'from', 'details'],
    rows.map((r) => [
      iso(r.at),
      r.action,
      r.customerId,
      r.actor.name ? `${r.actor.kind} ${r.actor.name}` : r.actor.kind,
      [r.ip, r.requestId].filter(Boolean).join(' '),
      detailsText(r.details),
    ]),
  );
}

function customerText(v: CustomerView): string {
  const c = v.customer;
  const parts = [
    `customer ${c.id} (${c.origin})  phone ${c.phone ?? '-'}  name ${c.displayName ?? '-'}  since ${c.createdAt}\n`,
    '\nbindings\n',
    v.bindings.length
      ? table(
          ['app', 'openid', 'unionid', 'bound', 'how', 'last sign-in', 'session alive until'],
          v.bindings.map((b) => [
            b.appid,
            b.openid,
            b.unionid,
            b.boundAt,
            b.method,
            b.lastSignIn,
            b.lastSignIn && !b.sessionAliveUntil ? 'ended' : b.sessionAliveUntil,
          ]),
        )
      : 'none\n',
    '\nfindings\n',
    v.findings.map((f) => `- ${f}\n`).join(''),
    '\nrecent changes (audit)\n',
    v.audit.length ? auditTable(v.audit) : 'none\n',
    '\nrecent events\n',
    v.events.length ? eventsTable(v.events) : 'none\n',
  ];
  return parts.join('');
}
