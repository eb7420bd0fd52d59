import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  authResponse,
  chooseAuthDigest,
  chooseProtocol,
  formatGreeting,
  formatModuleLine,
  parseGreeting,
  parseModuleLine,
} from './codec.js';
import { md4 } from './md4.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('md4', () => {
  test('RFC 1320 vectors', () => {
    expect(hex(md4(Buffer.from('')))).toBe('31d6cfe0d16ae931b73c59d7e0c089c0');
    expect(hex(md4(Buffer.from('abc')))).toBe('a448017aaf21d8525fc10ae87aa6729d');
    expect(hex(md4(Buffer.from('message digest')))).toBe('d9130a8164549fe818874806e1c7014b');
    expect(
      hex(
        md4(Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890')),
      ),
    ).toBe('e33b4ddc9c38f2199c3e7b164fcc0536');
  });
});

describe('greeting', () => {
  test('format', () => {
    expect(formatGreeting(32)).toBe('@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n');
    expect(formatGreeting(29, [])).toBe('@RSYNCD: 29.0\n');
  });
  test('parse', () => {
    expect(parseGreeting('@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4')).toEqual({
      protocol: 32,
      sub: 0,
      digests: ['sha512', 'sha256', 'sha1', 'md5', 'md4'],
    });
    expect(parseGreeting('@RSYNCD: 29')).toEqual({ protocol: 29, sub: undefined, digests: undefined });
    expect(parseGreeting('@RSYNCD: 31.0')).toEqual({ protocol: 31, sub: 0, digests: undefined });
  });
  test('parse errors', () => {
    expect(() => parseGreeting('hello')).toThrow(/rather than greeting/);
    expect(() => parseGreeting('@RSYNCD: 30')).toThrow(/subprotocol/);
    expect(() => parseGreeting('@RSYNCD: 32.0')).toThrow(/digest name list/);
  });
  test('version choice', () => {
    const g = parseGreeting('@RSYNCD: 32.0 md5');
    for (let v = 27; v <= 32; v++) expect(chooseProtocol(v, g)).toBe(v);
    expect(chooseProtocol(32, parseGreeting('@RSYNCD: 30.0'))).toBe(30);
    expect(chooseProtocol(32, parseGreeting('@RSYNCD: 31.1 md5'))).toBe(30);
    expect(chooseProtocol(31, parseGreeting('@RSYNCD: 31.1 md5'))).toBe(30);
    expect(() => chooseProtocol(32, parseGreeting('@RSYNCD: 41.0 md5'))).toThrow();
    expect(() => chooseProtocol(32, parseGreeting('@RSYNCD: 26'))).toThrow();
  });
});

describe('auth', () => {
  test('digest choice', () => {
    expect(chooseAuthDigest(['md4', 'md5', 'sha1'], 32)).toBe('sha1');
    expect(chooseAuthDigest(['sha512', 'sha256', 'sha1', 'md5', 'md4'], 32)).toBe('sha512');
    expect(chooseAuthDigest(['md4'], 29)).toBe('md4');
    expect(chooseAuthDigest(undefined, 30)).toBe('md5');
    expect(chooseAuthDigest(undefined, 29)).toBe('md4-old');
    expect(() => chooseAuthDigest(['xxh3'], 32)).toThrow();
  });
  test('responses: base64 of H(password + challenge), no padding', () => {
    const pw = 'secret';
    const ch = 'abcdefghijklmnopqrstuv';
    for (const d of ['sha512', 'sha256', 'sha1', 'md5'] as const) {
      const want = createHash(d)
        .update(pw + ch)
        .digest('base64')
        .replace(/=+$/, '');
      expect(authResponse(d, pw, ch)).toBe(want);
    }
    expect(authResponse('md4', pw, ch)).toBe(
      Buffer.from(md4(Buffer.from(pw + ch)))
        .toString('base64')
        .replace(/=+$/, ''),
    );
    expect(authResponse('md4-old', pw, ch)).toBe(
      Buffer.from(md4(Buffer.concat([Buffer.alloc(4), Buffer.from(pw + ch)])))
        .toString('base64')
        .replace(/=+$/, ''),
    );
    expect(authResponse('md5', pw, ch)).toHaveLength(22);
    expect(authResponse('sha512', pw, ch)).toHaveLength(86);
  });
});

describe('module lines', () => {
  test('format/parse', () => {
    expect(formatModuleLine({ name: 'mod', comment: 'test module' })).toBe('mod            \ttest module\n');
    expect(formatModuleLine({ name: 'averyverylongmodulename', comment: '' })).toBe(
      'averyverylongmodulename\t\n',
    );
    expect(parseModuleLine('mod            \ttest module')).toEqual({ name: 'mod', comment: 'test module' });
    expect(parseModuleLine('motd text')).toBeUndefined();
  });
});
