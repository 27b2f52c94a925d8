import { describe, expect, it } from 'vitest';
import { captureCallback, takeCallback } from '../callback';

function fakeLocation(url: string) {
  const u = new URL(url);
  const calls: string[] = [];
  const loc = { pathname: u.pathname, search: u.search, hash: u.hash } as Location;
  const hist = {
    state: { back: null },
    replaceState: (_s: unknown, _t: string, to: string) => void calls.push(to),
  } as unknown as History;
  return { loc, hist, calls };
}

describe('captureCallback', () => {
  it('takes code and state out of the address bar before anything else, keeping the rest', () => {
    const { loc, hist, calls } = fakeLocation('https://h5.example.com/auth?code=C0DE&state=ST4TE&from=menu#top');
    captureCallback(loc, hist);
    expect(calls).toEqual(['/auth?from=menu#top']);
    expect(takeCallback()).toEqual({ code: 'C0DE', state: 'ST4TE' });
    expect(takeCallback()).toBeNull();
  });

  it("drops WeChat's #wechat_redirect, which the browser carried back from the authorize URL", () => {
    const { loc, hist, calls } = fakeLocation(
      'https://h5.example.com/auth?from=menu&code=C0DE&state=ST4TE#wechat_redirect',
    );
    captureCallback(loc, hist);
    expect(calls).toEqual(['/auth?from=menu']);
    expect(takeCallback()).toEqual({ code: 'C0DE', state: 'ST4TE' });
  });

  it('keeps a refusal (state, no code) as such', () => {
    const { loc, hist, calls } = fakeLocation('https://h5.example.com/auth?state=ST4TE');
    captureCallback(loc, hist);
    expect(calls).toEqual(['/auth']);
    expect(takeCallback()).toEqual({ code: null, state: 'ST4TE' });
  });

  it('leaves other pages and a plain /auth alone', () => {
    for (const url of ['https://h5.example.com/orders?code=1&state=2', 'https://h5.example.com/auth?returnTo=%2F']) {
      const { loc, hist, calls } = fakeLocation(url);
      captureCallback(loc, hist);
      expect(calls).toEqual([]);
      expect(takeCallback()).toBeNull();
    }
  });
});
