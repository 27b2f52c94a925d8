import type { ServerResponse } from 'node:http';
import { html } from '../http.js';
import type { Fault } from '../types.js';
import { apiError } from './errors.js';

/** A fault from `POST /__sim/faults`, or undefined when it would not do anything or is out of bounds. */
export function parseFault(body: Partial<Fault>): Fault | undefined {
  const { path, errcode, status, delayMs, contentType, times = 1 } = body;
  const valid =
    typeof path === 'string' &&
    path.startsWith('/') &&
    (errcode === undefined || Number.isInteger(errcode)) &&
    (status === undefined || (Number.isInteger(status) && status >= 400 && status <= 599)) &&
    (delayMs === undefined || (Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= 120_000)) &&
    (contentType === undefined || contentType === 'text/plain') &&
    (errcode !== undefined || status !== undefined || delayMs !== undefined || contentType !== undefined) &&
    Number.isInteger(times) &&
    times >= 1;
  return valid ? { path, errcode, status, delayMs, contentType, times } : undefined;
}

/** The faults waiting for their paths; each is used up after `times` requests. */
export function faultInjection() {
  const faults: Fault[] = [];
  return {
    list: (): readonly Fault[] => faults,
    add: (fault: Fault): void => void faults.push(fault),
    clear: (): void => void faults.splice(0),

    /** Applies the first fault for this path; true when it answered the request (a delay alone does not). */
    async apply(res: ServerResponse, path: string): Promise<boolean> {
      const fault = faults.find((f) => f.path === path);
      if (!fault) return false;
      fault.times -= 1;
      if (fault.times === 0) faults.splice(faults.indexOf(fault), 1);
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.contentType) {
        const { contentType } = fault;
        const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string>) => void;
        // The endpoint answers as it would; only its Content-Type is WeChat's other one.
        res.writeHead = ((status: number, headers: Record<string, string> = {}) =>
          writeHead(status, { ...headers, 'Content-Type': contentType })) as typeof res.writeHead;
      }
      if (fault.status !== undefined) {
        html(res, fault.status, '<html><body><h1>Bad Gateway</h1></body></html>');
        return true;
      }
      if (fault.errcode !== undefined) {
        apiError(res, fault.errcode, fault.errcode === -1 ? 'system error' : 'injected fault');
        return true;
      }
      return false;
    },
  };
}
