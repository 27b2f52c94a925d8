import { CUSTOMER_REF } from '@wxauth/contract';
import * as v from 'valibot';
import type { DirectoryConfig } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import type { CustomerClaim } from '../../adapters/store/store.js';
import type { HostClient } from '../../adapters/host/client.js';
import { HostUnreachable } from '../../adapters/host/client.js';

const Found = v.object({
  // A number only while JSON carries it exactly: a 64-bit id (a Java long) sent unquoted has already
  // lost its last digits when parsed, and two customers would become one. Such an id must be a string.
  customerId: v.pipe(
    v.union([v.string(), v.pipe(v.number(), v.safeInteger(), v.transform(String))]),
    v.regex(CUSTOMER_REF),
  ),
  displayName: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(100)))),
});

/**
 * The directory gave no usable answer. `reached`: a password in it may have been checked there (a
 * timeout, an error answer); false when it certainly was not (a refused connection, a refused signature).
 */
export class DirectoryDown extends AppError {
  constructor(readonly reached: boolean) {
    super(503, 'DIRECTORY_UNAVAILABLE', undefined, {}, true);
  }
}

/** Which customer a proven phone or a host account is: the built-in table, or the host's directory. */
export interface Directory {
  /** The customer that owns a phone proven by SMS. */
  forPhone(phone: string): Promise<CustomerClaim>;
  /** The customer an account and password sign in as; null when the host refused them (either wrong). */
  forPassword(account: string, password: string): Promise<CustomerClaim | null>;
}

export function createDirectory(
  config: DirectoryConfig,
  deps: {
    client: HostClient | null;
    log?: { warn(o: object, msg: string): void; error(o: object, msg: string): void };
  },
): Directory {
  if (config.kind === 'builtin')
    return {
      forPhone: async (phone) => ({ ref: null, phone, localPrefix: '', method: 'sms' }),
      forPassword: async () => {
        throw new AppError(403, 'BIND_METHOD_DISABLED');
      },
    };

  const client = deps.client!;
  const base = config.url;
  async function ask(path: 'lookup' | 'verify', payload: object, refusals: number[]) {
    let answer;
    try {
      answer = await client.post(`${base}/customers/${path}`, payload);
    } catch (err) {
      if (!(err instanceof HostUnreachable)) throw err;
      deps.log?.warn({ directory: path, reason: err.reason }, 'customer directory unreachable');
      throw new DirectoryDown(err.reached);
    }
    // 403 is what a host answers a request whose signature it refuses: HOST_SIGNING_SECRET differs
    // there. Never read as a wrong password (the user would be locked out for the operator's mistake).
    if (answer.status === 403) {
      deps.log?.error(
        { directory: path },
        'customer directory refused our signature (403): is HOST_SIGNING_SECRET the same on both sides?',
      );
      throw new DirectoryDown(false);
    }
    if (refusals.includes(answer.status)) return null;
    // The host keeps its own limit on the account (423 Locked, 429): the user waits, as for ours.
    if (path === 'verify' && (answer.status === 423 || answer.status === 429))
      throw new AppError(429, 'ACCOUNT_LOCKED', undefined, { retryAfterSeconds: 900 });
    const found = answer.status === 200 ? v.safeParse(Found, answer.body) : undefined;
    if (!found?.success) {
      deps.log?.warn({ directory: path, status: answer.status }, 'customer directory gave no usable answer');
      throw new DirectoryDown(true);
    }
    return { ref: found.output.customerId, displayName: found.output.displayName ?? null };
  }

  return {
    async forPhone(phone) {
      const found = await ask('lookup', { phone }, [404]);
      if (found) return { ...found, phone, method: 'sms' };
      if (config.unknownPhone === 'create') return { ref: null, phone, localPrefix: 'wxauth-', method: 'sms' };
      throw new AppError(403, 'PHONE_NOT_REGISTERED', config.unknownPhoneMessage);
    },
    async forPassword(account, password) {
      // 400 and 422 too: what a host says of an account or password it will not take is a wrong one.
      const found = await ask('verify', { account, password }, [400, 401, 404, 422]);
      return found && { ...found, phone: null, method: 'password' };
    },
  };
}
