import { describe, expect, it } from 'vitest';
import { sameSitePath } from '../returnTo';

// The rule itself is the contract's, tested there (contract/src/__tests__/returnTo.test.ts): here, only
// that the app applies it against its own origin.
describe('sameSitePath', () => {
  it("keeps a path on the page's own origin, and sends anything else home", () => {
    expect(sameSitePath('/orders?id=7#top')).toBe('/orders?id=7#top');
    expect(sameSitePath(`${window.location.origin}/orders`)).toBe('/');
    expect(sameSitePath('/.//evil.com/x')).toBe('/');
  });
});
