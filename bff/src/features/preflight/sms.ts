import type { Config } from '../../platform/config.js';
import { request, shown } from './net.js';
import { finding, type Finding, type PreflightDeps } from './types.js';

/**
 * The SMS webhook answers a dry run: `POST {"dryRun": true}` with its bearer token, no phone and no code.
 * A gateway that knows dry runs answers 2xx without sending; one that does not may refuse the body (4xx),
 * which still shows it is there and takes the token.
 */
export async function checkSms(
  deps: Pick<PreflightDeps, 'fetch' | 'timeoutMs'> & { config: Config },
): Promise<Finding> {
  const { sms } = deps.config;
  if (sms.provider === 'console')
    return finding('sms', 'ok', {
      en: 'demo mode: codes are not sent, they are shown at /api/dev/sms-inbox',
      zh: '演示模式：验证码不发送，可在 /api/dev/sms-inbox 查看',
    });
  const where = shown(sms.webhookUrl);
  const answer = await request(
    deps.fetch,
    sms.webhookUrl,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(sms.webhookToken ? { authorization: `Bearer ${sms.webhookToken}` } : {}),
      },
      body: JSON.stringify({ dryRun: true }),
    },
    deps.timeoutMs,
  );
  const fixUrl = {
    en: 'Check SMS_WEBHOOK_URL and SMS_WEBHOOK_TOKEN, and that this host may reach the gateway.',
    zh: '检查 SMS_WEBHOOK_URL 和 SMS_WEBHOOK_TOKEN，以及本机能否连到短信网关。',
  };
  if (!answer.ok)
    return finding(
      'sms',
      'fail',
      { en: `the SMS webhook ${where} does not answer: ${answer.why}`, zh: `短信网关 ${where} 无响应：${answer.why}` },
      fixUrl,
    );
  const { status } = answer.res;
  if (status >= 200 && status < 300)
    return finding('sms', 'ok', {
      en: `the SMS webhook ${where} answers a dry run (${status})`,
      zh: `短信网关 ${where} 正常响应试运行（${status}）`,
    });
  const said = {
    en: `the SMS webhook ${where} answered ${status} to a dry run`,
    zh: `短信网关 ${where} 对试运行返回 ${status}`,
  };
  if (status === 401 || status === 403)
    return finding(
      'sms',
      'fail',
      { en: `${said.en}: it refuses SMS_WEBHOOK_TOKEN`, zh: `${said.zh}：拒绝了 SMS_WEBHOOK_TOKEN` },
      {
        en: 'Set SMS_WEBHOOK_TOKEN to the token the gateway expects (sent as Authorization: Bearer).',
        zh: '把 SMS_WEBHOOK_TOKEN 设为网关要求的令牌（以 Authorization: Bearer 发送）。',
      },
      { status },
    );
  if (status >= 400 && status < 500 && status !== 404 && status !== 405)
    return finding(
      'sms',
      'warn',
      { en: `${said.en}: it is there, but does not know dry runs`, zh: `${said.zh}：网关可用，但不支持试运行` },
      {
        en: 'Have the gateway answer 2xx to {"dryRun": true} without sending, so preflight can tell it works.',
        zh: '让网关对 {"dryRun": true} 返回 2xx 且不发送短信，以便 preflight 确认其可用。',
      },
      { status },
    );
  return finding('sms', 'fail', said, fixUrl, { status });
}
