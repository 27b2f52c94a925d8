import { beforeEach, describe, expect, it, vi } from 'vitest';
import { authorizeUrl, captureCallback, inWechat, startAuthorization, takeCallback } from '../index.js';

/** An address bar: what captureCallback reads, and the replaceState it calls. */
function at(url: string) {
  const u = new URL(url, 'https://h5.example.com');
  const history = { state: { from: 'router' }, replaceState: vi.fn() };
  return { location: { pathname: u.pathname, search: u.search, hash: u.hash }, history };
}

beforeEach(() => void takeCallback());

describe('captureCallback', () => {
  it('takes code and state out of the address, keeps the rest, and drops #wechat_redirect', () => {
    const page = at('/auth?code=C0DE&state=S7&from=share#wechat_redirect');
    expect(captureCallback(page)).toEqual({ code: 'C0DE', state: 'S7' });
    expect(page.history.replaceState).toHaveBeenCalledWith({ from: 'router' }, '', '/auth?from=share');
    expect(takeCallback()).toEqual({ code: 'C0DE', state: 'S7' });
    expect(takeCallback()).toBeNull();
  });

  it('keeps a fragment of the app’s own', () => {
    const page = at('/auth?code=C&state=S#/pages/home/home');
    captureCallback(page);
    expect(page.history.replaceState).toHaveBeenCalledWith(expect.anything(), '', '/auth#/pages/home/home');
  });

  it('takes a refusal: a state and no code', () => {
    expect(captureCallback(at('/auth?state=S#wechat_redirect'))).toEqual({ code: null, state: 'S' });
  });

  it('leaves another page’s code alone, but still drops #wechat_redirect there', () => {
    const other = at('/orders?code=1#wechat_redirect');
    expect(captureCallback(other)).toBeNull();
    expect(other.history.replaceState).toHaveBeenCalledWith(expect.anything(), '', '/orders?code=1');
    expect(takeCallback()).toBeNull();
  });

  it('touches nothing when there is nothing to take', () => {
    for (const url of ['/auth?returnTo=%2F', '/auth#/pages/wxAuthPage/wxAuthPage', '/']) {
      const page = at(url);
      expect(captureCallback(page)).toBeNull();
      expect(page.history.replaceState).not.toHaveBeenCalled();
    }
  });

  it('takes the callback at another redirect path', () => {
    const page = at('/login?code=C&state=S');
    expect(captureCallback({ ...page, path: '/login' })).toEqual({ code: 'C', state: 'S' });
    expect(page.history.replaceState).toHaveBeenCalledWith(expect.anything(), '', '/login');
  });
});

describe('authorizeUrl', () => {
  it('asks the BFF to start the flow, silent by default', () => {
    expect(authorizeUrl({ returnTo: '/orders?id=1' })).toBe(
      '/api/auth/wechat/authorize?scope=snsapi_base&returnTo=%2Forders%3Fid%3D1',
    );
  });

  it('with the profile scope, the refused flow to ask again, and a BFF on another origin', () => {
    expect(
      authorizeUrl({ scope: 'snsapi_userinfo', returnTo: '/', again: 'S', baseUrl: 'https://h5.example.com' }),
    ).toBe('https://h5.example.com/api/auth/wechat/authorize?scope=snsapi_userinfo&returnTo=%2F&again=S');
  });

  it('leaves with location.replace, so Back does not come here again', () => {
    const location = { replace: vi.fn() };
    startAuthorization({ returnTo: '/' }, location);
    expect(location.replace).toHaveBeenCalledWith('/api/auth/wechat/authorize?scope=snsapi_base&returnTo=%2F');
  });
});

it('inWechat looks for MicroMessenger in the user agent', () => {
  expect(inWechat('Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 NetType/WIFI')).toBe(true);
  expect(inWechat('Mozilla/5.0 (Windows NT 10.0) Chrome/130')).toBe(false);
});
