import { randomBytes, randomInt } from 'node:crypto';
import { createMessageCrypto, messageSignature } from '../../adapters/wechat/messageCrypto.js';
import type { Config } from '../../platform/config.js';
import { MESSAGES_PATH, PREFLIGHT_EVENT } from '../messages/index.js';
import { request, shown } from './net.js';
import { judged, type Problem } from './problems.js';
import { finding, type Finding, type PreflightDeps } from './types.js';

type Deps = Pick<PreflightDeps, 'fetch' | 'now' | 'timeoutMs'> & { config: Config; appid: string | null };

const DOCS = 'docs/guide/message-endpoint.md';

/** What an answer's status says went wrong, in the operator's words: which variable, or nginx. */
function because(status: number, mode: 'plaintext' | 'safe'): Problem {
  const table: Record<number, [string, string]> = {
    401: [`WX_MESSAGE_TOKEN differs from the running BFF's (401)`, 'WX_MESSAGE_TOKEN 与运行中的 BFF 不一致（401）'],
    403: ["the running BFF's clock is more than 5 minutes off (403)", '运行中的 BFF 时钟偏差超过 5 分钟（403）'],
    404: [
      'no message endpoint there (404): WX_MESSAGE_TOKEN is not set on the running BFF, or nginx does not pass the path on',
      '该地址没有消息接口（404）：运行中的 BFF 未设置 WX_MESSAGE_TOKEN，或 nginx 未转发该路径',
    ],
    400: [
      mode === 'safe'
        ? "WX_MESSAGE_AES_KEYS differs from the running BFF's: it cannot decrypt (400)"
        : 'the running BFF refused the test push (400)',
      mode === 'safe'
        ? 'WX_MESSAGE_AES_KEYS 与运行中的 BFF 不一致，无法解密（400）'
        : '运行中的 BFF 拒绝了测试消息（400）',
    ],
  };
  const [en, zh] = table[status] ?? [`HTTP ${status}`, `HTTP ${status}`];
  return {
    status: 'fail',
    summary: { en: `${mode} test push: ${en}`, zh: `${mode === 'safe' ? '安全模式' : '明文模式'}测试消息：${zh}` },
    fix: {
      en: `Give the BFF behind PUBLIC_URL the same WX_MESSAGE_TOKEN and WX_MESSAGE_AES_KEYS as the MP backend's 服务器配置 (see ${DOCS}).`,
      zh: `让 PUBLIC_URL 后的 BFF 使用与公众号后台「服务器配置」相同的 WX_MESSAGE_TOKEN 和 WX_MESSAGE_AES_KEYS（见 ${DOCS}）。`,
    },
  };
}

