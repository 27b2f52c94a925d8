import { defineConfig } from 'vitepress';

// The site builds from docs/ (`pnpm docs:build`, in `pnpm test`); a link to a page that does not exist
// fails the build (VitePress's default: no ignoreDeadLinks).
export default defineConfig({
  lang: 'en',
  title: 'wxauth',
  description: 'WeChat H5 login for a site spread over several subdomains',
  themeConfig: {
    nav: [{ text: 'Guide', link: '/guide/getting-started' }],
    sidebar: [
      {
        text: 'Start here',
        items: [{ text: 'Getting started', link: '/guide/getting-started' }],
      },
    ],
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
});
