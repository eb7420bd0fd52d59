import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSecrets } from './secrets.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsrsync-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
function secrets(text: string, mode = 0o600): string {
  const f = path.join(dir, `s${seq++}`);
  writeFileSync(f, text);
  chmodSync(f, mode);
  return f;
}

describe('readSecrets (authenticate.c: check_secret())', () => {
  it('user and @group lines, comments, CRLF; the first line for a name counts', () => {
    const f = secrets('# users\r\njoe:pw:with:colons\r\n@staff:grp\n\njoe:second\nnocolon\n:x\n#c:d\n');
    expect([...readSecrets(f, true, false)]).toEqual([
      ['joe', 'pw:with:colons'],
      ['@staff', 'grp'],
    ]);
  });

  it('a line ends at its first CR; blanks are part of the name and the password', () => {
    const f = secrets('a:pw\rignored\n b:x\nc: sp \n');
    expect([...readSecrets(f, true, false)]).toEqual([
      ['a', 'pw'],
      [' b', 'x'],
      ['c', ' sp '],
    ]);
  });

  it('strict modes: a file others can read or write is refused; group access is fine', () => {
    for (const mode of [0o604, 0o602, 0o644]) {
      const f = secrets('a:b\n', mode);
      expect(() => readSecrets(f, true, false)).toThrow(
        'secrets file must not be other-accessible (see strict modes option)',
      );
      expect(readSecrets(f, false, false).get('a')).toBe('b');
    }
    expect(readSecrets(secrets('a:b\n', 0o660), true, false).get('a')).toBe('b');
  });

  it('strict modes as root: the file must be root-owned', () => {
    const f = secrets('a:b\n');
    // make a file that is not root's: give ours away when we are root, else ours already is not
    if (process.getuid?.() === 0) chownSync(f, 1, 1);
    expect(() => readSecrets(f, true, true)).toThrow(
      'secrets file must be owned by root when running as root (see strict modes)',
    );
    expect(readSecrets(f, false, true).get('a')).toBe('b');
    expect(readSecrets(f, true, false).get('a')).toBe('b');
  });

  it('a missing file names its path', () => {
    expect(() => readSecrets(path.join(dir, 'nope'), true, false)).toThrow(/nope.*ENOENT/);
  });
});
