import { describe, expect, it } from 'vitest';
import { shareCard } from '../share';

describe('the card', () => {
  it('has a title, a description, the link, and an absolute picture on the site', () => {
    const card = shareCard('https://h5.example.com/?from=singlemessage&isappinstalled=0&code=C#rd');
    expect(card).toEqual({
      title: expect.any(String),
      desc: expect.any(String),
      link: 'https://h5.example.com/',
      imgUrl: 'https://h5.example.com/share.png',
    });
    expect(card.title.length).toBeGreaterThan(0);
  });
});
