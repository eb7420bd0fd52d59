import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authUserAccess, hostAllowed, matchAddress, wildMatch } from './access.js';
import type { AuthUser } from './config.js';

const ip4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const ip6 = (n: bigint) =>
  Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');

describe('hostAllowed (access.c:allow_access())', () => {
  it('no lists: everyone', () => {
    expect(hostAllowed('10.1.2.3', undefined, [], [])).toBe(true);
    expect(hostAllowed('10.1.2.3', undefined, [''], [' '])).toBe(true);
  });

  it('allow only: matches in, the rest out', () => {
    expect(hostAllowed('10.1.2.3', undefined, ['10.0.0.0/8'], [])).toBe(true);
    expect(hostAllowed('11.1.2.3', undefined, ['10.0.0.0/8'], [])).toBe(false);
  });

  it('deny only: matches out, the rest in', () => {
    expect(hostAllowed('11.1.2.3', undefined, [], ['10.0.0.0/8'])).toBe(true);
    expect(hostAllowed('10.9.9.9', undefined, [], ['10.0.0.0/255.0.0.0'])).toBe(false);
  });

  it('both: allow wins, then deny; a host in neither list is let in (as rsyncd.conf(5) says)', () => {
    expect(hostAllowed('10.1.2.3', undefined, ['10.0.0.0/8'], ['10.1.0.0/16'])).toBe(true);
    expect(hostAllowed('11.1.2.3', undefined, ['10.0.0.0/8'], ['11.0.0.0/8'])).toBe(false);
    expect(hostAllowed('12.1.2.3', undefined, ['10.0.0.0/8'], ['11.0.0.0/8'])).toBe(true);
  });

  it('an unknown host is UNDETERMINED: "*" matches it, a name pattern does not, nor the address text', () => {
    expect(hostAllowed('11.1.2.3', undefined, ['10.0.0.0/8'], ['*'])).toBe(false);
    expect(hostAllowed('11.1.2.3', undefined, [], ['*'])).toBe(false);
    expect(hostAllowed('11.1.2.3', undefined, [], ['*.example.org'])).toBe(true);
    expect(hostAllowed('10.0.0.5', undefined, ['10.0.0.*'], [])).toBe(false);
    // rsync's placeholder name is what patterns see
    expect(hostAllowed('10.0.0.5', undefined, ['undet*'], [])).toBe(true);
    expect(hostAllowed('10.0.0.5', '', ['undet*'], [])).toBe(true);
  });

  it('host name patterns without case; several per entry; @netgroup never matches', () => {
    expect(hostAllowed('1.2.3.4', 'www.Example.org', ['a.b, *.EXAMPLE.org'], ['*'])).toBe(true);
    expect(hostAllowed('1.2.3.4', 'www.example.com', ['w?w.example.[co]rg'], ['*'])).toBe(false);
    expect(hostAllowed('1.2.3.4', 'www.example.org', ['w?w.example.[co]rg'], ['*'])).toBe(true);
    expect(hostAllowed('1.2.3.4', 'nis', ['@nis'], [])).toBe(false);
  });

  it('IPv6, IPv4-mapped IPv6 (dotted or hex) as IPv4, scopes', () => {
    expect(hostAllowed('::ffff:127.0.0.1', undefined, ['127.0.0.1'], ['*'])).toBe(true);
    expect(hostAllowed('::ffff:7f00:1', undefined, ['127.0.0.0/8'], ['*'])).toBe(true);
    expect(hostAllowed('2001:db8::5', undefined, ['2001:DB8::/32'], ['*'])).toBe(true);
    expect(hostAllowed('2001:db9::5', undefined, ['2001:db8::/32'], ['*'])).toBe(false);
    expect(hostAllowed('2001:db8::5', undefined, ['2001:db8::/ffff:ffff::'], ['*'])).toBe(true);
    expect(matchAddress('fe80::1%eth0', 'fe80::/64')).toBe(true);
    expect(matchAddress('fe80::1%eth0', 'fe80::%eth0/64')).toBe(true);
    expect(matchAddress('fe80::1%eth1', 'fe80::%eth0/64')).toBe(false);
  });

  it('address forms: /0 is the whole family, bad masks and host names match nothing', () => {
    expect(matchAddress('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(matchAddress('1.2.3.4', '::/0')).toBe(false);
    expect(matchAddress('::1', '0.0.0.0/0')).toBe(false);
    for (const bad of ['1.2.3.4/33', '1.2.3.4/', '1.2.3.4/x', '1.2.3.4/24x', 'host.example', '1.2.3'])
      expect(matchAddress('1.2.3.4', bad)).toBe(false);
  });

  it('IPv4 CIDR and netmask membership agree with arithmetic on the address (property)', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), (a, net, bits) => {
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const inside = (a & mask) >>> 0 === (net & mask) >>> 0;
        expect(hostAllowed(ip4(a), undefined, [`${ip4(net)}/${bits}`], [])).toBe(inside);
        expect(hostAllowed(ip4(a), undefined, [`${ip4(net)}/${ip4(mask)}`], [])).toBe(inside);
        expect(hostAllowed(`::ffff:${ip4(a)}`, undefined, [`${ip4(net)}/${bits}`], [])).toBe(inside);
      }),
      { numRuns: 500 },
    );
  });

  it('IPv6 CIDR membership agrees with arithmetic on the address (property)', () => {
    const addr = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    fc.assert(
      fc.property(addr, addr, fc.integer({ min: 0, max: 128 }), fc.nat(128), (a, net, bits, near) => {
        // half the time the address shares a long prefix with the network
        const x = near % 2 ? a : (net & ~((1n << BigInt(near)) - 1n)) | (a & ((1n << BigInt(near)) - 1n));
        const mask = ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n);
        const inside = (x & mask) === (net & mask);
        // 0:0:0:0:0:ffff:... would be taken as IPv4-mapped
        fc.pre(x >> 32n !== 0xffffn && net >> 32n !== 0xffffn);
        expect(matchAddress(ip6(x), `${ip6(net)}/${bits}`)).toBe(inside);
      }),
      { numRuns: 500 },
    );
  });
});

