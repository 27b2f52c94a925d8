import { describe, expect, it } from 'vitest';
import { parseAllowedHosts } from '../../../platform/hosts.js';
import { checkTarget, withParams } from '../target.js';

const ALLOWED = parseAllowedHosts('passport.example.com, .example.com, 例子.cn').hosts;
const ok = (raw: string, demo = false) => checkTarget(raw, ALLOWED, demo).ok;

describe('parseAllowedHosts', () => {
  it('normalises entries and reports bad ones', () => {
    expect(parseAllowedHosts('Passport.Example.com., .EXAMPLE.com, 例子.cn').hosts).toEqual([
      'passport.example.com',
      '.example.com',
      'xn--fsqu00a.cn',
    ]);
    expect(parseAllowedHosts('*.example.com, http://x.com, ., .com, localhost').bad).toEqual([
      '*.example.com',
      'http://x.com',
      '.',
      '.com',
    ]);
  });
});

describe('checkTarget accepts', () => {
  it.each([
    'https://passport.example.com/callback',
    'https://passport.example.com/callback?x=1#frag',
    'https://PASSPORT.example.com./cb',
    'https://trade.example.com/cb',
    'https://a.b.example.com:8443/cb',
    'https://例子.cn/cb',
    'https://xn--fsqu00a.cn/cb',
  ])('%s', (raw) => expect(ok(raw)).toBe(true));

  it('http only for localhost, and only in demo mode', () => {
    const local = parseAllowedHosts('localhost').hosts;
    expect(checkTarget('http://localhost:8080/cb', local, true).ok).toBe(true);
    expect(checkTarget('http://localhost:8080/cb', local, false).ok).toBe(false);
    expect(checkTarget('http://passport.example.com/cb', ALLOWED, true).ok).toBe(false);
  });
});

// Open-redirect payloads: every one must be refused, never followed.
const PAYLOADS = [
  '//evil.com',
  '//evil.com/cb',
  '///evil.com',
  '////evil.com',
  '/\\evil.com',
  '\\\\evil.com',
  '\\/evil.com',
  'https:evil.com',
  'https:/evil.com',
  'https:\\\\evil.com',
  'https:/\\evil.com',
  'https://evil.com',
  'http://evil.com',
  'https://evil.com/https://passport.example.com',
  'https://a.example.com@evil.com',
  'https://passport.example.com@evil.com/cb',
  'https://passport.example.com:443@evil.com',
  'https://user:pass@passport.example.com/cb',
  'https://evil.com#.example.com',
  'https://evil.com#@passport.example.com',
  'https://evil.com?.example.com',
  'https://evil.com?@passport.example.com',
  'https://evil.com/.example.com',
  'https://evil.com\\.example.com',
  'https://evil.com\\@passport.example.com',
  'https://example.com.evil.com',
  'https://passport.example.com.evil.com/cb',
  'https://passportexample.com',
  'https://evilexample.com',
  'https://example.com',
  'https://.example.com',
  'https://evil.com%2f.example.com',
  'https://evil.com%2F%2F.example.com',
  'https://evil.com%23.example.com',
  'https://evil.com%40passport.example.com',
  '%2f%2fevil.com',
  '%2F%2Fevil.com',
  'https%3A%2F%2Fevil.com',
  'https://evil。com',
  'https://evil．com',
  'https://passport.example。com.evil.com',
  'https://evil.com／.example.com',
  'https://evil.com∕.example.com',
  'https://evil.com⁄.example.com',
  'https://evil.com＼.example.com',
  'javascript:alert(1)',
  'javascript://passport.example.com/%0aalert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'ftp://passport.example.com/cb',
  'wss://passport.example.com/cb',
  'https://passport.example.com/cb\r\nSet-Cookie: x=1',
  'https://passport.example.com/cb%0d%0aSet-Cookie:x=1'.replace('%0d%0a', '\r\n'),
  'https://passport.example.com\n.evil.com',
  'https://evil.com\t.example.com',
  '\thttps://evil.com',
  ' https://passport.example.com/cb',
  'https://passport.example.com/cb ',
  'java\tscript:alert(1)',
  'HTTPS://EVIL.COM',
  'https://EVIL.com.',
  'https://evil.com.',
  'https://127.0.0.1/cb',
  'https://[::1]/cb',
  'https://0x7f000001/cb',
  'https://2130706433/cb',
  'https://localhost/cb',
  'https://xn--evil-example-xyz.com',
  'https://passport.example.com\u0000.evil.com',
  'https://passport.example.com\u202e.evil.com',
  'http://passport.example.com/cb',
  '',
  'https://',
  'https:///passport.example.com',
  'passport.example.com/cb',
  '/cb',
  `https://passport.example.com/${'a'.repeat(2100)}`,
];

describe('checkTarget refuses every open-redirect form', () => {
  it('has at least 60 payloads', () => expect(PAYLOADS.length).toBeGreaterThanOrEqual(60));
  it.each(PAYLOADS.map((p) => [JSON.stringify(p).slice(0, 80), p]))('%s', (_, raw) => {
    expect(checkTarget(raw, ALLOWED, true).ok).toBe(false);
  });
  it('refuses a value that is not a string', () => {
    expect(checkTarget(['https://passport.example.com/cb'], ALLOWED, false).ok).toBe(false);
  });
});

describe('withParams', () => {
  it('appends with ? or &, encodes values, and keeps the #fragment last', () => {
    expect(withParams('https://a.example.com/cb', { code: 'C', state: 'x y&z' })).toBe(
      'https://a.example.com/cb?code=C&state=x%20y%26z',
    );
    expect(withParams('https://a.example.com/cb?from=1#/tab', { code: 'C' })).toBe(
      'https://a.example.com/cb?from=1&code=C#/tab',
    );
    expect(withParams('https://a.example.com/cb?', { state: 'S' })).toBe('https://a.example.com/cb?state=S');
  });
});
