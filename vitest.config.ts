import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One `vitest run` covers every package; workspace packages resolve to their sources.
const alias = {
  '@wxauth/wechat-sim': fileURLToPath(new URL('./wechat-sim/src/index.ts', import.meta.url)),
};

export default defineConfig({
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'wechat-sim', root: 'wechat-sim', include: ['src/**/*.test.ts'] } },
      {
        resolve: { alias },
        test: { name: 'bff', root: 'bff', include: ['src/**/*.test.ts'], testTimeout: 20_000 },
      },
    ],
  },
});
