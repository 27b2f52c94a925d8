// One rule for Chinese beside numbers and Latin text, everywhere a user reads it: a space between them
// (`60 秒后重发`, `请输入 6 位数字验证码`, `JSON 对象`), never `6位`. Every user-facing string is scanned:
// the contract's, the H5 app's, the uni-app example's and the BFF's (its operator's console, preflight,
// aside: that is no user's). A value put into a string (`${n}`, `{{ n }}`) counts as Latin text.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { parse } from 'vue/compiler-sfc';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const SOURCES = ['contract/src', 'web/src', 'web/index.html', 'examples/uni-app/src', 'bff/src'];
const SKIP = /(^|\/)(__tests__|node_modules|dist|preflight)(\/|$)|\.d\.ts$/;

/** A Han character directly beside an ASCII letter or digit, either way round. */
const CRAMPED = /\p{Script=Han}[A-Za-z0-9]|[A-Za-z0-9]\p{Script=Han}/u;

/** What a substitution puts into a string: its words when it chooses between literals, else a value. */
function substituted(expr: ts.Expression): string[] {
  if (ts.isParenthesizedExpression(expr)) return substituted(expr.expression);
  if (ts.isStringLiteralLike(expr)) return [expr.text];
  if (ts.isConditionalExpression(expr)) return [...substituted(expr.whenTrue), ...substituted(expr.whenFalse)];
  return ['x'];
}

/** Each text a template literal can come out as. */
function variants(node: ts.TemplateExpression): string[] {
  let texts = [node.head.text];
  for (const span of node.templateSpans) {
    const values = substituted(span.expression);
    texts = texts.flatMap((t) => values.map((v) => t + v + span.literal.text));
  }
  return texts;
}

/** The strings of a script (or of a template's expression), comments left out. */
function scriptStrings(code: string, name: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.push(node.text);
    else if (ts.isTemplateExpression(node)) found.push(...variants(node));
    // An import's module name is no text for a user.
    if (!ts.isImportDeclaration(node) && !ts.isExportDeclaration(node)) ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(name, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  return found;
}

// @vue/compiler-core's node types.
const ELEMENT = 1;
const TEXT = 2;
const INTERPOLATION = 5;
const ATTRIBUTE = 6;
const DIRECTIVE = 7;
type TemplateNode = {
  type: number;
  content?: string | { content: string };
  children?: TemplateNode[];
  props?: { type: number; value?: { content: string }; exp?: { content: string } }[];
};

/** A template's texts: each element's run of text and interpolations (as values), its attributes, its expressions. */
function templateStrings(node: TemplateNode, name: string): string[] {
  const found: string[] = [];
  for (const prop of node.props ?? []) {
    if (prop.type === ATTRIBUTE && prop.value) found.push(prop.value.content);
    if (prop.type === DIRECTIVE && prop.exp) found.push(...scriptStrings(`(${prop.exp.content})`, name));
  }
  let run = '';
  for (const child of node.children ?? []) {
    if (child.type === TEXT) run += child.content as string;
    else if (child.type === INTERPOLATION) {
      const expression = (child.content as { content: string }).content;
      found.push(...scriptStrings(`(${expression})`, name));
      run += 'x';
    } else {
      found.push(run);
      run = '';
      if (child.type === ELEMENT) found.push(...templateStrings(child, name));
    }
  }
  found.push(run);
  return found;
}

function stringsOf(path: string): string[] {
  const source = readFileSync(path, 'utf8');
  if (path.endsWith('.ts')) return scriptStrings(source, path);
  if (path.endsWith('.vue')) {
    const { descriptor } = parse(source, { filename: path });
    const scripts = [descriptor.script, descriptor.scriptSetup].flatMap((s) =>
      s ? scriptStrings(s.content, path) : [],
    );
    const template = descriptor.template?.ast ? templateStrings(descriptor.template.ast as TemplateNode, path) : [];
    return [...scripts, ...template];
  }
  // HTML and JSON (uni-app's pages.json, manifest.json): the file's text, its comments left out.
  return [source.replace(/<!--[\s\S]*?-->|\/\*[\s\S]*?\*\//g, '')];
}

function files(path: string): string[] {
  if (SKIP.test(path)) return [];
  if (/\.(ts|vue|html|json)$/.test(path)) return [path];
  return readdirSync(join(ROOT, path), { withFileTypes: true })
    .filter((e) => e.isDirectory() || /\.(ts|vue|html|json)$/.test(e.name))
    .flatMap((e) => files(join(path, e.name)));
}

/** Every cramped line of text in `paths`, as `file: text`. */
function cramped(paths: string[]): string[] {
  return paths.flatMap(files).flatMap((file) =>
    stringsOf(join(ROOT, file))
      .flatMap((text) => text.split('\n'))
      .filter((line) => CRAMPED.test(line))
      .map((line) => `${relative(ROOT, join(ROOT, file))}: ${line.trim()}`),
  );
}

describe('Chinese beside numbers and Latin text', () => {
  it('has a space between them in every user-facing string', () => {
    expect(cramped(SOURCES)).toEqual([]);
  });

  it('is found wherever it is written: a literal, a template literal, a template, an attribute', () => {
    const texts = (code: string) => scriptStrings(code, 'x.ts').filter((t) => CRAMPED.test(t));
    expect(texts(`const a = '请输入6位数字'; const b = \`\${n}秒后重发\`; // 注释里的6位不算`)).toEqual([
      '请输入6位数字',
      'x秒后重发',
    ]);
    expect(texts(`const c = \`配置的\${pc ? '网站应用' : 'App'}\`;`)).toEqual(['配置的App']);
    const { descriptor } = parse('<template><p title="6位">{{ n }}秒 <b>{{ ok ? "好" : "OK了" }}</b></p></template>');
    expect(templateStrings(descriptor.template!.ast as TemplateNode, 'x.vue').filter((t) => CRAMPED.test(t))).toEqual([
      '6位',
      'x秒 ',
      'OK了',
    ]);
  });
});
