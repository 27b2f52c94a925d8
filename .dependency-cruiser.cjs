// The BFF's arrows point one way: features → adapters → platform (bff/src's README says why).
// `pnpm lint` runs this; each rule names what it keeps out. Tests may reach the harness and the root.
const notTest = '(^|/)__tests__/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'feature-internals',
      comment:
        "A feature reaches another through its door (features/<name>/index.ts), never into its files: each room's inside may change without the others noticing.",
      severity: 'error',
      from: { path: '^bff/src/features/([^/]+)/', pathNot: notTest },
      to: { path: '^bff/src/features/', pathNot: ['^bff/src/features/$1/', '^bff/src/features/[^/]+/index\\.ts$'] },
    },
    {
      name: 'adapter-to-feature',
      comment: 'An adapter talks to the outside world for any feature, and knows none.',
      severity: 'error',
      from: { path: '^bff/src/adapters/', pathNot: notTest },
      to: { path: '^bff/src/features/' },
    },
    {
      name: 'platform-upward',
      comment:
        'The platform (config, errors, metrics, logging, HTTP middleware) is below everything: it imports no adapter and no feature.',
      severity: 'error',
      from: { path: '^bff/src/platform/', pathNot: notTest },
      to: { path: '^bff/src/(adapters|features)/' },
    },
    {
      name: 'nothing-imports-the-root',
      comment:
        'The entries and the composition root (server.ts, compose.ts, app.ts, keygen.ts, preflight.ts, admin.ts) import the rooms; no room imports them.',
      severity: 'error',
      from: { path: '^bff/src/(features|adapters|platform)/', pathNot: notTest },
      to: { path: '^bff/src/[^/]+\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a typo, or a file that moved.',
      severity: 'error',
      from: { path: '^bff/src/' },
      to: { couldNotResolve: true, pathNot: '^@wxauth/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'bff/tsconfig.test.json' },
  },
};
