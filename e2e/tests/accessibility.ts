/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The accessibility audit of a page as it stands (issue 19): axe-core's WCAG 2.1 A and AA rules, then
// the same page with its text at 200 % — WeChat's and the phone's large fonts — checked again by axe
// and for what large text breaks: boxes past the screen's edge, text cut off, things on top of each
// other. A screenshot of each state is kept for a person to look at. (The DOM's types: for the functions
// that run in the page.)
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** axe's findings, one line each: the rule, what it asks, and the elements that break it. */
async function violations(page: Page, exclude: string[]): Promise<string[]> {
  const axe = new AxeBuilder({ page }).withTags(WCAG21_AA);
  for (const selector of exclude) axe.exclude(selector);
  const { violations } = await axe.analyze();
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.help}): ${n.target.join(' ')} — ${n.failureSummary?.split('\n')[1]?.trim()}`),
  );
}

/**
 * The text size a user chose, as WeChat applies its own font setting to a page on iOS and Safari its
 * text size: `-webkit-text-size-adjust` on the root. With a phone emulated (Playwright's `isMobile`)
 * Chromium honours it as mobile Chromium does, scaling every font size, px sizes too, while the layout's
 * px widths stay: the page has the same 390 px for text twice as large. An inline style, so it wins
 * over the app's own `-webkit-text-size-adjust: 100%`, as WeChat's does.
 */
export async function setTextSize(page: Page, percent: number): Promise<void> {
  await page.evaluate((value) => {
    document.documentElement.style.setProperty('-webkit-text-size-adjust', value);
    return new Promise(requestAnimationFrame);
  }, `${percent}%`);
}

/**
 * What does not fit: the page or an element wider than the viewport, text cut off by a box that
 * clips (overflow other than visible), a line height under the font size (lines drawn over each
 * other), and text or controls on top of one another. Hidden and visually hidden content is left out.
 */
export function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = document.documentElement.clientWidth;
    const name = (el: Element) =>
      `<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? ` class="${el.className}"` : ''}> "${(el.textContent ?? '').trim().slice(0, 24)}"`;
    const shown = (el: Element) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    // A visually hidden element (sr-only) is a 1 px box: its text is for screen readers.
    const forScreenReaders = (el: Element | null) => {
      for (; el; el = el.parentElement) {
        const r = el.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) return true;
      }
      return false;
    };

    // Under an open dialog the page is out of reach: the dialog alone is checked.
    const root = [...document.querySelectorAll('[role="dialog"]')].find(shown) ?? document.body;
    if (document.documentElement.scrollWidth > width)
      problems.push(`the page is ${document.documentElement.scrollWidth} px wide on a ${width} px screen`);

    // Every line of visible text, with the element it belongs to.
    type Box = { rect: DOMRect; el: Element; what: string };
    const texts: Box[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement!;
      if (!node.textContent!.trim() || !shown(el) || forScreenReaders(el)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects())
        if (rect.width > 0 && rect.height > 0) texts.push({ rect, el, what: name(el) });
      const style = getComputedStyle(el);
      const lineHeight = parseFloat(style.lineHeight);
      if (lineHeight < parseFloat(style.fontSize) && range.getClientRects().length > 1)
        problems.push(`${name(el)}: lines ${lineHeight} px apart in a ${style.fontSize} font`);
      // Cut off by any box around it that clips. Upright, the glyphs' em box counts, not the font's
      // whole ascent and descent (a CJK font's is half as high again).
      const box = range.getBoundingClientRect();
      const middle = (box.top + box.bottom) / 2;
      const [top, bottom] = [middle - parseFloat(style.fontSize) / 2, middle + parseFloat(style.fontSize) / 2];
      const outside = (r: DOMRect) =>
        box.left < r.left - 1 || box.right > r.right + 1 || top < r.top - 1 || bottom > r.bottom + 1;
      for (let up: Element | null = el; up && up !== document.body; up = up.parentElement) {
        const s = getComputedStyle(up);
        if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
        if (outside(up.getBoundingClientRect())) {
          problems.push(`${name(el)}: text cut off by ${name(up)}`);
          break;
        }
      }
      // Spilling out of the box whose background it is drawn on (white on a green square).
      for (let up: Element | null = el; up && up !== document.body; up = up.parentElement) {
        const s = getComputedStyle(up);
        if (s.backgroundColor === 'rgba(0, 0, 0, 0)' && s.backgroundImage === 'none') continue;
        if (outside(up.getBoundingClientRect())) problems.push(`${name(el)}: text spills out of ${name(up)}`);
        break;
      }
    }
    for (const { rect, what } of texts)
      if (rect.left < -1 || rect.right > width + 1)
        problems.push(`${what}: text at ${Math.round(rect.left)}–${Math.round(rect.right)} px, outside the screen`);

    const controls: Box[] = [
      ...root.querySelectorAll('a[href], button, input, select, textarea, [role="tab"], [role="button"]'),
    ]
      .filter((el) => shown(el) && !forScreenReaders(el))
      .map((el) => ({ rect: el.getBoundingClientRect(), el, what: name(el) }));
    for (const { rect, el, what } of controls) {
      if (rect.left < -1 || rect.right > width + 1)
        problems.push(`${what}: at ${Math.round(rect.left)}–${Math.round(rect.right)} px, outside the screen`);
      // A field squeezed by its label and button: room for four characters at least.
      const fontSize = parseFloat(getComputedStyle(el).fontSize);
      if (el.matches('input:not([type="checkbox"], [type="radio"]), textarea') && rect.width < 4 * fontSize)
        problems.push(`${what}: ${Math.round(rect.width)} px wide for ${fontSize} px text`);
    }

    // Overlap between two things neither of which holds the other. Glyph boxes of adjacent lines may
    // touch (a CJK font's box is taller than a 1.2 line), so a third of a line is the threshold.
    const overlap = (a: DOMRect, b: DOMRect) => {
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      return w > 2 && h > Math.min(a.height, b.height) / 3;
    };
    // An empty field lies over its placeholder when the page draws that itself (uni-app's input).
    const empty = (el: Element) => (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) && !el.value;
    const related = (a: Element, b: Element) =>
      a === b || a.contains(b) || b.contains(a) || (empty(a) && !!a.parentElement?.parentElement?.contains(b));
    const items = [...controls, ...texts.filter((t) => !controls.some((c) => c.el.contains(t.el)))];
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++) {
        const [a, b] = [items[i]!, items[j]!];
        if (!related(a.el, b.el) && overlap(a.rect, b.rect)) problems.push(`${a.what} overlaps ${b.what}`);
      }
    return [...new Set(problems)];
  });
}

/**
 * Audits the page as it is now: axe at the normal text size, then at 200 % axe again and the layout
 * checks, with a screenshot of each size in the run's output (a11y/<name>.png, a11y/<name>@200.png).
 * The text size is back to normal afterwards, so a test can go on. `exclude`: what is not this app's
 * (WeChat's own page in a frame), left out of axe's audit.
 */
export async function audit(page: Page, name: string, { exclude = [] }: { exclude?: string[] } = {}): Promise<void> {
  const out = join(test.info().project.outputDir, 'a11y');
  // A dialog half faded in has colours of its own: the page as it comes to rest is audited (the
  // spinner's endless turn aside).
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getTiming().iterations !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  await expect.soft(await violations(page, exclude), `axe: ${name}`).toEqual([]);
  await page.screenshot({ path: join(out, `${name}.png`), animations: 'disabled' });
  await setTextSize(page, 200);
  try {
    await expect.soft(await violations(page, exclude), `axe at 200 % text: ${name}`).toEqual([]);
    await expect.soft(await layoutProblems(page), `layout at 200 % text: ${name}`).toEqual([]);
    await page.screenshot({ path: join(out, `${name}@200.png`), animations: 'disabled', fullPage: true });
  } finally {
    await setTextSize(page, 100);
  }
}
