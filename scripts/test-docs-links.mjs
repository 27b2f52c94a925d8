// The README and the docs site's pages link to what exists, on GitHub and on the site alike (`pnpm test:docs`,
// after `pnpm docs:build`, which itself fails on a link to a missing page). What the build does not check:
// links to files that are not pages, anchors (GitHub and VitePress make them differently), the snippets a
// page includes (a missing one is only a message on the page), and the README's length.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = join(ROOT, 'docs');

/** docs/**\/*.md, the site's pages, without its dependencies and build output. */
function pages(dir = DOCS) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : pages(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** The Markdown outside fenced code blocks, where links and headings are. */
function prose(text) {
  return text.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, '');
}

/** Every [text](target) and ![alt](target) with a relative target. */
function links(text) {
  return [...prose(text).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/i.test(target));
}

/** A heading's words as both renderers read them: no code marks, link targets or emphasis. */
function headingText(line) {
  return line
    .replace(/^#+\s+/, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim();
}

// VitePress's slugify (vitepress/dist/node, src/slugify.ts).
const vitepressSlug = (s) =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036F]/g, '')
    // eslint-disable-next-line no-control-regex -- VitePress drops control characters, as this does
    .replace(/[\u0000-\u001f]/g, '')
    .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^(\d)/, '_$1')
    .toLowerCase();
// GitHub's (github-slugger): lower case, anything but letters, digits, `_`, `-` and spaces dropped.
const githubSlug = (s) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');

function anchors(file) {
  const headings = prose(readFileSync(file, 'utf8'))
    .split('\n')
    .filter((line) => /^#{1,6}\s/.test(line))
    .map(headingText);
  return { vitepress: new Set(headings.map(vitepressSlug)), github: new Set(headings.map(githubSlug)) };
}

/** What is wrong with `target`, linked from `file`, or nothing. */
function check(file, target, { insideDocs }) {
  const [path, anchor] = target.split('#');
  const to = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
  if (!existsSync(to)) return `${target}: no such file`;
  if (insideDocs && !to.startsWith(DOCS + '/'))
    return `${target}: outside docs/, so not on the site (name the file in code instead)`;
  if (anchor && to.endsWith('.md')) {
    const { vitepress, github } = anchors(to);
    if (!vitepress.has(anchor) || !github.has(anchor))
      return `${target}: #${anchor} is not a heading's anchor on both GitHub (${github.has(anchor)}) and the site (${vitepress.has(anchor)})`;
  }
  return undefined;
}

test('every link of the docs pages reaches a file of docs/, and its anchor, on GitHub and on the site', () => {
  const problems = pages().flatMap((file) =>
    links(readFileSync(file, 'utf8'))
      .map((target) => check(file, target, { insideDocs: true }))
      .filter(Boolean)
      .map((problem) => `${relative(ROOT, file)}: ${problem}`),
  );
  assert.deepEqual(problems, []);
});

test('every snippet a page includes (<<< @/…) exists', () => {
  const problems = pages().flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^<<< @\/([^\s{#]+)/gm)]
      .filter((m) => !existsSync(join(DOCS, m[1])))
      .map((m) => `${relative(ROOT, file)}: ${m[1]}`),
  );
  assert.deepEqual(problems, []);
});

test("the README is a newcomer's page: short, and its links reach what exists", () => {
  const file = join(ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  assert.ok(text.split('\n').length <= 150, `README.md: ${text.split('\n').length} lines`);
  const problems = links(text)
    .map((target) => check(file, target, { insideDocs: false }))
    .filter(Boolean);
  assert.deepEqual(problems, []);
  // It leads into the docs: every page of the sidebar's guide and reference is linked from it.
  const linked = new Set(links(text).map((target) => resolve(ROOT, target.split('#')[0])));
  const missing = pages()
    .filter((page) => /\/(guide|reference)\//.test(page) && !linked.has(page))
    .map((page) => relative(ROOT, page));
  assert.deepEqual(missing, []);
});
