import { describe, expect, it } from 'vitest';
import { shareCard, shareLink } from '../share';

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

describe('the card', () => {
  it('has a title, a description, the link, and an absolute picture on the site', () => {
    const card = shareCard('https://h5.example.com/?from=singlemessage');
    expect(card).toEqual({
      title: expect.any(String),
      desc: expect.any(String),
      link: 'https://h5.example.com/',
      imgUrl: 'https://h5.example.com/share.png',
    });
    expect(card.title.length).toBeGreaterThan(0);
  });
});
