import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One `vitest run` covers every package; workspace packages resolve to their sources.
const alias = {
  '@wxauth/wechat-sim': fileURLToPath(new URL('./wechat-sim/src/index.ts', import.meta.url)),
  '@wxauth/contract': fileURLToPath(new URL('./contract/src/index.ts', import.meta.url)),
  '@wxauth/client': fileURLToPath(new URL('./client/src/index.ts', import.meta.url)),
};

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'contract', root: 'contract', include: ['src/**/*.test.ts'] } },
      // The repository's scripts' own helpers (plain ESM, as the scripts run them).
      { test: { name: 'scripts', root: 'scripts', include: ['**/*.test.mjs'] } },
      { resolve: { alias }, test: { name: 'client', root: 'client', include: ['src/**/*.test.ts'] } },
      { resolve: { alias }, test: { name: 'wechat-sim', root: 'wechat-sim', include: ['src/**/*.test.ts'] } },
      {
        resolve: { alias },
        test: {
          name: 'bff',
          root: 'bff',
          include: ['src/**/*.test.ts'],
          testTimeout: 20_000,
          // Real MariaDB and Redis, started once for the run.
          globalSetup: ['src/__tests__/global-setup.ts'],
        },
      },
      {
        // The app's own Vite config (Vue, Vant's resolver, its defines and `@`), so views compile as in the build.
        extends: './web/vite.config.ts',
        resolve: { alias },
        test: {
          name: 'web',
          root: 'web',
          include: ['src/**/*.test.ts'],
          environment: 'happy-dom',
          // A view's first import transforms Vant and its styles: seconds on a busy 2-core machine.
          testTimeout: 15_000,
          // Vant's components import their CSS: let Vite process the package.
          server: { deps: { inline: ['vant'] } },
        },
      },
    ],
  },
});
