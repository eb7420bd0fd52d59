/**
 * Challenge-response with every digest a client may offer
 * (authenticate.c: generate_hash()): a client that lists only one digest gets
 * it; the response is computed here with node:crypto, independently of
 * tsrsync's own client code. rsync 3.5.0 itself always picks sha512 from our
 * list; test/interop/daemon.interop.test.ts covers it at protocols 27-32.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { createMD4 } from 'hash-wasm';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './harness.js';
import { startTsrsyncDaemon, type TsrsyncDaemon } from './tsrsync-daemon.js';

let daemon: TsrsyncDaemon;
beforeAll(async () => {
  const work = await makeTempDir('tsrsync-dauth-');
  daemon = await startTsrsyncDaemon({
    modules: {
      sec: { path: path.join(work), authUsers: ['joe'], secrets: { joe: 'sésame-42' } },
      // the daemon user (primary group daemon) by a group rule; root by its own line only
      grp: {
        path: path.join(work),
        authUsers: ['@daemon:ro', 'root'],
        secrets: { '@daemon': 'group-pw', daemon: 'user-pw', root: 'root-pw', '@root': 'root-group-pw' },
      },
    },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

/** Connects, offers `digests`, asks for module `sec`, answers the challenge with `answer`; returns the daemon's reply line. */
async function login(
  greeting: string,
  answer: (challenge: string) => string,
  module = 'sec',
  user = 'joe',
): Promise<string> {
  const sock = net.connect({ host: '127.0.0.1', port: daemon.port });
  sock.on('error', () => undefined);
  let buf = '';
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    wake?.();
  });
  const next = async (): Promise<string> => {
    const deadline = Date.now() + 5000;
    while (lines.length === 0) {
      if (Date.now() > deadline) throw new Error('no reply');
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    return lines.shift()!;
  };
  try {
    expect(await next()).toMatch(/^@RSYNCD: 32\.0 /);
    sock.write(`${greeting}\n`);
    sock.write(`${module}\n`);
    const ch = await next();
    expect(ch).toMatch(/^@RSYNCD: AUTHREQD [A-Za-z0-9+/]{22}$/);
    sock.write(`${user} ${answer(ch.slice('@RSYNCD: AUTHREQD '.length))}\n`);
    return await next();
  } finally {
    sock.destroy();
  }
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const hash = (alg: string, pw: string, ch: string) =>
  b64(createHash(alg).update(Buffer.from(pw, 'utf8')).update(Buffer.from(ch, 'latin1')).digest());

describe.each(['sha512', 'sha256', 'sha1', 'md5'])('auth digest %s', (alg) => {
  it('the right password is accepted, a wrong one refused', { timeout: 15_000 }, async () => {
    expect(await login(`@RSYNCD: 31.0 ${alg}`, (ch) => hash(alg, 'sésame-42', ch))).toBe('@RSYNCD: OK');
    expect(await login(`@RSYNCD: 31.0 ${alg}`, (ch) => hash(alg, 'sésame-43', ch))).toBe(
      '@ERROR: auth failed on module sec',
    );
    // the right password hashed with another digest than the negotiated one
    const other = alg === 'md5' ? 'sha1' : 'md5';
    expect(await login(`@RSYNCD: 31.0 ${alg}`, (ch) => hash(other, 'sésame-42', ch))).toBe(
      '@ERROR: auth failed on module sec',
    );
  });
});

it(
  'a protocol 29 client without a digest list uses MD4 with the old zero seed',
  { timeout: 15_000 },
  async () => {
    // node:crypto has no MD4 under OpenSSL 3: hash-wasm's, an implementation independent of tsrsync's
    const md4 = await createMD4();
    const old = (ch: string) => {
      md4.init();
      md4.update(
        Buffer.concat([Buffer.alloc(4), Buffer.from('sésame-42', 'utf8'), Buffer.from(ch, 'latin1')]),
      );
      return b64(Buffer.from(md4.digest('binary')));
    };
    expect(await login('@RSYNCD: 29.0', old)).toBe('@RSYNCD: OK');
    expect(await login('@RSYNCD: 29.0', (ch) => hash('md5', 'sésame-42', ch))).toBe(
      '@ERROR: auth failed on module sec',
    );
  },
);

it(
  "group passwords: the matched group rule's @group line or the user's own line (check_secret())",
  { timeout: 15_000 },
  async () => {
    const md5 = (pw: string) => (ch: string) => hash('md5', pw, ch);
    const g = '@RSYNCD: 31.0 md5';
    expect(await login(g, md5('group-pw'), 'grp', 'daemon')).toBe('@RSYNCD: OK');
    expect(await login(g, md5('user-pw'), 'grp', 'daemon')).toBe('@RSYNCD: OK');
    // root matched by its user rule: its group's line does not count
    expect(await login(g, md5('root-pw'), 'grp', 'root')).toBe('@RSYNCD: OK');
    expect(await login(g, md5('root-group-pw'), 'grp', 'root')).toBe('@ERROR: auth failed on module grp');
    // a user no rule names
    expect(await login(g, md5('group-pw'), 'grp', 'nobody')).toBe('@ERROR: auth failed on module grp');
  },
);
