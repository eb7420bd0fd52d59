import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RSYNC_LONG_ARGS,
  parseRsnapshotConf,
  RsnapshotConfError,
  type RsnapshotConfig,
} from './rsnapshot-conf.js';

const FILE = '/etc/rsnapshot.conf';
const HEAD = ['config_version\t1.2', 'snapshot_root\t/backup/', 'retain\tdaily\t7'];
const BACKUP = 'backup\t/home/\tlocalhost/';

const conf = (...lines: string[]): string => lines.join('\n') + '\n';
const parse = (text: string, readInclude?: (p: string) => string): RsnapshotConfig =>
  parseRsnapshotConf(text, FILE, readInclude);

function parseError(text: string, readInclude?: (p: string) => string): RsnapshotConfError {
  try {
    parse(text, readInclude);
  } catch (e) {
    expect(e).toBeInstanceOf(RsnapshotConfError);
    return e as RsnapshotConfError;
  }
  throw new Error('expected a parse error');
}

describe('parseRsnapshotConf: valid configs', () => {
  it('parses the cwRsync how-to config (daemon module source)', () => {
    const cfg = parse(
      conf(
        '# rsnapshot.conf for a Windows box running cwRsync',
        'config_version\t1.2',
        '',
        'snapshot_root\t/backup/',
        'cmd_rsync\t/usr/bin/rsync',
        'retain\tdaily\t7',
        'retain\tweekly\t4',
        'retain\tmonthly\t3',
        'backup\twinhost::websites\twebsites/',
      ),
    );
    expect(cfg.configVersion).toBe('1.2');
    expect(cfg.snapshotRoot).toBe('/backup');
    expect(cfg.levels).toEqual([
      { name: 'daily', count: 7, line: 6 },
      { name: 'weekly', count: 4, line: 7 },
      { name: 'monthly', count: 3, line: 8 },
    ]);
    expect(cfg.backups).toEqual([
      {
        kind: 'backup',
        source: 'winhost::websites',
        sourceKind: 'daemon',
        dest: 'websites',
        options: {},
        line: 9,
        file: FILE,
      },
    ]);
    expect(cfg.linkDest).toBe(false);
    expect(cfg.syncFirst).toBe(false);
    expect(cfg.rsyncShortArgs).toBe('-a');
    expect(cfg.rsyncLongArgs).toBe(DEFAULT_RSYNC_LONG_ARGS);
    expect(cfg.rsyncLongArgs).toBe('--delete --numeric-ids --relative --delete-excluded');
    expect(cfg.duArgs).toBe('-csh');
    expect(cfg.commands).toEqual({ cmd_rsync: '/usr/bin/rsync' });
    expect(cfg.warnings).toEqual([
      { file: FILE, line: 5, message: expect.stringContaining('cmd_rsync is recorded but not run') },
    ]);
    expect(cfg.files).toEqual([FILE]);
  });

  it('records every global directive', () => {
    const cfg = parse(
      conf(
        ...HEAD,
        'link_dest\t1',
        'sync_first\t1',
        'use_lazy_deletes\t1',
        'one_fs\t1',
        'no_create_root\t1',
        'lockfile\t/var/run/rsnapshot.pid',
        'stop_on_stale_lockfile\t1',
        'rsync_numtries\t3',
        'rsync_wait_between_tries\t30',
        'verbose\t4',
        'loglevel\t2',
        'logfile\t/var/log/rsnapshot.log',
        'include\t/home/***',
        'exclude\t*.tmp',
        'exclude\t/proc/',
        'include_file\t/etc/rsnapshot.include',
        'exclude_file\t/etc/rsnapshot.exclude',
        'rsync_short_args\t-aH',
        'rsync_long_args\t--delete --numeric-ids',
        'du_args\t-sh',
        'ssh_args\t-p 2222',
        'cmd_preexec\t/usr/local/bin/pre.sh --quiet',
        'cmd_postexec\t/usr/local/bin/post.sh',
        'cmd_ssh\t/usr/bin/ssh',
        'cmd_cp\t/bin/cp',
        'cmd_rm\t/bin/rm',
        'cmd_du\t/usr/bin/du',
        'cmd_logger\t/usr/bin/logger',
        'cmd_rsnapshot_diff\t/usr/bin/rsnapshot-diff',
        BACKUP,
      ),
    );
    expect(cfg).toMatchObject({
      linkDest: true,
      syncFirst: true,
      useLazyDeletes: true,
      oneFs: true,
      noCreateRoot: true,
      lockfile: '/var/run/rsnapshot.pid',
      stopOnStaleLockfile: true,
      rsyncNumtries: 3,
      rsyncWaitBetweenTries: 30,
      verbose: 4,
      loglevel: 2,
      logfile: '/var/log/rsnapshot.log',
      includes: ['/home/***'],
      excludes: ['*.tmp', '/proc/'],
      includeFiles: ['/etc/rsnapshot.include'],
      excludeFiles: ['/etc/rsnapshot.exclude'],
      rsyncShortArgs: '-aH',
      rsyncLongArgs: '--delete --numeric-ids',
      duArgs: '-sh',
      sshArgs: '-p 2222',
      preexec: '/usr/local/bin/pre.sh --quiet',
      postexec: '/usr/local/bin/post.sh',
    });
    expect(Object.keys(cfg.commands).sort()).toEqual(
      ['cmd_cp', 'cmd_du', 'cmd_logger', 'cmd_rm', 'cmd_rsnapshot_diff', 'cmd_ssh'].sort(),
    );
    expect(cfg.warnings.map((w) => w.message)).toHaveLength(6);
    expect(cfg.warnings.find((w) => w.message.startsWith('cmd_logger'))?.message).toContain('syslog');
  });

  it('classifies backup sources and normalises DEST', () => {
    const cfg = parse(
      conf(
        ...HEAD,
        'backup\t/etc/\tlocalhost/',
        'backup\troot@example.com:/var/www/\t./remote//www/./',
        'backup\texample.com:/srv/\tremote/srv',
        'backup\t[fe80::1]:/srv/\tv6',
        'backup\trsync://mirror.example.org/pub/\tmirror/',
        'backup\tbackup@winhost::docs/sub dir\twin/docs',
        'backup\t[::1]::mod\tlo',
      ),
    );
    expect(cfg.backups.map((b) => [b.sourceKind, b.dest])).toEqual([
      ['local', 'localhost'],
      ['ssh', 'remote/www'],
      ['ssh', 'remote/srv'],
      ['ssh', 'v6'],
      ['rsync-url', 'mirror'],
      ['daemon', 'win/docs'],
      ['daemon', 'lo'],
    ]);
  });

  it('parses per-backup OPTS', () => {
    const cfg = parse(
      conf(
        ...HEAD,
        'backup\t/home/\tlocalhost/\tone_fs=1,rsync_long_args=+--hard-links,exclude=*.iso,include=/home/a/',
        'backup\t/srv/\tlocalhost/\tlinux_lvm_snapshotsize=2G,ssh_args=-p 22,exclude=a,exclude=b',
      ),
    );
    expect(cfg.backups[0]?.options).toEqual({
      one_fs: '1',
      rsync_long_args: '+--hard-links',
      exclude: '*.iso',
      include: '/home/a/',
    });
    expect(cfg.backups[1]?.options).toEqual({ ssh_args: '-p 22', exclude: 'b' });
    expect(cfg.warnings.map((w) => [w.line, w.message])).toEqual([
      [5, expect.stringContaining('linux_lvm_snapshotsize ignored')],
      [5, expect.stringContaining('exclude given twice')],
    ]);
  });

  it('joins continuation lines with a TAB and reports the first line number', () => {
    const cfg = parse(
      conf(
        ...HEAD,
        'backup\tadministrator@winxp.example.com:/cygdrive/c/Documents and Settings/apost/',
        '   apost_My_Documents/   ',
        '\t\trsync_long_args=--delete --numeric-ids --delete-excluded',
        '# a comment ends the directive',
        'retain',
        ' weekly',
        '\t4',
      ),
    );
    expect(cfg.backups).toEqual([
      expect.objectContaining({
        source: 'administrator@winxp.example.com:/cygdrive/c/Documents and Settings/apost/',
        sourceKind: 'ssh',
        dest: 'apost_My_Documents',
        options: { rsync_long_args: '--delete --numeric-ids --delete-excluded' },
        line: 4,
      }),
    ]);
    expect(cfg.levels[1]).toEqual({ name: 'weekly', count: 4, line: 8 });
  });

  it('accepts CRLF line endings, the interval alias, and warns about odd spacing', () => {
    const cfg = parse(
      [
        'config_version\t1.2',
        'snapshot_root\t/snap',
        'interval\thourly\t6',
        'exclude\t *.bak',
        'retain\tweekly\t2\tstray',
        BACKUP,
      ].join('\r\n'),
    );
    expect(cfg.levels.map((l) => [l.name, l.count])).toEqual([
      ['hourly', 6],
      ['weekly', 2],
    ]);
    expect(cfg.warnings.map((w) => [w.line, w.message])).toEqual([
      [3, '"interval" is deprecated, use "retain"'],
      [4, 'extra space found between tab and " *.bak"'],
      [5, expect.stringContaining('extra field(s) ignored: "stray"')],
    ]);
  });

  it('reads include_conf files recursively through the callback', () => {
    const files: Record<string, string> = {
      '/etc/rsnapshot.d/levels.conf': conf(
        'retain\tweekly\t4',
        'include_conf\t/etc/rsnapshot.d/backups.conf',
      ),
      '/etc/rsnapshot.d/backups.conf': conf('# backups', 'backup\t/etc/\tlocalhost/'),
    };
    const read = (p: string): string => {
      const text = files[p];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    };
    const cfg = parse(
      conf(...HEAD, 'include_conf\t/etc/rsnapshot.d/levels.conf', 'retain\tmonthly\t3'),
      read,
    );
    expect(cfg.levels.map((l) => l.name)).toEqual(['daily', 'weekly', 'monthly']);
    expect(cfg.backups[0]).toMatchObject({
      file: '/etc/rsnapshot.d/backups.conf',
      line: 2,
      dest: 'localhost',
    });
    expect(cfg.files).toEqual([FILE, '/etc/rsnapshot.d/levels.conf', '/etc/rsnapshot.d/backups.conf']);
  });
});

