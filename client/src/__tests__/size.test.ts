// @vitest-environment node
import { expect, it } from 'vitest';
import { BUDGET, measure } from '../../scripts/size.mjs';

it('the login path (callback, authorize, login) stays within 3 KB gzip, with either transport, and a mini program’s', async () => {
  const rows = await measure();
  expect(rows['login path (fetch)']!.gzip).toBeLessThanOrEqual(BUDGET);
  expect(rows['login path (uni.request)']!.gzip).toBeLessThanOrEqual(BUDGET);
  expect(rows['login path (mini program)']!.gzip).toBeLessThanOrEqual(BUDGET);
});
