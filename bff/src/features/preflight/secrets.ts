import type { Config } from '../../platform/config.js';
import { DEMO_PROFILE_KEY, DEMO_SECRET } from '../../platform/demoDefaults.js';
import { judged, type Problem } from './problems.js';
import { finding, type Finding } from './types.js';

/** Values anyone can read: the demo's, and the example environment file's placeholder. */
const PUBLIC_VALUES = new Set([DEMO_SECRET, 'replace-with-at-least-32-random-characters']);
const HAND_WORDS = /secret|passw|changeme|example|token|test|demo|default|admin/i;

/** Bits by the string's own character frequencies: low for repeats and small alphabets. */
function estimatedBits(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / value.length) * Math.log2(n / value.length);
  return perChar * value.length;
}

/** The string is a shorter one over and over ("abcabcabc…"). */
function repeats(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++)
    if ([...value].every((c, i) => c === value[i % period])) return true;
  return false;
}

/** Six or more characters in a row, each one up from the last: 012345, abcdef. */
const hasRun = (value: string): boolean => {
  let run = 1;
  for (let i = 1; i < value.length; i++) {
    run = value.charCodeAt(i) === value.charCodeAt(i - 1) + 1 ? run + 1 : 1;
    if (run >= 6) return true;
  }
  return false;
};

const regenerate = (name: string) => ({
  en: `Set ${name} to a new random value (openssl rand -base64 32), the same on every instance.`,
  zh: `把 ${name} 换成新的随机值（openssl rand -base64 32），所有实例相同。`,
});

function judgeSecret(name: string, value: string): Problem | undefined {
  const weak = (en: string, zh: string): Problem => ({ status: 'fail', summary: { en, zh }, fix: regenerate(name) });
  if (PUBLIC_VALUES.has(value))
    return weak(`${name} is a public value from this repository`, `${name} 是本仓库中公开的值`);
  if (repeats(value) || new Set(value).size < 10 || estimatedBits(value) < 64)
    return weak(`${name} is guessable (a repeat or a small alphabet)`, `${name} 容易被猜到（重复或字符太少）`);
  if (hasRun(value) || HAND_WORDS.test(value))
    return {
      status: 'warn',
      summary: {
        en: `${name} looks typed by hand (a run like 0123456789 or a word like "secret")`,
        zh: `${name} 看起来是手写的（含 0123456789 之类的连续字符或 secret 之类的单词）`,
      },
      fix: regenerate(name),
    };
  return undefined;
}

/**
 * SESSION_SECRET, INTERNAL_API_TOKEN and PROFILE_TOKEN_KEY: long and random enough, not public, not shared.
 * (The configuration already refuses ones shorter than 32 characters and the demo's values outside it.)
 * Only the variables' names are ever shown, never a value.
 */
export function checkSecrets(config: Config): Finding {
  if (config.demo)
    return finding('secrets', 'ok', {
      en: "demo mode: the demo's public secrets (new random ones with WXAUTH_DEMO=1); fine for the demo only",
      zh: '演示模式：使用演示用的公开密钥（WXAUTH_DEMO=1 时每次启动随机生成）；仅限演示',
    });
  const problems = [
    judgeSecret('SESSION_SECRET', config.sessionSecret),
    judgeSecret('INTERNAL_API_TOKEN', config.internalApiToken),
  ].filter((p): p is Problem => p !== undefined);
  if (config.sessionSecret === config.internalApiToken)
    problems.push({
      status: 'fail',
      summary: {
        en: 'SESSION_SECRET and INTERNAL_API_TOKEN are the same value: whoever holds the token can forge sessions',
        zh: 'SESSION_SECRET 与 INTERNAL_API_TOKEN 相同：拿到令牌的人即可伪造会话',
      },
      fix: regenerate('INTERNAL_API_TOKEN'),
    });
  const key = config.profileTokenKey;
  if (key && (key.equals(DEMO_PROFILE_KEY) || new Set(key).size < 16))
    problems.push({
      status: 'fail',
      summary: {
        en: 'PROFILE_TOKEN_KEY is not random (few distinct bytes)',
        zh: 'PROFILE_TOKEN_KEY 不是随机的（不同字节太少）',
      },
      fix: {
        en: 'Set PROFILE_TOKEN_KEY=$(openssl rand -hex 32); tokens sealed with the old key are read again from WeChat at the next login.',
        zh: '设置 PROFILE_TOKEN_KEY=$(openssl rand -hex 32)；旧密钥封存的令牌会在下次登录时从微信重新获取。',
      },
    });
  const named = `SESSION_SECRET, INTERNAL_API_TOKEN${key ? ', PROFILE_TOKEN_KEY' : ''}`;
  return judged(
    'secrets',
    { en: `${named}: long, random, distinct`, zh: `${named}：足够长、随机、互不相同` },
    problems,
  );
}