describe('authUserAccess (authenticate.c:auth_server())', () => {
  const rules = (s: string): AuthUser[] =>
    s.split(' ').map((w) => {
      const [name = '', access = 'default'] = w.split(':');
      return { name, group: name.startsWith('@'), access: access as AuthUser['access'] };
    });
  // rsyncd.conf(5)'s example
  const users = rules('joe:deny @guest:deny admin:rw @rsync:ro susan joe sam');

  it('the first matching rule, user or group, in order', () => {
    expect(authUserAccess('joe', ['rsync'], users, true)).toBe('deny');
    expect(authUserAccess('admin', ['guest'], users, true)).toBe('deny');
    expect(authUserAccess('admin', ['rsync'], users, true)).toBe('rw');
    expect(authUserAccess('bob', ['staff', 'rsync'], users, true)).toBe('ro');
    expect(authUserAccess('susan', ['rsync'], users, true)).toBe('ro');
    expect(authUserAccess('susan', [], users, true)).toBe('default');
    expect(authUserAccess('bob', ['users'], users, true)).toBeUndefined();
    expect(authUserAccess('bob', [], [], false)).toBeUndefined();
  });

  it('wildcards in user and group rules; user names are case-sensitive', () => {
    const w = rules('j*:ro @st?ff:rw');
    expect(authUserAccess('jane', [], w, true)).toBe('ro');
    expect(authUserAccess('Jane', [], w, true)).toBeUndefined();
    expect(authUserAccess('bob', ['staff'], w, true)).toBe('rw');
    // a group rule never matches a user name
    expect(authUserAccess('staff', [], w, true)).toBeUndefined();
  });

  it('wildMatch: *, ? and classes, whole string, optional case folding', () => {
    expect(wildMatch('a?c*', 'abcdef')).toBe(true);
    expect(wildMatch('[a-c]x', 'bx')).toBe(true);
    expect(wildMatch('[!a-c]x', 'bx')).toBe(false);
    expect(wildMatch('a.c', 'abc')).toBe(false);
    expect(wildMatch('ab', 'abc')).toBe(false);
    expect(wildMatch('A*', 'abc')).toBe(false);
    expect(wildMatch('A*', 'abc', true)).toBe(true);
  });
});
