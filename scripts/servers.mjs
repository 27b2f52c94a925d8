// Real Redis and MariaDB servers for the tests and benchmarks: Debian's redis-server and mariadbd,
// each in a throwaway folder, on a free loopback port, started and stopped by the caller.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const MARIADBD = process.env.MARIADBD_BIN ?? '/usr/sbin/mariadbd';
const INSTALL_DB = process.env.MARIADB_INSTALL_DB_BIN ?? '/usr/bin/mariadb-install-db';
const isRoot = process.getuid?.() === 0;

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port, child, what, output) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${output()}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port} within 30 s: ${output()}`);
}

function run(bin, args, what) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => (output = (output + chunk).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('error', (err) => keep(`${what}: ${err.message}`));
  return { child, output: () => output };
}

function stopChild(child, signal) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * A redis-server with no persistence. `stop()` kills it (SIGKILL: an outage, not a shutdown);
 * `start()` brings it back, empty, on the same port.
 */
export async function startRedis() {
  const port = await freePort();
  let proc;
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return proc.child.pid;
    },
    async start() {
      proc = run(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], 'redis');
      await waitForPort(port, proc.child, 'redis-server', proc.output);
    },
    stop: () => stopChild(proc.child, 'SIGKILL'),
    async close() {
      await stopChild(proc.child, 'SIGTERM');
    },
  };
  await server.start();
  return server;
}

let databases = 0;

/**
 * A new empty database on the server at `serverUrl` (mysql://user:password@host:port, a user who may
 * create databases), made as an operator would, with the server's default collation; its URL.
 */
export async function createDatabase(serverUrl, prefix = 'wxauth_test') {
  const name = `${prefix}_${process.pid}_${Date.now()}_${++databases}`;
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection(serverUrl);
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
  return `${serverUrl}/${name}`;
}

/**
 * A MariaDB server in a fresh data folder, with a `wxauth` user (password `wxauth`) allowed to create
 * databases. `stop()` kills it with SIGKILL, as a crash would; `start()` restarts it on the same data,
 * so InnoDB's crash recovery runs. `createDatabase()` gives each test suite a database of its own.
 * `bufferPool`: InnoDB's buffer pool (64M for the tests; a benchmark of a big table gives it more).
 */
export async function startMariadb({ bufferPool = '64M' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-mariadb-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  // Its temporary tables in its own folder, not the machine's /tmp, where another program's clean-up can
  // take them from under it (seen once: "Error on delete of '/tmp/#sql-temptable-…'", mid-migration).
  const temp = join(dir, 'tmp');
  mkdirSync(temp);
  const user = isRoot ? ['--user=root'] : [];
  const install = run(
    INSTALL_DB,
    ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user],
    'mariadb-install-db',
  );
  const code = await new Promise((resolve) => install.child.once('exit', resolve));
  if (code !== 0) throw new Error(`mariadb-install-db failed (${code}): ${install.output()}`);

  const port = await freePort();
  let proc;
  const server = {
    port,
    url: `mysql://wxauth:wxauth@127.0.0.1:${port}`,
    get pid() {
      return proc.child.pid;
    },
    async start() {
      proc = run(
        MARIADBD,
        [
          '--no-defaults',
          `--datadir=${datadir}`,
          `--socket=${socket}`,
          `--tmpdir=${temp}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          '--skip-name-resolve',
          `--pid-file=${join(dir, 'mysqld.pid')}`,
          `--innodb-buffer-pool-size=${bufferPool}`,
          '--skip-log-bin',
          '--character-set-server=utf8mb4',
          '--collation-server=utf8mb4_unicode_ci',
          '--max-connections=500',
          ...user,
        ],
        'mariadbd',
      );
      await waitForPort(port, proc.child, 'mariadbd', proc.output);
    },
    stop: () => stopChild(proc.child, 'SIGKILL'),
    createDatabase: (prefix) => createDatabase(server.url, prefix),
    async close() {
      await stopChild(proc.child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  // The tests' user, made as root over the socket (root has no password and no TCP access).
  const mysql = await import('mysql2/promise');
  const root = await mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
  try {
    await root.query(
      "CREATE USER 'wxauth'@'127.0.0.1' IDENTIFIED BY 'wxauth'; GRANT ALL PRIVILEGES ON *.* TO 'wxauth'@'127.0.0.1' WITH GRANT OPTION;",
    );
  } finally {
    await root.end();
  }
  return server;
}
