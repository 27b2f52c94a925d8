import type { Kv } from '../../adapters/kv/types.js';

const RECORD_TTL_MS = 10 * 60_000;

/** Where a code goes once WeChat sends it back: kept under the state the proxy sent WeChat. */
export interface ProxyRecord {
  target: string;
  callerState: string | null;
  /** A digest of the proxy-browser cookie of the browser that started it. */
  browser: string;
}

/** The proxy's single-use records, for 10 minutes (a slow QR scan, two tabs). */
export function createProxyRecords(kv: Kv) {
  const key = (state: string) => `wxproxy:${state}`;
  return {
    save: (state: string, record: ProxyRecord) => kv.set(key(state), record, RECORD_TTL_MS),
    peek: (state: string) => kv.get<ProxyRecord>(key(state)),
    take: (state: string) => kv.take<ProxyRecord>(key(state)),
  };
}

export type ProxyRecords = ReturnType<typeof createProxyRecords>;
