import type { Logger } from 'pino';
import { AppError } from '../../platform/errors.js';
import { maskPhone } from '@wxauth/contract';

export interface SmsProvider {
  /** Delivers a verification code; rejects with SMS_SEND_FAILED when the gateway does not take it. */
  send(phone: string, code: string): Promise<void>;
}

const sendFailed = () => new AppError(502, 'SMS_SEND_FAILED');

/**
 * Demo only: keeps the last code per phone for `GET /api/dev/sms-inbox`. The code itself is never
 * logged; the log line says where to read it.
 */
export function createConsoleSms(log: Logger) {
  const inbox = new Map<string, string>();
  return {
    inbox,
    async send(phone: string, code: string) {
      inbox.set(phone, code);
      log.info({ phone: maskPhone(phone) }, 'demo SMS sent: read it at GET /api/dev/sms-inbox?phone=<phone>');
    },
  };
}

/** POSTs `{phone, code, ttlSeconds, text}` as JSON to a gateway of the operator's choosing. */
export function createWebhookSms(options: {
  url: string;
  token?: string;
  fetch: typeof fetch;
  timeoutMs?: number;
}): SmsProvider {
  return {
    async send(phone, code) {
      let res: Response;
      try {
        res = await options.fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
          body: JSON.stringify({ phone, code, ttlSeconds: 300, text: `您的验证码是 ${code}，5 分钟内有效。` }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        });
        await res.arrayBuffer();
      } catch {
        throw sendFailed();
      }
      if (!res.ok) throw sendFailed();
    },
  };
}
