import { expect, it } from 'vitest';
import { chinaTime } from '../time.js';

it("chinaTime: Beijing time (UTC+8), whatever the machine's zone", () => {
  expect(chinaTime(Date.UTC(2026, 11, 7, 6, 5))).toBe('12 月 7 日 14:05');
  // Past midnight in Beijing while still the day before in UTC.
  expect(chinaTime(Date.UTC(2026, 11, 31, 16, 30))).toBe('1 月 1 日 00:30');
});
