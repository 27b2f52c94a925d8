// A relying party that is a real Apache httpd with Debian's mod_auth_openidc, configured with the block
// the docs give (docs/guide/oidc.md), so that block is run, not just shown. Its protected page is a CGI
// script answering the claims mod_auth_openidc hands to the app (OIDC_CLAIM_*, REMOTE_USER).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePorts, ROOT } from './stack.mjs';

export const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

/** The docs' Apache block, as a reader would copy it. */
function docsBlock() {
  const page = readFileSync(join(ROOT, 'docs/guide/oidc.md'), 'utf8');
  const block = /^```apache \[Apache \(mod_auth_openidc\)\]\n([\s\S]*?)^```$/m.exec(page)?.[1];
  if (!block) throw new Error('docs/guide/oidc.md has no Apache (mod_auth_openidc) block');
  return block;
}

/** Replaces a placeholder the docs must have: a reworded block fails here rather than running stale. */
function fill(text, placeholder, value) {
  if (!text.includes(placeholder)) throw new Error(`the docs' Apache block lost its ${placeholder}`);
  return text.replaceAll(placeholder, value);
}

/**
 * The docs' block with its placeholders only (host names, secret, passphrase) filled in for an Apache on a
 * free loopback port, before wxauth starts (its client file needs the RP's redirect URI): `clientId`,
 * `redirectUri` and `secret` go to that file, then `start(issuerOrigin)` runs Apache.
 */
export async function prepareApache() {
  const [port] = await freePorts(1);
  const origin = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('base64url');
  const template = fill(fill(docsBlock(), '<the secret>', secret), 'https://intranet.example.com', origin);
  const clientId = /^OIDCClientID\s+(\S+)$/m.exec(template)?.[1];
  const redirectUri = /^# redirect_uris:\s*(\S+)$/m.exec(template)?.[1];
  if (!clientId || !redirectUri) throw new Error("the docs' Apache block names no client id or redirect URI");
  let stop = async () => {};
  return {
    origin,
    clientId,
    redirectUri,
    secret,
    /** Starts Apache in the foreground, one process, with everything it writes in a temp dir. */
    async start(issuerOrigin) {
      const docs = fill(
        fill(template, 'https://h5.example.com', issuerOrigin),
        '<a random passphrase>',
        randomBytes(32).toString('base64url'),
      );
      const dir = mkdtempSync(join(tmpdir(), 'wxauth-e2e-apache-'));
      // Apache refuses to serve as root: run as root, it serves as www-data, who must read the script.
      chmodSync(dir, 0o755);
      const script = join(dir, 'claims.sh');
      writeFileSync(
        script,
        '#!/bin/sh\nprintf \'Content-Type: application/json\\n\\n{"sub":"%s","phone_number":"%s","remote_user":"%s"}\\n\' ' +
          '"$OIDC_CLAIM_sub" "$OIDC_CLAIM_phone_number" "$REMOTE_USER"\n',
      );
      chmodSync(script, 0o755);
      // What a browser asks for after each page: an empty one, not a 404 in the console.
      writeFileSync(join(dir, 'favicon.ico'), '');
      const asRoot = userInfo().uid === 0;
      writeFileSync(
        join(dir, 'httpd.conf'),
        [
          `ServerRoot ${dir}`,
          `ServerName 127.0.0.1:${port}`,
          `Listen 127.0.0.1:${port}`,
          `PidFile ${dir}/httpd.pid`,
          `DefaultRuntimeDir ${dir}`,
          `ErrorLog ${dir}/error.log`,
          'LogLevel warn',
          `DocumentRoot ${dir}`,
          ...(asRoot ? ['User www-data', 'Group www-data'] : []),
          ...['mpm_prefork', 'authn_core', 'authz_core', 'authz_user', 'alias', 'cgi', 'auth_openidc'].map(
            (m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`,
          ),
          `ScriptAlias /claims ${script}`,
          docs,
        ].join('\n'),
      );
      const log = () => {
        try {
          return readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000);
        } catch {
          return '';
        }
      };
      const httpd = spawn(APACHE, ['-X', '-f', join(dir, 'httpd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      httpd.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise((r) => httpd.once('exit', r));
      stop = async () => {
        if (httpd.exitCode === null) httpd.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      };
      for (let i = 0; ; i++) {
        if (httpd.exitCode !== null) {
          const why = `${stderr}${log()}`;
          rmSync(dir, { recursive: true, force: true });
          throw new Error(`apache2 exited (${httpd.exitCode}): ${why}`);
        }
        const up = await new Promise((r) =>
          connect(port, '127.0.0.1')
            .once('connect', function () {
              this.destroy();
              r(true);
            })
            .once('error', () => r(false)),
        );
        if (up) break;
        if (i > 100) {
          await stop();
          throw new Error(`apache2 did not listen on ${port}: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => stop(),
  };
}
