import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkResponse, makeChallenge } from './challenge.js';
import { readSecrets } from './secrets.js';
import { authResponse } from '../daemon/codec.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsrsync-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSecrets (authenticate.c: get_secret())', () => {
  it('user and @group lines, comments, CRLF; the first line for a name counts', () => {
    const f = path.join(dir, 's1');
    writeFileSync(f, '# users\r\njoe:pw:with:colons\r\n@staff:grp\n\njoe:second\nnocolon\n', { mode: 0o600 });
    const m = readSecrets(f, true, false);
    expect([...m]).toEqual([
      ['joe', 'pw:with:colons'],
      ['@staff', 'grp'],
    ]);
  });
  it('strict modes: a file others can read is refused; without strict modes it is read', () => {
    const f = path.join(dir, 's2');
    writeFileSync(f, 'a:b\n');
    chmodSync(f, 0o644);
    expect(() => readSecrets(f, true, false)).toThrow(/must not be other-accessible/);
    expect(readSecrets(f, false, false).get('a')).toBe('b');
  });
  it('a missing file names its path', () => {
    expect(() => readSecrets(path.join(dir, 'nope'), true, false)).toThrow(/nope/);
  });
});

describe('challenge', () => {
  it('22 base64 characters, different each time', () => {
    const a = makeChallenge();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}$/);
    expect(makeChallenge()).not.toBe(a);
  });
  it('accepts exactly the response for the password and digest', () => {
    const ch = makeChallenge();
    for (const d of ['sha512', 'sha256', 'sha1', 'md5', 'md4', 'md4-old'] as const) {
      const good = authResponse(d, Buffer.from('pässword'), ch);
      expect(checkResponse(ch, 'pässword', good, d)).toBe(true);
      expect(checkResponse(ch, 'password', good, d)).toBe(false);
      expect(checkResponse(ch, 'pässword', good.slice(1), d)).toBe(false);
      expect(checkResponse(makeChallenge(), 'pässword', good, d)).toBe(false);
    }
  });
});
