import { describe, expect, it } from 'vitest';
import { startBff } from '../../../__tests__/harness.js';

// The page's question "is anyone signed in?" (issue 19): a 401 there is logged by the browser as a
// failed request on every first visit, so the page asks with ?optional=1 and nobody is a 204.
describe('GET /api/session?optional=1', () => {
  it('nobody signed in: 204 with no body; without the parameter, 401 SESSION_REQUIRED as before', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const probe = await browser.request('/api/session?optional=1');
    expect(probe.status).toBe(204);
    expect(await probe.text()).toBe('');
    const plain = await browser.request('/api/session');
    expect(plain.status).toBe(401);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('SESSION_REQUIRED');
  });

  it('a signed-in browser gets its session, the same as without the parameter', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    expect((await browser.login({ user: 'alice' })).status).toBe(200);
    const probe = await browser.request('/api/session?optional=1');
    expect(probe.status).toBe(200);
    expect(await probe.json()).toEqual(await (await browser.request('/api/session')).json());
  });

  it('a dead session cookie: 204, and the cookie is dropped', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    browser.cookies.set('__Host-wxauth_sid', 'a'.repeat(32));
    const probe = await browser.request('/api/session?optional=1');
    expect(probe.status).toBe(204);
    expect(probe.headers.getSetCookie().join('\n')).toMatch(/__Host-wxauth_sid=; .*Max-Age=0/);
    expect(browser.cookies.has('__Host-wxauth_sid')).toBe(false);
  });
});
