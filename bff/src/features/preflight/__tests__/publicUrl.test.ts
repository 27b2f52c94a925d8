import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../platform/config.js';
import { checkPublicUrl } from '../publicUrl.js';
import { APP, PRODUCTION_ENV } from './env.js';

const appsOf = (config: Config, openBase = 'https://open.weixin.qq.com') =>
  config.demo ? null : { official: APP, website: null, openBase, apiBase: 'https://api.weixin.qq.com' };
const check = (env: Record<string, string>, openBase?: string) => {
  const config = loadConfig({ ...PRODUCTION_ENV, ...env });
  return checkPublicUrl(config, appsOf(config, openBase));
};

describe('PUBLIC_URL', () => {
  it('https, no port: ok, with the redirect_uri exactly as WeChat will see it', () => {
    const [found] = check({});
    expect(found).toMatchObject({ id: 'public-url', status: 'ok' });
    expect(found!.summary.en).toContain('redirect_uri=https%3A%2F%2Fh5.example.com%2Fauth');
    expect(found!.data).toEqual({
      redirectUri: 'https://h5.example.com/auth',
      authorizationDomain: 'h5.example.com',
      authorizeUrl: `https://open.weixin.qq.com/connect/oauth2/authorize?appid=${APP.appid}&redirect_uri=https%3A%2F%2Fh5.example.com%2Fauth&response_type=code&scope=snsapi_base&state=STATE#wechat_redirect`,
    });
  });

  it('a port fails against WeChat (10003), with the fix', () => {
    const [found] = check({ PUBLIC_URL: 'https://h5.example.com:8443' });
    expect(found).toMatchObject({ status: 'fail' });
    expect(found!.summary.en).toMatch(/port 8443.*10003/);
    expect(found!.summary.zh).toMatch(/端口 8443.*10003/);
    expect(found!.fix!.en).toContain('leave the port out of PUBLIC_URL');
  });

  it('a port is only a warning against a stand-in for WeChat (the e2e stack, a simulator)', () => {
    expect(check({ PUBLIC_URL: 'https://h5.example.com:8443' }, 'http://127.0.0.1:9000')[0]).toMatchObject({
      status: 'warn',
    });
  });

  it('http outside the demo is a warning', () => {
    const [found] = check({ PUBLIC_URL: 'http://h5.example.com' });
    expect(found).toMatchObject({ status: 'warn' });
    expect(found!.fix!.zh).toContain('https');
  });

  it.each(['https://203.0.113.7', 'https://localhost'])('%s is no 网页授权域名: fail', (url) => {
    expect(check({ PUBLIC_URL: url })[0]).toMatchObject({ status: 'fail' });
  });

  it('a path is refused before preflight runs: the configuration does not load', () => {
    expect(() => check({ PUBLIC_URL: 'https://h5.example.com/app' })).toThrow(/PUBLIC_URL/);
  });

  it("the proxy's own public URL is judged the same way", () => {
    const findings = check({
      WX_PROXY_ALLOWED_HOSTS: '.example.com',
      WX_PROXY_PUBLIC_URL: 'https://proxy.example.com:444',
    });
    expect(findings.map((f) => [f.id, f.status])).toEqual([
      ['public-url', 'ok'],
      ['proxy-url', 'fail'],
    ]);
  });

  it('the demo: ok, WeChat being the simulator', () => {
    const config = loadConfig({});
    expect(checkPublicUrl(config, null)).toMatchObject([{ id: 'public-url', status: 'ok' }]);
  });
});
