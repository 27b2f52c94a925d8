import { domainToASCII } from 'node:url';

/** `passport.example.com` (that host) or `.example.com` (its subdomains, not the domain itself). */
export type AllowedHosts = ReadonlyArray<string>;

/** Lower case, no trailing dot, IDN as punycode: the form hosts are compared in. */
export function normalizeHost(host: string): string {
  const ascii = domainToASCII(host.trim().replace(/\.$/, ''));
  return ascii.toLowerCase();
}

/** Parses WX_PROXY_ALLOWED_HOSTS; returns the entries or the bad ones. */
export function parseAllowedHosts(raw: string): { hosts: string[]; bad: string[] } {
  const hosts: string[] = [];
  const bad: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const suffix = entry.startsWith('.');
    const host = normalizeHost(suffix ? entry.slice(1) : entry);
    // A suffix needs two labels at least: ".com" would hand codes to the whole TLD.
    const shape = suffix ? /^[a-z0-9-]+(\.[a-z0-9-]+)+$/ : /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;
    if (!host || !shape.test(host) || host.split('.').some((l) => l.startsWith('-'))) bad.push(entry);
    else hosts.push(suffix ? `.${host}` : host);
  }
  return { hosts, bad };
}
