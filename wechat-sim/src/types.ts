/** An app registered on the simulated WeChat. */
export interface SimApp {
  appid: string;
  secret: string;
  /** `official`: an Official Account (H5 authorize); `website`: an Open Platform website app (qrconnect). */
  kind: 'official' | 'website';
  /** The 网页授权域名 / 授权回调域: a bare host, no scheme, no port. */
  callbackDomain: string;
  /** The JS接口安全域名 (up to three bare hosts) whose pages may call wx.config; unset: the callback domain. */
  jsDomains?: string[];
  /**
   * JS APIs this account has no permission for (接口权限 not obtained: an unverified subscription account's
   * share APIs, say). wx.config still passes; a call answers `<api>:permission denied`.
   */
  jsApiDenied?: string[];
  /** Apps under one Open Platform account share unionids. */
  openPlatform?: string;
  /** Shown on the consent page. */
  name?: string;
  /**
   * The 接口IP白名单: only these callers (IPv4 as `1.2.3.4`, or IPv6) get a global access_token; others get
   * 40164. Unset: any caller, as for an account that has not turned the allowlist on.
   */
  ipWhitelist?: string[];
}

export interface SimOptions {
  apps: SimApp[];
  /** Local use only: accept a port in redirect_uri (WeChat itself refuses any port but 80/443). */
  allowPorts?: boolean;
  /** Milliseconds since the epoch; injectable so tests can expire codes and tokens. */
  now?: () => number;
  /** Key for deriving stable openids/unionids; the same key gives the same ids across restarts. */
  idKey?: string;
  /** How long a push to a server URL waits for its answer before WeChat's retry: 5000 ms, as WeChat (tests shorten it). */
  pushTimeoutMs?: number;
}

export interface Fault {
  path: string;
  /** Answer 200 with this errcode (e.g. -1, system busy). */
  errcode?: number;
  /** Answer with this HTTP status and an HTML body. */
  status?: number;
  /** Wait this long before answering (combined with the above, or alone). */
  delayMs?: number;
  /**
   * Answer as usual, but with this content type: some of WeChat's endpoints send their JSON as
   * text/plain, and a client must not care.
   */
  contentType?: 'text/plain';
  /** How many requests the fault applies to. */
  times: number;
}
