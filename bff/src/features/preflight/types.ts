import type { WechatClient } from '../../adapters/wechat/client.js';
import type { Config, WechatApps } from '../../platform/config.js';

/** ok and skip pass; warn passes but says what to look at; fail makes the run fail (exit code 1). */
export type Status = 'ok' | 'warn' | 'fail' | 'skip';

/** Every sentence preflight says, in both languages. */
export interface Text {
  en: string;
  zh: string;
}

/** One line of the report. `data` carries what a machine may want (the IP WeChat saw, the redirect_uri). */
export interface Finding {
  id: string;
  status: Status;
  /** What was found; for warn and fail, the cause. */
  summary: Text;
  /** For warn and fail: what to do. */
  fix?: Text;
  data?: Record<string, string | number | boolean>;
}

export interface Report {
  /** No check failed. */
  ok: boolean;
  mode: 'real' | 'demo' | 'invalid';
  /** PUBLIC_URL, when the configuration loads. */
  publicUrl?: string;
  counts: Record<Status, number>;
  checks: Finding[];
}

/** What the checks run against: the configuration, who we are to WeChat, and the edges to the world. */
export interface PreflightDeps {
  config: Config;
  /** The WeChat apps and hosts; null when they cannot be known (a demo whose simulator port is 0). */
  apps: WechatApps | null;
  /** The WeChat adapter on those apps' hosts, as the BFF has it (null with apps): preflight's only way to WeChat. */
  wechat: Pick<WechatClient, 'diagnose'> | null;
  fetch: typeof fetch;
  now: () => number;
  /** Where MP_verify_*.txt is looked for on this machine: the repository's public/ and the built web/dist/. */
  files: { public: string; dist: string };
  /** Each request to the outside gives up after this long. */
  timeoutMs: number;
}

export const finding = (id: string, status: Status, summary: Text, fix?: Text, data?: Finding['data']): Finding => ({
  id,
  status,
  summary,
  ...(fix && { fix }),
  ...(data && { data }),
});