describe('parseRsnapshotConf: errors name file:line', () => {
  const cases: [string, string[], number, string][] = [
    [
      'spaces instead of tabs',
      ['retain daily 7'],
      4,
      'missing tabs to separate words - change spaces to tabs',
    ],
    ['a single word', ['link_dest'], 4, 'could not find second word'],
    ['config_version other than 1.2', ['config_version\t1.3'], 4, 'config_version "1.3" not recognized'],
    ['relative snapshot_root', ['snapshot_root\tbackup/'], 4, 'snapshot_root must be a full'],
    ['reserved level name', ['retain\tsync\t3'], 4, 'reserved word conflict'],
    ['non-word level name', ['retain\tdai-ly\t3'], 4, 'must be alphanumeric'],
    ['missing count', ['retain\tweekly'], 4, 'number can not be blank'],
    ['non-integer count', ['retain\tweekly\tfour'], 4, 'not a legal value for a retention count'],
    ['count 0', ['retain\tweekly\t0'], 4, 'must be at least 1'],
    ['duplicate level', ['retain\tdaily\t3'], 4, 'defined twice'],
    [
      'backup_script',
      ['backup_script\t/usr/local/bin/dump.sh\tdb/'],
      4,
      'backup_script is not supported by tsrsync',
    ],
    ['backup_exec', ['backup_exec\t/bin/true\trequired'], 4, 'backup_exec is not supported by tsrsync'],
    ['include_conf command', ['include_conf\t`/usr/bin/gen-conf`'], 4, 'not supported'],
    ['relative include_conf', ['include_conf\tother.conf'], 4, 'must be an absolute path'],
    ['lvm source', ['backup\tlvm://vg0/home/path/\tlvm/'], 4, 'lvm:// backup points'],
    ['relative source', ['backup\thome/\tlocalhost/'], 4, 'must be an absolute local path'],
    ['traversal in source', ['backup\t/home/../etc/\tlocalhost/'], 4, 'Directory traversal'],
    ['missing dest', ['backup\t/home/'], 4, 'no destination path'],
    ['absolute dest', ['backup\t/home/\t/localhost/'], 4, 'must be a local, relative path'],
    ['dest with ..', ['backup\t/home/\tlocalhost/../../etc/'], 4, 'Directory traversal'],
    ['dest that is only .', ['backup\t/home/\t./'], 4, 'must name a directory'],
    ['unknown backup option', ['backup\t/home/\tl/\tcompress=1'], 4, 'unknown backup option "compress"'],
    ['option without =', ['backup\t/home/\tl/\tone_fs'], 4, 'is not key=value'],
    ['bad one_fs option', ['backup\t/home/\tl/\tone_fs=yes'], 4, 'legal value for one_fs'],
    ['unknown directive', ['snapshot_dir\t/x'], 4, 'unknown directive "snapshot_dir"'],
    ['spaces before the tab', ['retain daily\t7'], 4, 'fields must be separated by tabs'],
    ['non-boolean flag', ['link_dest\tyes'], 4, 'must be 0 or 1 only'],
    ['verbose out of range', ['verbose\t6'], 4, 'legal value for verbose'],
    ['relative lockfile', ['lockfile\trsnapshot.pid'], 4, 'lockfile must be an absolute path'],
    ['bad rsync_short_args', ['rsync_short_args\t-a -v'], 4, 'not in correct format'],
    ['ssh_args twice', ['ssh_args\t-p 22', 'ssh_args\t-p 23'], 5, 'only be set once'],
    ['relative preexec', ['cmd_preexec\tpre.sh'], 4, 'Please use an absolute path'],
    ['relative cmd_rsync', ['cmd_rsync\trsync'], 4, 'cmd_rsync must be an absolute path'],
    ['orphan continuation', ['', '\tretain\tweekly\t4'], 5, 'continuation line does not follow a directive'],
    ['count 1 first level', ['retain\tweekly\t4'], 4, "first backup level's retention count set to 1"],
  ];
  it.each(cases)('%s', (_label, extra, line, message) => {
    const head = _label === 'count 1 first level' ? [HEAD[0]!, HEAD[1]!, 'retain\tdaily\t1'] : HEAD;
    const err = parseError(conf(...head, ...extra, BACKUP));
    expect(err.file).toBe(FILE);
    expect(err.line).toBe(line);
    expect(err.message.startsWith(`${FILE}:${line}: `)).toBe(true);
    expect(err.message).toContain(message);
  });

  it('requires snapshot_root before backup points', () => {
    const err = parseError(conf('config_version\t1.2', 'retain\tdaily\t7', BACKUP, 'snapshot_root\t/b'));
    expect(err.message).toBe(`${FILE}:3: snapshot_root needs to be defined before backup points`);
  });

  it.each([
    ['config_version', conf('snapshot_root\t/b', 'retain\td\t2', BACKUP)],
    ['snapshot_root', conf('config_version\t1.2', 'retain\td\t2')],
    ['backup level', conf('config_version\t1.2', 'snapshot_root\t/b', BACKUP)],
    ['backup point', conf('config_version\t1.2', 'snapshot_root\t/b', 'retain\td\t2')],
  ])('reports a missing %s against the file', (what, text) => {
    const err = parseError(text);
    expect(err.line).toBeUndefined();
    expect(err.message.startsWith(`${FILE}: `)).toBe(true);
    expect(err.message).toContain(what);
  });

  it('names the included file and its line', () => {
    const read = (p: string): string => (p === '/etc/inc.conf' ? conf('# x', 'retain\tweekly\tx') : '');
    const err = parseError(conf(...HEAD, 'include_conf\t/etc/inc.conf', BACKUP), read);
    expect(err.file).toBe('/etc/inc.conf');
    expect(err.message).toMatch(/^\/etc\/inc\.conf:2: .*retention count/);
  });

  it('rejects include loops, unreadable files and a missing reader', () => {
    const loop = parseError(conf(...HEAD, `include_conf\t${FILE}`, BACKUP), () => `include_conf\t${FILE}\n`);
    expect(loop.message).toContain('includes itself');
    const unreadable = parseError(conf(...HEAD, 'include_conf\t/nope', BACKUP), () => {
      throw new Error('ENOENT: no such file');
    });
    expect(unreadable.message).toBe(`${FILE}:4: can't find or read file '/nope': ENOENT: no such file`);
    expect(parseError(conf(...HEAD, 'include_conf\t/x.conf', BACKUP)).message).toContain('no reader');
  });
});
