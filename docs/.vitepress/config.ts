import { defineConfig } from 'vitepress';

// The site builds from docs/ (`pnpm docs:build`, in `pnpm test`); a link to a page that does not exist
// fails the build (VitePress's default: no ignoreDeadLinks). guide/ holds journeys, reference/ tables.
export default defineConfig({
  lang: 'en',
  title: 'wxauth',
  description: 'WeChat H5 login for a site spread over several subdomains',
  markdown: {
    // A ```mermaid block becomes a diagram (theme/MermaidDiagram.vue), as on GitHub; other blocks are code.
    config(md) {
      const fence = md.renderer.rules.fence!;
      md.renderer.rules.fence = (tokens, idx, options, env, self) => {
        const token = tokens[idx]!;
        if (token.info.trim() !== 'mermaid') return fence(tokens, idx, options, env, self);
        return `<MermaidDiagram code="${encodeURIComponent(token.content)}" />`;
      };
    },
  },
  vite: {
    // mermaid's layout engines are chunks of up to 1.5 MB, fetched only by a page that draws a diagram of
    // their kind (the elk one by none of ours): no warning for them on every build.
    build: { chunkSizeWarningLimit: 1600 },
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Reference', link: '/reference/configuration' },
    ],
    // Reads as the table of contents: in the order a newcomer needs them.
    sidebar: [
      {
        text: 'Start here',
        items: [
          { text: 'What wxauth is', link: '/' },
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'The journey', link: '/guide/journey' },
        ],
      },
      {
        text: 'Connect your site',
        items: [
          { text: 'Your own services', link: '/guide/your-services' },
          { text: 'Your existing accounts', link: '/guide/your-accounts' },
          { text: 'Sign in to your other apps', link: '/guide/oidc' },
          { text: 'The authorization proxy', link: '/guide/authorization-proxy' },
          { text: 'PC QR login', link: '/guide/pc-login' },
          { text: 'The message endpoint', link: '/guide/message-endpoint' },
          { text: 'Desktop login through the Official Account', link: '/guide/follow-login' },
          { text: 'The JS-SDK signature', link: '/guide/jssdk' },
          { text: 'Share links', link: '/guide/share-links' },
          { text: 'uni-app', link: '/guide/uni-app' },
          { text: 'Mini programs', link: '/guide/mini-programs' },
        ],
      },
      {
        text: 'Go live',
        items: [
          { text: 'Deploying behind nginx', link: '/guide/deploying' },
          { text: 'Docker and Compose', link: '/guide/docker' },
          { text: 'Scaling out', link: '/guide/scaling' },
          { text: 'Preflight', link: '/guide/preflight' },
          { text: 'The admin command', link: '/guide/admin' },
          { text: 'Running wxauth', link: '/guide/running' },
          { text: "Troubleshooting WeChat's errors", link: '/guide/troubleshooting' },
        ],
      },
      {
        text: 'Work on wxauth',
        items: [
          { text: 'Development', link: '/guide/development' },
          { text: 'The simulator', link: '/guide/simulator' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'Configuration', link: '/reference/configuration' },
          { text: 'HTTP API', link: '/reference/http-api' },
          { text: 'Benchmarks', link: '/reference/benchmarks' },
        ],
      },
    ],
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
});
