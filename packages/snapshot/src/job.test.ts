import { describe, expect, it } from 'vitest';
import { JobError, parseJob } from './job.js';
import { SnapshotError } from './errors.js';

const FILE = '/etc/tsrsync/web.yaml';

const FULL = `# nightly web backup
root: /backups/web
keep: last=3,daily=7,weekly=4,monthly=12
timezone: Europe/Berlin
allow_empty: false
wait: 600
options: [--numeric-ids, --exclude=*.tmp]
points:
  - source: winhost::websites
    dest: websites/
    exclude: [cache/, '*.log']
    include: []
    options: [--compress]
    password_file: /etc/tsrsync/web.secret
  - source: rsync://backup@db.example.com:8873/dumps/nightly
    dest: db/dumps
    password_file: db.secret
hooks:
  pre: /usr/local/bin/stop-db
  post: /usr/local/bin/start-db
notify:
  on: always
  command: /usr/local/bin/alert
  mail: ops@example.com
  webhook: https://hooks.example.com/x
`;

const MIN = ['root: /r', 'points:', '  - source: h::m', '    dest: a'];

function jobError(text: string): JobError {
  try {
    parseJob(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(JobError);
    return e as JobError;
  }
  throw new Error('expected a JobError');
}

/** The minimal job with `lines` added at the end. */
const withLines = (...lines: string[]): string => [...MIN, ...lines].join('\n') + '\n';

describe('parseJob: valid jobs', () => {
  it('reads every key of the documented format', () => {
    const j = parseJob(FULL, FILE);
    expect(j.name).toBe('web');
    expect(j.root).toBe('/backups/web');
    expect(j.keep).toEqual({ last: 3, daily: 7, weekly: 4, monthly: 12 });
    expect(j.timeZone).toBe('Europe/Berlin');
    expect(j.allowEmpty).toBe(false);
    expect(j.waitSec).toBe(600);
    expect(j.options).toEqual(['--numeric-ids', '--exclude=*.tmp']);
    expect(j.optionsLine).toBe(7);
    expect(j.points).toEqual([
      {
        source: 'winhost::websites',
        dest: 'websites',
        exclude: ['cache/', '*.log'],
        include: [],
        options: ['--compress'],
        passwordFile: '/etc/tsrsync/web.secret',
        line: 9,
      },
      {
        source: 'rsync://backup@db.example.com:8873/dumps/nightly',
        dest: 'db/dumps',
        exclude: [],
        include: [],
        options: [],
        passwordFile: '/etc/tsrsync/db.secret',
        line: 15,
      },
    ]);
    expect(j.hooks).toEqual({ pre: '/usr/local/bin/stop-db', post: '/usr/local/bin/start-db' });
    expect(j.notify).toEqual({
      on: 'always',
      command: '/usr/local/bin/alert',
      mail: 'ops@example.com',
      webhook: 'https://hooks.example.com/x',
    });
  });

  it('leaves the optional keys unset and defaults notify.on to failure', () => {
    const j = parseJob(withLines('notify:', '  command: alert'), '/jobs/nightly.yml');
    expect(j.name).toBe('nightly');
    expect([j.keep, j.timeZone, j.allowEmpty, j.waitSec]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(j.options).toEqual([]);
    expect(j.hooks).toEqual({ pre: undefined, post: undefined });
    expect(j.notify).toEqual({ on: 'failure', command: 'alert', mail: undefined, webhook: undefined });
  });

  it('accepts block lists, anchors and aliases', () => {
    const text = [
      'root: /r',
      'options: &opts',
      '  - --numeric-ids',
      '  - -z',
      'points:',
      '  - source: h::m',
      '    dest: a',
      '    options: *opts',
    ].join('\n');
    const j = parseJob(text, FILE);
    expect(j.options).toEqual(['--numeric-ids', '-z']);
    expect(j.points[0]!.options).toEqual(['--numeric-ids', '-z']);
  });

  it('accepts nested dests that do not overlap', () => {
    const j = parseJob(
      withLines('  - source: h::m/x', '    dest: a2/b', '  - source: h::m/y', '    dest: a2/c'),
      FILE,
    );
    expect(j.points.map((p) => p.dest)).toEqual(['a', 'a2/b', 'a2/c']);
  });
});

describe('parseJob: errors carry file:line', () => {
  const cases: [string, string, number, RegExp][] = [
    ['unknown top-level key', withLines('retain: 3'), 5, /unknown key 'retain' in the job/],
    ['unknown point key', withLines('    desc: x'), 5, /unknown key 'desc' in points\[0\]/],
    ['unknown hooks key', withLines('hooks:', '  during: x'), 6, /unknown key 'during' in hooks/],
    ['unknown notify key', withLines('notify:', '  sms: 123'), 6, /unknown key 'sms' in notify/],
    ['relative root', 'root: backups\npoints: [{source: h::m, dest: a}]\n', 1, /absolute/],
    ['missing root', 'points: [{source: h::m, dest: a}]\n', 1, /missing 'root'/],
    ['missing points', 'root: /r\n', 1, /missing 'points'/],
    ['empty points', 'root: /r\n\npoints: []\n', 3, /at least one/],
    ['bad keep', withLines('keep: daily=seven'), 5, /keep/],
    ['bad time zone', withLines('timezone: Mars/Olympus'), 5, /unknown time zone/],
    ['allow_empty not a boolean', withLines('allow_empty: yes'), 5, /true or false/],
    ['negative wait', withLines('wait: -1'), 5, /wait/],
    ['fractional wait', withLines('wait: 1.5'), 5, /wait/],
    ['options not a list', withLines('options: --numeric-ids'), 5, /list of strings/],
    ['options item not a string', withLines('options: [--numeric-ids, 3]'), 5, /must be a string/],
    ['local source', withLines('  - source: /home', '    dest: b'), 5, /HOST::MODULE/],
    ['shell source', withLines('  - source: host:/home', '    dest: b'), 5, /HOST::MODULE/],
    ['module missing', withLines("  - source: 'host::'", '    dest: b'), 5, /HOST::MODULE/],
    ['missing dest', withLines('  - source: h::x'), 5, /missing 'dest'/],
    ['absolute dest', withLines('  - source: h::x', '    dest: /abs'), 6, /absolute/],
    ['dest with ..', withLines('  - source: h::x', '    dest: b/../c'), 6, /'\.\.'/],
    ['dest with .', withLines('  - source: h::x', '    dest: ./b'), 6, /'\.'/],
    ['duplicate dest', withLines('  - source: h::x', '    dest: a/'), 6, /already used at line 3/],
    ['nested dest', withLines('  - source: h::x', '    dest: a/sub'), 6, /overlaps dest 'a'/],
    [
      'enclosing dest',
      'root: /r\npoints:\n  - {source: h::m, dest: x/y}\n  - {source: h::m, dest: x}\n',
      4,
      /overlaps/,
    ],
    ['bad notify.on', withLines('notify:', '  on: sometimes', '  command: x'), 6, /'failure' or 'always'/],
    ['bad mail', withLines('notify:', '  mail: ops at example'), 6, /mail address/],
    ['bad webhook', withLines('notify:', '  webhook: ftp://x/y'), 6, /http/],
    ['notify with no channel', withLines('notify:', '  on: always'), 5, /at least one of/],
    ['empty hook', withLines('hooks:', "  pre: ''"), 6, /non-empty/],
    ['duplicate key', withLines('root: /other'), 5, /[Uu]nique|[Dd]uplicate/],
    ['YAML syntax error', withLines('options: [a, b'), 6, /./],
    ['not a mapping', '- root: /r\n', 1, /mapping/],
    ['empty file', '', 1, /must be a mapping/],
    ['two documents', `${withLines()}---\nroot: /s\n`, 5, /single YAML document/],
  ];
  it.each(cases)('%s', (_name, text, line, re) => {
    const e = jobError(text);
    expect(e).toBeInstanceOf(SnapshotError);
    expect(e.exitCode).toBe(1);
    expect(e.file).toBe(FILE);
    expect(e.message).toMatch(re);
    expect({ line: e.line, prefix: e.message.startsWith(`${FILE}:${e.line}: `) }).toEqual({
      line,
      prefix: true,
    });
  });
});
