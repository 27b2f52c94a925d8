import { posix } from 'node:path';
import type { Plugin } from 'vite';

// How Vant's icon/index.css carries its font: inline, in every stylesheet that may show an icon.
const INLINE_FONT = /url\(data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)\)/g;
// Its fallbacks on Alibaba's CDN: nginx's CSP (font-src 'self') refuses them, and Chromium still asks
// for one, logging the refusal as an error on every page with Vant's style.
const REMOTE_FONT = /,\s*url\((?:https?:)?\/\/[^)]*\)\s*format\([^)]*\)/g;

/**
 * Moves Vant's icon font (34 KB, inlined by Vant in the style of every component that may show an
 * icon) out of the CSS into an asset file of its own. A browser fetches a font only for text that
 * uses it, so a page that shows no icon never downloads it.
 */
export function vantIconFontFile(): Plugin {
  return {
    name: 'wxauth:vant-icon-font-file',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      let font: string | undefined;
      for (const css of Object.values(bundle)) {
        if (css.type !== 'asset' || !css.fileName.endsWith('.css') || typeof css.source !== 'string') continue;
        css.source = css.source.replace(INLINE_FONT, (_match, base64: string) => {
          font ??= this.getFileName(
            this.emitFile({ type: 'asset', name: 'vant-icon.woff2', source: Buffer.from(base64, 'base64') }),
          );
          return `url(${posix.relative(posix.dirname(css.fileName), font)})`;
        });
        css.source = css.source.replace(REMOTE_FONT, '');
      }
    },
  };
}
