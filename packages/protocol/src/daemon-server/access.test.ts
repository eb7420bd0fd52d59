import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authUserAccess, hostAllowed, wildMatch } from './access.js';

const ip4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

describe('hostAllowed (access.c:allow_access())', () => {
  it('allow wins, then deny, then: allowed unless an allow list exists', () => {
    expect(hostAllowed('10.1.2.3', undefined, [], [])).toBe(true);
    expect(hostAllowed('10.1.2.3', undefined, ['10.0.0.0/8'], ['*'])).toBe(true);
    expect(hostAllowed('11.1.2.3', undefined, ['10.0.0.0/8'], ['*'])).toBe(false);
    expect(hostAllowed('11.1.2.3', undefined, ['10.0.0.0/8'], [])).toBe(false);
    expect(hostAllowed('11.1.2.3', undefined, [], ['10.0.0.0/8'])).toBe(true);
    expect(hostAllowed('10.9.9.9', undefined, [], ['10.0.0.0/255.0.0.0'])).toBe(false);
    expect(hostAllowed('::ffff:127.0.0.1', undefined, ['127.0.0.1'], ['*'])).toBe(true);
    expect(hostAllowed('2001:db8::5', undefined, ['2001:db8::/32'], ['*'])).toBe(true);
    expect(hostAllowed('2001:db9::5', undefined, ['2001:db8::/32'], ['*'])).toBe(false);
    expect(hostAllowed('1.2.3.4', 'www.Example.org', ['*.example.org'], ['*'])).toBe(true);
    expect(hostAllowed('1.2.3.4', undefined, ['@netgroup'], ['*'])).toBe(false);
  });

  it('CIDR membership agrees with arithmetic on the address', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), (a, net, bits) => {
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const inside = (a & mask) >>> 0 === (net & mask) >>> 0;
        expect(hostAllowed(ip4(a), undefined, [`${ip4(net)}/${bits}`], ['*'])).toBe(inside);
      }),
      { numRuns: 500 },
    );
  });
});

describe('authUserAccess', () => {
  const users = [
    { name: 'joe', group: false, access: 'deny' as const },
    { name: 'j*', group: false, access: 'ro' as const },
    { name: 'staff', group: true, access: 'rw' as const },
  ];
  it('first matching user entry, then groups; none: undefined', () => {
    expect(authUserAccess('joe', ['staff'], users, true)).toBe('deny');
    expect(authUserAccess('jane', ['staff'], users, true)).toBe('ro');
    expect(authUserAccess('bob', ['staff'], users, true)).toBe('rw');
    expect(authUserAccess('bob', ['users'], users, true)).toBeUndefined();
  });
  it('wildMatch: *, ? and classes, whole string', () => {
    expect(wildMatch('a?c*', 'abcdef')).toBe(true);
    expect(wildMatch('[a-c]x', 'bx')).toBe(true);
    expect(wildMatch('[!a-c]x', 'bx')).toBe(false);
    expect(wildMatch('a.c', 'abc')).toBe(false);
  });
});
