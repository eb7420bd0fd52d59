import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RsyncError } from '../errors.js';
import { remoteShellArgv, safeArg, splitRemoteShell, spawnRemoteShell } from './remote-shell.js';

/** What sh and bash make of `words` joined by spaces (as ssh sends them): one string per argument. */
function viaShell(words: string[]): string[] {
  const out = ['/bin/sh', 'bash'].map((sh) => {
    const r = spawnSync(sh, ['-c', `printf '%s\\0' ${words.join(' ')}`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    return r.stdout.split('\0').slice(0, -1);
  });
  expect(out[1]).toEqual(out[0]);
  return out[0]!;
}

describe('splitRemoteShell (do_cmd() word splitting)', () => {
  it.each([
    ['ssh', ['ssh']],
    ['  ssh   -p 22  ', ['ssh', '-p', '22']],
    [`ssh -o 'ProxyCommand nc %h %p' -i "my key"`, ['ssh', '-o', 'ProxyCommand nc %h %p', '-i', 'my key']],
    [`a'b c'd`, ['ab cd']],
    [`'it''s'`, ["it's"]],
    [`"say ""hi"""`, ['say "hi"']],
    [`'a"b' "c'd"`, ['a"b', "c'd"]],
    [`x '' y`, ['x', '', 'y']],
    ['ssh\t-v', ['ssh\t-v']], // only a space separates words
  ])('%j', (cmd, words) => {
    expect(splitRemoteShell(cmd)).toEqual(words);
  });

  it('a missing closing quote is a syntax error (exit 1)', () => {
    expect(() => splitRemoteShell(`ssh -o 'x`)).toThrow(/Missing trailing-' in remote-shell command/);
    try {
      splitRemoteShell('ssh "x');
    } catch (e) {
      expect(e).toBeInstanceOf(RsyncError);
      expect((e as RsyncError).exitCode).toBe(1);
    }
  });
});

describe('safeArg (options.c:safe_arg())', () => {
  it.each([
    ['plain/path', 'filename', 'plain/path'],
    ['a b', 'filename', 'a\\ b'],
    ['*.txt', 'filename', '*.txt'],
    ['*.txt', 'option', '\\*.txt'],
    ['-x', 'filename', './-x'],
    ['-x', 'option', '-x'],
    ['a\\*b', 'filename', 'a\\*b'],
    ['a\\*b', 'option', 'a\\\\\\*b'],
    ['a\\b', 'filename', 'a\\\\b'],
    ['$HOME;`x`', 'filename', '\\$HOME\\;\\`x\\`'],
  ] as const)('%j as %s', (arg, kind, out) => {
    expect(safeArg(arg, kind)).toBe(out);
  });

  it('escapes a leading ~ only where a receiving client would get unrequested names', () => {
    expect(safeArg('~bob', 'filename')).toBe('\\~bob');
    expect(safeArg('~/x', 'filename')).toBe('~/x');
    expect(safeArg('~/x', 'filename', { relative: true })).toBe('\\~/x');
    expect(safeArg('~/./x', 'filename', { relative: true })).toBe('~/./x');
    expect(safeArg('~bob', 'filename', { amSender: true })).toBe('~bob');
    expect(safeArg('~bob', 'filename', { trustSender: true })).toBe('~bob');
  });

  it('escapes a ~ after = or : in an option value (bash expands it in NAME=VALUE words)', () => {
    expect(safeArg('a=~/a', 'option')).toBe('a=\\~/a');
    expect(safeArg('x:~/y', 'option')).toBe('x:\\~/y');
    expect(safeArg('~/bak', 'option')).toBe('~/bak');
    expect(viaShell([safeArg('a=~/a', 'option'), safeArg('b=1:~/c', 'option')])).toEqual([
      'a=~/a',
      'b=1:~/c',
    ]);
  });

  // rsync cannot protect a newline (backslash-newline is a line continuation); "~" and "-" are
  // deliberately treated specially at the start, and wildcards stay live in file names
  const unit = fc.oneof(
    fc.constantFrom(...'!#$&;|<>(){}"\'` \t\r\\*?[]~-=%^:,@'),
    fc.constantFrom(...'aZ0/.é字'),
  );
  const plain = fc.string({ unit, minLength: 1, maxLength: 12 }).filter((s) => !/^[~-]/.test(s));
  it('an option value survives a POSIX shell unchanged', () => {
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 4 }), (args) => {
        expect(viaShell(args.map((a) => safeArg(a, 'option')))).toEqual(args);
      }),
      { numRuns: 40 },
    );
  });
  it('a file name without wildcards survives a POSIX shell unchanged', () => {
    const name = plain.filter((s) => !/[*?[\]]/.test(s));
    fc.assert(
      fc.property(name, (a) => {
        expect(viaShell([safeArg(a, 'filename')])).toEqual([a]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('remoteShellArgv', () => {
  const serverArgs = ['--server', '--sender', '-vlogDtpre.iLsfxCIvu', '.', 'dir with space/'];

  it('escapes option values and file names differently, past separate-value options', () => {
    const argv = remoteShellArgv({
      rsh: 'ssh',
      host: 'h',
      serverArgs: ['--server', '--partial-dir', '.', '--temp-dir', 't*', '-logDtpre.iLsfxCIvu', '.', '*.c'],
    });
    expect(argv).toEqual([
      'ssh',
      'h',
      'rsync',
      '--server',
      '--partial-dir',
      '.',
      '--temp-dir',
      't\\*',
      '-logDtpre.iLsfxCIvu',
      '.',
      '*.c',
    ]);
  });

  it('adds -4/-6 for ssh only, and the RSYNC_RSH default', () => {
    expect(remoteShellArgv({ rsh: '/usr/bin/ssh', host: 'h', family: 6, serverArgs })[1]).toBe('-6');
    expect(remoteShellArgv({ rsh: 'rsh', host: 'h', family: 4, serverArgs })[1]).toBe('h');
    const saved = process.env['RSYNC_RSH'];
    process.env['RSYNC_RSH'] = 'myrsh -x';
    try {
      expect(remoteShellArgv({ host: 'h', serverArgs }).slice(0, 3)).toEqual(['myrsh', '-x', 'h']);
    } finally {
      if (saved === undefined) delete process.env['RSYNC_RSH'];
      else process.env['RSYNC_RSH'] = saved;
    }
  });

  it('a client receiving with -R escapes a leading ~ in its file names', () => {
    const argv = remoteShellArgv({
      rsh: 'ssh',
      host: 'h',
      serverArgs: ['--server', '--sender', '-lRe.iLsfxCIvu', '.', '~/x'],
    });
    expect(argv.at(-1)).toBe('\\~/x');
  });

  it('daemon over rsh keeps a "-l user" given in the rsh command', () => {
    const daemon = ['--server', '--daemon', '.'];
    expect(remoteShellArgv({ rsh: 'ssh -l me', host: 'h', user: 'u', serverArgs: daemon })).toEqual([
      'ssh',
      '-l',
      'me',
      'h',
      'rsync',
      ...daemon,
    ]);
    expect(remoteShellArgv({ rsh: 'ssh -l me', host: 'h', user: 'u', serverArgs }).slice(0, 6)).toEqual([
      'ssh',
      '-l',
      'me',
      '-l',
      'u',
      'h',
    ]);
  });
});

describe('spawnRemoteShell', () => {
  it('a missing remote shell fails with exit 14 and exec status 14', async () => {
    const t = spawnRemoteShell({ rsh: '/nonexistent/ssh', host: 'h', serverArgs: ['--version'] });
    await expect(t.read()).rejects.toMatchObject({
      exitCode: 14,
      message: 'rsync: Failed to exec /nonexistent/ssh: No such file or directory (2)',
    });
    await expect(t.write(new Uint8Array(1))).rejects.toBeInstanceOf(RsyncError);
    expect(await t.exited).toBe(14);
  });

  it('reads what the child writes, then end-of-stream; exit status and signals map', async () => {
    const t = spawnRemoteShell({ rsh: '/bin/sh -c', host: 'printf hi; exit 3', serverArgs: [] });
    const chunks: Buffer[] = [];
    for (let c = await t.read(); c !== null; c = await t.read()) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString()).toBe('hi');
    expect(await t.exited).toBe(3);

    const k = spawnRemoteShell({ rsh: '/bin/sh -c', host: 'exec sleep 30', serverArgs: [] });
    k.destroy(new Error('stop'));
    expect(await k.exited).toBe(128 + 10); // SIGUSR1
  });

  it('writes reach the child, end() closes its stdin; stderr goes to onStderr', async () => {
    const err: Buffer[] = [];
    const t = spawnRemoteShell({
      rsh: '/bin/sh -c',
      host: 'echo oops >&2; exec cat',
      serverArgs: [],
      onStderr: (c) => err.push(c),
    });
    await t.write(Buffer.from('ping'));
    await t.end();
    const chunks: Buffer[] = [];
    for (let c = await t.read(); c !== null; c = await t.read()) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString()).toBe('ping');
    expect(await t.exited).toBe(0);
    expect(Buffer.concat(err).toString()).toBe('oops\n');
  });

  it('an aborted signal destroys the transport with its reason', async () => {
    const ac = new AbortController();
    const t = spawnRemoteShell({
      rsh: '/bin/sh -c',
      host: 'exec sleep 30',
      serverArgs: [],
      signal: ac.signal,
    });
    const reason = new RsyncError('received SIGINT', 'ERR_RSYNC_SIGNAL', 20);
    ac.abort(reason);
    await expect(t.read()).rejects.toBe(reason);
    expect(await t.exited).toBe(138);
  });
});