const field = (xml: string, name: string) =>
  new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)(?:\\]\\]>)?</${name}>`).exec(xml)?.[1];

/**
 * The message endpoint end to end through PUBLIC_URL, as WeChat reaches it: the MP backend's URL check
 * (GET, echostr), a signed test push in plaintext and, with WX_MESSAGE_AES_KEYS, one encrypted with each
 * key as safe mode sends it, whose encrypted reply must open with that key. The endpoint answers the
 * test push itself: it reaches no handler and is never forwarded.
 */
export async function checkMessages(deps: Deps): Promise<Finding> {
  const { config } = deps;
  const messages = config.messages;
  if (!messages)
    return finding('wechat.messages', 'skip', {
      en: 'message endpoint off (WX_MESSAGE_TOKEN unset)',
      zh: '消息接口未启用（未设置 WX_MESSAGE_TOKEN）',
    });
  const appid = deps.appid ?? 'wx0000000000000000';
  const url = `${config.publicUrl}${MESSAGES_PATH}`;
  const problems: Problem[] = [];
  const port = new URL(config.publicUrl).port;
  if (!config.demo && port)
    problems.push({
      status: 'fail',
      summary: { en: `${url} has port ${port}`, zh: `${url} 带有端口 ${port}` },
      fix: {
        en: 'WeChat pushes only to port 80 (http) or 443 (https): serve PUBLIC_URL on those.',
        zh: '微信只推送到 80（http）或 443（https）端口：请在这些端口提供 PUBLIC_URL。',
      },
    });

  const signed = (extra: Record<string, string> = {}) => {
    const timestamp = String(Math.floor(deps.now() / 1000));
    const nonce = String(randomInt(1_000_000_000));
    const q = new URLSearchParams({
      signature: messageSignature([messages.token, timestamp, nonce]),
      timestamp,
      nonce,
      ...extra,
    });
    return { q, timestamp, nonce };
  };

  // 服务器配置's check: what the MP backend does when the URL is saved.
  const echostr = String(randomInt(1e9, 2 ** 47));
  const { q: check } = signed({ echostr });
  const verified = await request(deps.fetch, `${url}?${check}`, {}, deps.timeoutMs);
  if (!verified.ok || verified.res.status !== 200 || verified.body.toString() !== echostr) {
    problems.push(
      verified.ok
        ? verified.res.status === 200
          ? {
              status: 'fail',
              summary: { en: `GET ${shown(url)} did not answer echostr`, zh: `GET ${shown(url)} 未返回 echostr` },
              fix: {
                en: `Let nginx pass ${MESSAGES_PATH} to the BFF as it is (see ${DOCS}).`,
                zh: `让 nginx 将 ${MESSAGES_PATH} 原样转发给 BFF（见 ${DOCS}）。`,
              },
            }
          : because(verified.res.status, 'plaintext')
        : {
            status: 'fail',
            summary: {
              en: `${shown(url)} does not answer (${verified.why})`,
              zh: `${shown(url)} 无响应（${verified.why}）`,
            },
            fix: { en: `Bring PUBLIC_URL up (see ${DOCS}).`, zh: `让 PUBLIC_URL 可以访问（见 ${DOCS}）。` },
          },
    );
    return result(url, problems);
  }

  const event = (tag: string) =>
    `<xml><ToUserName><![CDATA[gh_preflight]]></ToUserName><FromUserName><![CDATA[wxauth-preflight]]></FromUserName><CreateTime>${Math.floor(deps.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${PREFLIGHT_EVENT}]]></Event><EventKey><![CDATA[${tag}]]></EventKey></xml>`;
  const post = (q: URLSearchParams, body: string) =>
    request(
      deps.fetch,
      `${url}?${q}`,
      { method: 'POST', headers: { 'content-type': 'text/xml' }, body },
      deps.timeoutMs,
    );

  const tag = randomBytes(8).toString('hex');
  const plain = await post(signed().q, event(tag));
  if (!plain.ok || plain.res.status !== 200) {
    problems.push(
      plain.ok
        ? because(plain.res.status, 'plaintext')
        : {
            status: 'fail',
            summary: { en: `the test push got no answer (${plain.why})`, zh: `测试消息无响应（${plain.why}）` },
            fix: { en: `See ${DOCS}.`, zh: `见 ${DOCS}。` },
          },
    );
    return result(url, problems);
  }
  if (field(plain.body.toString(), 'Content') !== `preflight:${tag}`)
    problems.push({
      status: 'fail',
      summary: { en: 'the test push was not answered by wxauth', zh: '测试消息不是由 wxauth 回复的' },
      fix: {
        en: `Point ${MESSAGES_PATH} at wxauth's BFF (see ${DOCS}).`,
        zh: `让 ${MESSAGES_PATH} 指向 wxauth 的 BFF（见 ${DOCS}）。`,
      },
    });

  // Safe mode, with each key of a rotation: a push WeChat encrypted with any of them must be read, and
  // answered with that key (the one WeChat holds).
  for (const [i, key] of messages.aesKeys.entries()) {
    const crypto = createMessageCrypto({ token: messages.token, appid, keys: [key] });
    const keyTag = randomBytes(8).toString('hex');
    const encrypt = crypto.encrypt(event(keyTag));
    const { q, timestamp, nonce } = signed({ encrypt_type: 'aes' });
    q.set('msg_signature', messageSignature([messages.token, timestamp, nonce, encrypt]));
    const answer = await post(
      q,
      `<xml><ToUserName><![CDATA[gh_preflight]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
    );
    const which = messages.aesKeys.length > 1 ? ` (key ${i + 1} of WX_MESSAGE_AES_KEYS)` : '';
    if (!answer.ok || answer.res.status !== 200) {
      problems.push(
        answer.ok
          ? because(answer.res.status, 'safe')
          : {
              status: 'fail',
              summary: {
                en: `the safe-mode test push got no answer (${answer.why})`,
                zh: `安全模式测试消息无响应（${answer.why}）`,
              },
              fix: { en: `See ${DOCS}.`, zh: `见 ${DOCS}。` },
            },
      );
      continue;
    }
    const reply = answer.body.toString();
    const [enc, sig, ts, n] = ['Encrypt', 'MsgSignature', 'TimeStamp', 'Nonce'].map((f) => field(reply, f) ?? '');
    let opened: string | undefined;
    try {
      if (messageSignature([messages.token, ts!, n!, enc!]) === sig) opened = crypto.decrypt(enc!);
    } catch {
      opened = undefined;
    }
    if (field(opened ?? '', 'Content') !== `preflight:${keyTag}`)
      problems.push({
        status: 'fail',
        summary: {
          en: `the safe-mode reply${which} is not encrypted and signed with the push's key`,
          zh: `安全模式的回复${which}未用该消息的密钥加密并签名`,
        },
        fix: {
          en: `Give the running BFF the same WX_MESSAGE_AES_KEYS as this one (see ${DOCS}).`,
          zh: `让运行中的 BFF 使用与本机相同的 WX_MESSAGE_AES_KEYS（见 ${DOCS}）。`,
        },
      });
  }

  if (messages.forwardUrl) {
    // Reachable is all that can be known without sending the handler a push it would act on.
    const handler = await request(deps.fetch, messages.forwardUrl, {}, deps.timeoutMs);
    if (!handler.ok)
      problems.push({
        status: 'warn',
        summary: {
          en: `WX_MESSAGE_FORWARD_URL ${shown(messages.forwardUrl)} does not answer (${handler.why}): unclaimed pushes are answered success`,
          zh: `WX_MESSAGE_FORWARD_URL ${shown(messages.forwardUrl)} 无响应（${handler.why}）：未认领的消息将回复 success`,
        },
        fix: {
          en: `Bring your handler up, or unset WX_MESSAGE_FORWARD_URL (see ${DOCS}).`,
          zh: `启动你的消息处理服务，或取消 WX_MESSAGE_FORWARD_URL（见 ${DOCS}）。`,
        },
      });
  }
  return result(url, problems, messages.aesKeys.length > 0, messages.forwardUrl);
}

function result(url: string, problems: Problem[], encrypted = false, forwardUrl: string | null = null): Finding {
  const modes = encrypted ? 'plaintext and safe mode' : 'plaintext (no WX_MESSAGE_AES_KEYS: safe mode refused)';
  const zhModes = encrypted ? '明文和安全模式' : '明文模式（未设置 WX_MESSAGE_AES_KEYS：安全模式将被拒绝）';
  const forward = forwardUrl ? `; others forwarded to ${shown(forwardUrl)}` : '';
  return judged(
    'wechat.messages',
    {
      en: `${url} verified end to end (URL check, ${modes}${forward}): set it as the 服务器配置 URL`,
      zh: `${url} 端到端验证通过（URL 校验、${zhModes}${forward ? `；其余转发至 ${shown(forwardUrl!)}` : ''}）：在公众号后台「服务器配置」填写此 URL`,
    },
    problems,
    { url },
  );
}
