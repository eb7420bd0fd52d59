import { describe, expect, it } from 'vitest';
import { parseAuthUsers, parseRsyncdConf, RsyncdConfError } from './config.js';

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
      { name: 'staff', group: true, access: 'ro' },
      { name: 'bob', group: false, access: 'default' },
    ]);
    expect(logs).toMatchObject({ readOnly: true, list: false, maxConnections: 4, line: 21 });
  });

  it('warns about unknown keys with their line, accepts rsync keys it does not act on', () => {
    const cfg = parseRsyncdConf(
      'lock file = /x\nfrobnicate = 1\n[m]\npath = /m\nreverse lookup = no\nwibble = 2\n',
      'f',
    );
    expect(cfg.warnings).toEqual([
      { line: 2, message: 'unknown parameter "frobnicate"' },
      { line: 6, message: 'unknown parameter "wibble"' },
    ]);
  });

  it('fails with the file and line for a bad boolean, a bad number, a module without path', () => {
    expect(() => parseRsyncdConf('[m]\npath = /m\nread only = perhaps\n', 'c.conf')).toThrow(
      /c\.conf:3: bad boolean/,
    );
    expect(() => parseRsyncdConf('[m]\npath = /m\ntimeout = -1\n', 'c.conf')).toThrow(RsyncdConfError);
    expect(() => parseRsyncdConf('[m]\ncomment = x\n', 'c.conf')).toThrow(
      /c\.conf:1: module \[m\] has no path/,
    );
    expect(() => parseRsyncdConf('[a/b]\npath = /m\n', 'c.conf')).toThrow(/invalid module name/);
  });

  it('a module defined twice: the later one wins, with a warning', () => {
    const cfg = parseRsyncdConf('[m]\npath = /a\n[m]\npath = /b\n', 'f');
    expect(cfg.modules.map((m) => m.path)).toEqual(['/b']);
    expect(cfg.warnings[0]?.line).toBe(3);
  });
});

describe('parseAuthUsers', () => {
  it('splits on commas and spaces, reads the access suffix and groups', () => {
    expect(parseAuthUsers('a:deny,@g:rw  c:RO d')).toEqual([
      { name: 'a', group: false, access: 'deny' },
      { name: 'g', group: true, access: 'rw' },
      { name: 'c', group: false, access: 'ro' },
      { name: 'd', group: false, access: 'default' },
    ]);
  });
});
