import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confWords, parseAuthUsers, parseRsyncdConf, RsyncdConfError } from './config.js';

const one = (text: string) => {
  const cfg = parseRsyncdConf(text, 'f');
  expect(cfg.modules).toHaveLength(1);
  return cfg.modules[0]!;
};

describe('parseRsyncdConf', () => {
  it('reads globals, module defaults from globals, and every module key rsyncd knows', () => {
    const cfg = parseRsyncdConf(
      [
        '# comment',
        'port = 8873',
        'motd file = /etc/motd',
        'Read_Only = no', // a global default for every module
        'max connections = 4',
        '',
        '[www]',
        '  path = /srv/www/  ',
        '  comment = the web site',
        '  hosts allow = 10.0.0.0/8, 192.168.1.1  127.0.0.1',
        '  refuse options = delete* checksum',
        '  exclude = *.tmp \\',
        '    cache/',
        '  auth users = joe:rw, @staff:ro bob',
        '  secrets file = /etc/rsyncd.secrets',
        '  post-xfer exec = /usr/local/bin/rotate',
        '  timeout = 600',
        '  snapshot = yes',
        '  snapshot keep = last=3,daily=7',
        '; another comment',
        '[logs]',
        '  path = /var/log',
        '  read only = yes',
        '  list = false',
      ].join('\n'),
      'rsyncd.conf',
    );
    expect(cfg.port).toBe(8873);
    expect(cfg.motdFile).toBe('/etc/motd');
    expect(cfg.warnings).toEqual([]);
    const [www, logs] = cfg.modules;
    expect(www).toMatchObject({
      name: 'www',
      path: '/srv/www',
      comment: 'the web site',
      readOnly: false,
      maxConnections: 4,
      hostsAllow: ['10.0.0.0/8', '192.168.1.1', '127.0.0.1'],
      refuseOptions: ['delete*', 'checksum'],
      exclude: ['*.tmp     cache/'],
      secretsFile: '/etc/rsyncd.secrets',
      postXferExec: '/usr/local/bin/rotate',
      timeout: 600,
      snapshot: true,
      snapshotKeep: 'last=3,daily=7',
      line: 7,
    });
    expect(www!.authUsers).toEqual([
      { name: 'joe', group: false, access: 'rw' },
      { name: '@staff', group: true, access: 'ro' },
      { name: 'bob', group: false, access: 'default' },
    ]);
    expect(logs).toMatchObject({ readOnly: true, list: false, maxConnections: 4, line: 21 });
  });

  it('has rsync defaults for a module that sets only its path', () => {
    expect(one('[m]\npath = /m\n')).toEqual({
      name: 'm',
      path: '/m',
      comment: '',
      list: true,
      readOnly: true,
      writeOnly: false,
      authUsers: [],
      secretsFile: undefined,
      strictModes: true,
      hostsAllow: [],
      hostsDeny: [],
      exclude: [],
      include: [],
      filter: [],
      excludeFrom: undefined,
      includeFrom: undefined,
      refuseOptions: [],
      maxConnections: 0,
      timeout: 0,
      preXferExec: undefined,
      postXferExec: undefined,
      useChroot: true,
      mungeSymlinks: undefined,
      uid: undefined,
      gid: undefined,
      incomingChmod: undefined,
      outgoingChmod: undefined,
      ignoreErrors: false,
      snapshot: false,
      snapshotRoot: undefined,
      snapshotKeep: undefined,
      line: 1,
    });
  });

  it.each(['read only', 'readonly', 'Read_Only', 'READ  ONLY', 'read-only'])('key spelling %j', (key) => {
    expect(one(`[m]\npath = /m\n${key} = no\n`).readOnly).toBe(false);
  });

  it.each([
    ['yes', true],
    ['True', true],
    ['1', true],
    ['on', true],
    ['no', false],
    ['FALSE', false],
    ['0', false],
    ['off', false],
  ])('boolean %j', (v, want) => {
    expect(one(`[m]\npath = /m\nwrite only = ${v}\n`).writeOnly).toBe(want);
  });

  it('continuations: blanks after the backslash, the header and the key too; comments do not continue', () => {
    const m = one('[m\\  \n ]\n# a comment \\\npath = /a\\\t\n/b\ncom\\\nment = c  \\\n  d\n');
    expect(m).toMatchObject({ name: 'm', path: '/a/b', comment: 'c    d' });
  });

  it('path: trailing slashes go, "/" stays, %VAR% is kept; a global path is every module default', () => {
    expect(one('[m]\npath = ///\n').path).toBe('/');
    expect(one('[m]\npath = /home/%RSYNC_USER_NAME%//\n').path).toBe('/home/%RSYNC_USER_NAME%');
    const cfg = parseRsyncdConf('path = /srv\n[a]\n[b]\npath = /b\n', 'f');
    expect(cfg.modules.map((m) => m.path)).toEqual(['/srv', '/b']);
  });

  it('[global] goes back to the defaults: later modules see later defaults, earlier ones do not', () => {
    const cfg = parseRsyncdConf('[a]\npath = /a\n[ GLOBAL ]\ntimeout = 9\nport = 99\n[b]\npath = /b\n', 'f');
    expect(cfg.port).toBe(99);
    expect(cfg.modules.map((m) => m.timeout)).toEqual([0, 9]);
  });

  it('use chroot and munge symlinks take "unset" (their default)', () => {
    expect(one('[m]\npath = /m\nuse chroot = no\nmunge symlinks = yes\n')).toMatchObject({
      useChroot: false,
      mungeSymlinks: true,
    });
    expect(one('[m]\npath = /m\nuse chroot = unset\nmunge symlinks = -1\n')).toMatchObject({
      useChroot: true,
      mungeSymlinks: undefined,
    });
  });

  it('warns about unknown keys with their line, accepts rsync keys it does not act on', () => {
    const cfg = parseRsyncdConf(
      'lock file = /x\nfrobnicate = 1\n[m]\npath = /m\nreverse lookup = no\nwibble = 2\nconstructor = 3\n',
      'f',
    );
    expect(cfg.warnings).toEqual([
      { line: 2, message: 'unknown parameter "frobnicate"' },
      { line: 6, message: 'unknown parameter "wibble"' },
      { line: 7, message: 'unknown parameter "constructor"' },
    ]);
  });

  it('warns about rsync keys it ignores that matter, global keys in a module, lines without =', () => {
    const cfg = parseRsyncdConf(
      'daemon uid = nobody\n[m]\npath = /m\nport = 1\nauth digest = sha512\njunk\n',
      'f',
    );
    expect(cfg.port).toBeUndefined();
    expect(cfg.warnings.map((w) => w.line)).toEqual([1, 4, 5, 6]);
    expect(cfg.warnings[0]!.message).toMatch(/"daemon uid" is not supported/);
    expect(cfg.warnings[1]!.message).toMatch(/global parameter "port" found in module section/);
  });

  it('fails with the file and line', () => {
    const bad = (text: string, re: RegExp) => {
      expect(() => parseRsyncdConf(text, 'c.conf')).toThrow(RsyncdConfError);
      expect(() => parseRsyncdConf(text, 'c.conf')).toThrow(re);
    };
    bad('[m]\npath = /m\nread only = perhaps\n', /^c\.conf:3: bad boolean/);
    bad('[m]\npath = /m\nlist = \\\nmaybe\n', /^c\.conf:3: bad boolean/);
    bad('[m]\npath = /m\ntimeout = -1\n', /^c\.conf:3: bad number/);
    bad('port = 70000\n', /^c\.conf:1: bad port/);
    bad('\n[m]\ncomment = x\n', /^c\.conf:2: module \[m\] has no path/);
    bad('[a/b]\npath = /m\n', /^c\.conf:1: invalid module name/);
    bad('[]\n', /^c\.conf:1: empty section name/);
    bad('[m\npath = /m\n', /^c\.conf:1: badly formed section header/);
    bad('[m]\npath = /m\n = x\n', /^c\.conf:3: empty parameter name/);
    bad('&include /etc/rsyncd.d\n', /^c\.conf:1: directives \(&include\) are not supported/);
  });

  it('a module defined twice: one module, the later values win, the earlier ones stay', () => {
    const cfg = parseRsyncdConf('[m]\npath = /a\ncomment = c\n[x]\npath = /x\n[M]\npath = /b\n', 'f');
    expect(cfg.modules.map((m) => [m.name, m.path, m.comment])).toEqual([
      ['m', '/b', 'c'],
      ['x', '/x', ''],
    ]);
    expect(cfg.warnings).toHaveLength(1);
    expect(cfg.warnings[0]!.line).toBe(6);
  });

  it('reads back what is written, whatever the key spelling and blanks (property)', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/).filter((w) => w !== 'global');
    const spell = (key: string) =>
      fc
        .constantFrom(
          (k: string) => k,
          (k: string) => k.toUpperCase(),
          (k: string) => k.replace(/ /g, '_'),
          (k: string) => k.replace(/ /g, ''),
        )
        .map((f) => f(key));
    const mod = fc.record({
      name: word,
      path: word.map((w) => `/${w}`),
      readOnly: fc.boolean(),
      list: fc.boolean(),
      timeout: fc.nat(100000),
      hostsAllow: fc.array(word, { maxLength: 4 }),
      keys: fc.tuple(spell('read only'), spell('list'), spell('timeout'), spell('hosts allow')),
      pad: fc.constantFrom('', ' ', '\t', '  '),
    });
    fc.assert(
      fc.property(fc.uniqueArray(mod, { selector: (m) => m.name, maxLength: 5 }), (mods) => {
        const text = mods
          .map((m) =>
            [
              `${m.pad}[${m.name}]`,
              `path${m.pad}=${m.pad}${m.path}`,
              `${m.keys[0]} = ${m.readOnly ? 'yes' : 'no'}${m.pad}`,
              `${m.pad}${m.keys[1]}=${m.list ? 'true' : 'false'}`,
              `${m.keys[2]} = ${m.timeout}`,
              `${m.keys[3]} = ${m.hostsAllow.join(', ')}`,
            ].join('\r\n'),
          )
          .join('\n');
        const cfg = parseRsyncdConf(text, 'f');
        expect(cfg.warnings).toEqual([]);
        expect(
          cfg.modules.map(({ name, path, readOnly, list, timeout, hostsAllow }) => ({
            name,
            path,
            readOnly,
            list,
            timeout,
            hostsAllow,
          })),
        ).toEqual(
          mods.map(({ name, path, readOnly, list, timeout, hostsAllow }) => ({
            name,
            path,
            readOnly,
            list,
            timeout,
            hostsAllow,
          })),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseAuthUsers (authenticate.c:auth_server())', () => {
  it('splits on commas and spaces, reads the access suffix and groups', () => {
    expect(parseAuthUsers('a:deny,@g:rw  c:RO d e:Dx f:read g:rwx')).toEqual([
      { name: 'a', group: false, access: 'deny' },
      { name: '@g', group: true, access: 'rw' },
      { name: 'c', group: false, access: 'ro' },
      { name: 'd', group: false, access: 'default' },
      { name: 'e', group: false, access: 'deny' },
      { name: 'f', group: false, access: 'default' },
      { name: 'g', group: false, access: 'rw' },
    ]);
  });

  it('a list starting with a comma splits on commas alone (names with spaces)', () => {
    expect(parseAuthUsers(' , joe:deny, @Some Group:deny,, admin:rw ')).toEqual([
      { name: 'joe', group: false, access: 'deny' },
      { name: '@Some Group', group: true, access: 'deny' },
      { name: 'admin', group: false, access: 'rw' },
    ]);
    expect(confWords('a b,c')).toEqual(['a', 'b', 'c']);
  });
});
