import { describe, expect, it } from 'vitest';
import { shareLink } from '../index.js';

describe('the link a share card carries', () => {
  it("is the page itself, without WeChat's added parameters, so they do not pile up on each share", () => {
    expect(shareLink('https://h5.example.com/orders/42?tab=1&from=singlemessage&isappinstalled=0')).toBe(
      'https://h5.example.com/orders/42?tab=1',
    );
    expect(shareLink('https://h5.example.com/?from=timeline&from=groupmessage')).toBe('https://h5.example.com/');
  });

  it('carries nothing private: no code, state, session or phone, and no fragment (#rd)', () => {
    expect(shareLink('https://h5.example.com/profile?code=C&state=S&sid=X&session=Y&phone=13800138000&tab=2#rd')).toBe(
      'https://h5.example.com/profile?tab=2',
    );
  });
});

describe('the link of a page in a hash-routed app (uni-app H5)', () => {
  const opts = { hashRouter: true };

  it('keeps the #/route, and drops what WeChat added before it', () => {
    expect(shareLink('https://h5.example.com/?from=singlemessage&isappinstalled=0#/pages/home/home', opts)).toBe(
      'https://h5.example.com/#/pages/home/home',
    );
    expect(shareLink('https://h5.example.com/#/', opts)).toBe('https://h5.example.com/#/');
  });

  it("cleans the route's own query the same way, keeping its own parameters", () => {
    expect(
      shareLink(
        'https://h5.example.com/?code=C&state=S#/pages/order/order?id=7&from=timeline&isappinstalled=0&phone=1',
        opts,
      ),
    ).toBe('https://h5.example.com/#/pages/order/order?id=7');
  });

  it('drops a fragment that is no route (#rd, #wechat_redirect)', () => {
    expect(shareLink('https://h5.example.com/?from=singlemessage#rd', opts)).toBe('https://h5.example.com/');
    expect(shareLink('https://h5.example.com/#wechat_redirect', opts)).toBe('https://h5.example.com/');
  });
});
