// The process's entry. The Node version is checked before anything else loads: the SQLite driver
// (better-sqlite3 13) needs a newer Node and would crash on an older one without a word.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `wxauth needs Node.js 24 (LTS); this is ${process.version}. In the repository, run it through pnpm (pnpm start): pnpm install brings Node 24 and every pnpm script runs on it. Elsewhere, install Node 24.`,
  );
  process.exit(1);
}
await import('./run.js');
