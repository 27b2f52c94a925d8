import { describe, expect, it } from 'vitest';
import { sameSitePath } from '../returnTo';

const ORIGIN = 'https://h5.example.com';

describe('sameSitePath', () => {
  it('keeps a path on this origin, with its query and fragment', () => {
    expect(sameSitePath('/orders?id=7#top', ORIGIN)).toBe('/orders?id=7#top');
  });

  it.each([
    '//evil.com/x',
    '/\\evil.com/x',
    '/\\/evil.com',
    'https://evil.com/',
    'javascript:alert(1)',
    '',
    null,
    ['/a'],
    '/.//evil.com/x',
    '/%2E%2E//evil.com',
    '/a/..//evil.com',
  ])('sends %j home instead of off the site', (input) => {
    expect(sameSitePath(input, ORIGIN)).toBe('/');
  });
});
