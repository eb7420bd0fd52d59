/**
 * spawnRemoteShell() against real peers: rsync's server started through a fake
 * `-e` shell (a script that runs the words after the host with `sh -c`, as
 * sshd does) and through a real OpenSSH server on 127.0.0.1.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  remoteShellArgv,
  spawnRemoteShell,
  type RemoteShellOptions,
  type RemoteShellTransport,
} from '../../packages/protocol/src/transport/remote-shell.js';
import { makeTempDir, removeTempDirs } from './harness.js';
import { RSYNC_VERSIONS, rsyncBinary } from './rsync-binary.js';
import { startSshd, type SshServer } from './sshd.js';

const T = 30_000;
const SENDER_ARGS = ['--server', '--sender', '-vlogDtpre.iLsfxCIvu', '.'];

/** Reads until `enough(bytes)` or end-of-stream, within `ms`. */
async function readUntil(
  t: RemoteShellTransport,
  enough: (b: Buffer) => boolean = () => false,
  ms = 15_000,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const timer = setTimeout(
    () => t.destroy(new Error(`no answer within ${ms} ms from ${t.argv.join(' ')}`)),
    ms,
  );
  try {
    for (;;) {
      const c = await t.read();
      if (c === null) break;
      chunks.push(Buffer.from(c));
      if (enough(Buffer.concat(chunks))) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

let dir: string;
let fakeSsh: string;
let echoArgs: string;
beforeAll(async () => {
  dir = await makeTempDir('tsrsync-rsh-');
  fakeSsh = path.join(dir, 'fake-ssh');
  // mimics ssh: skips "-l user" and the host, then hands the words, joined by spaces, to a shell
  await fsp.writeFile(
    fakeSsh,
    '#!/bin/sh\nif [ "$1" = -l ]; then shift 2; fi\nshift\nexec /bin/sh -c "$*"\n',
    {
      mode: 0o755,
    },
  );
  echoArgs = path.join(dir, 'echo-args');
  await fsp.writeFile(echoArgs, '#!/bin/sh\nfor a; do printf \'[%s]\\n\' "$a"; done\n', { mode: 0o755 });
  await fsp.mkdir(path.join(dir, 'src'));
  await fsp.mkdir(path.join(dir, 'm'));
  await fsp.writeFile(path.join(dir, 'm', 'a.txt'), '');
  await fsp.writeFile(path.join(dir, 'm', 'b.txt'), '');
});
afterAll(() => removeTempDirs());

describe('remoteShellArgv', () => {
  const serverArgs = [...SENDER_ARGS, 'src/'];
  it('defaults to RSYNC_RSH, else ssh, and rsync', () => {
    const saved = process.env['RSYNC_RSH'];
    delete process.env['RSYNC_RSH'];
    try {
      expect(remoteShellArgv({ host: 'h', serverArgs })).toEqual(['ssh', 'h', 'rsync', ...serverArgs]);
    } finally {
      if (saved !== undefined) process.env['RSYNC_RSH'] = saved;
    }
  });
  it('puts -l user before the host', () => {
    expect(remoteShellArgv({ rsh: 'ssh', host: 'h', user: 'bob', serverArgs }).slice(0, 5)).toEqual([
      'ssh',
      '-l',
      'bob',
      'h',
      'rsync',
    ]);
  });
  it('passes an --rsync-path with spaces as one word (the remote shell splits it)', () => {
    const argv = remoteShellArgv({ rsh: 'ssh', host: 'h', rsyncPath: 'sudo rsync', serverArgs });
    expect(argv.slice(0, 4)).toEqual(['ssh', 'h', 'sudo rsync', '--server']);
  });
  it('passes an IPv6 literal without brackets', () => {
    expect(remoteShellArgv({ rsh: 'ssh', host: '::1', serverArgs })[1]).toBe('::1');
    expect(remoteShellArgv({ rsh: 'ssh', host: '[fe80::1%eth0]', serverArgs })[1]).toBe('fe80::1%eth0');
  });
  it('splits -e with quoted words', () => {
    const argv = remoteShellArgv({
      rsh: `ssh -p 2222 -o "ProxyCommand=nc %h %p" -i '/keys/my key'`,
      host: 'h',
      serverArgs,
    });
    expect(argv.slice(0, 8)).toEqual([
      'ssh',
      '-p',
      '2222',
      '-o',
      'ProxyCommand=nc %h %p',
      '-i',
      '/keys/my key',
      'h',
    ]);
  });
});

/** Arguments that must reach the remote side intact, and what the remote shell makes of them. */
function argvCase(): { serverArgs: string[]; expected: string[] } {
  const noMatch = path.join(dir, 'with space', 'a*b [x]');
  const odd = `it's "$HOME";(x)|y&z<w>\`id\`\\!#{}`;
  return {
    serverArgs: [
      '--server',
      '--sender',
      '-lr',
      '--partial-dir',
      '.p d*',
      '.',
      noMatch,
      odd,
      '-lead',
      `${dir}/m/*.txt`,
    ],
    // rsync leaves wildcards in file names live (they may select several files remotely)
    expected: [
      '--extra',
      '--server',
      '--sender',
      '-lr',
      '--partial-dir',
      '.p d*',
      '.',
      noMatch,
      odd,
      './-lead',
      `${dir}/m/a.txt`,
      `${dir}/m/b.txt`,
    ],
  };
}

function lines(b: Buffer): string[] {
  return [...b.toString().matchAll(/^\[(.*)\]$/gm)].map((m) => m[1]!);
}

describe.each(RSYNC_VERSIONS)('through a fake remote shell, rsync %s', (version) => {
  it(
    'the server sender greets with its protocol version (32, little-endian)',
    async () => {
      const stderr: Buffer[] = [];
      const t = spawnRemoteShell({
        rsh: fakeSsh,
        host: 'localhost',
        user: 'nobody',
        rsyncPath: rsyncBinary(version),
        serverArgs: [...SENDER_ARGS, `${dir}/src/`],
        onStderr: (c) => stderr.push(c),
      });
      const got = await readUntil(t, (b) => b.length >= 4);
      expect([...got.subarray(0, 4)]).toEqual([32, 0, 0, 0]);
      t.destroy();
      expect(await t.exited).not.toBe(0);
    },
    T,
  );
});

describe('through a fake remote shell', () => {
  it(
    'paths with spaces, quotes and shell characters arrive intact; wildcards expand remotely',
    async () => {
      const { serverArgs, expected } = argvCase();
      const t = spawnRemoteShell({ rsh: fakeSsh, host: 'h', rsyncPath: `${echoArgs} --extra`, serverArgs });
      expect(lines(await readUntil(t))).toEqual(expected);
      expect(await t.exited).toBe(0);
    },
    T,
  );
  it(
    'a remote shell that exits at once ends reads with end-of-stream',
    async () => {
      const t = spawnRemoteShell({ rsh: fakeSsh, host: 'h', rsyncPath: 'exit 7;', serverArgs: SENDER_ARGS });
      expect((await readUntil(t)).length).toBe(0);
      expect(await t.exited).toBe(7);
    },
    T,
  );
});

describe('through a real OpenSSH server on 127.0.0.1', () => {
  let sshd: SshServer;
  beforeAll(async () => {
    sshd = await startSshd();
  }, T);
  afterAll(async () => {
    await sshd?.stop();
  }, T);

  const opts = (o: Partial<RemoteShellOptions>): RemoteShellOptions => ({
    rsh: sshd.sshCommand,
    host: sshd.host,
    user: os.userInfo().username,
    serverArgs: [],
    onStderr: (c) => process.stderr.write(c),
    ...o,
  });

  it(
    'runs the remote rsync (default --rsync-path) with --version',
    async () => {
      const t = spawnRemoteShell(opts({ serverArgs: ['--version'] }));
      expect((await readUntil(t)).toString()).toContain('rsync  version');
      expect(await t.exited).toBe(0);
    },
    T,
  );
  it(
    'the server sender greets with protocol 32',
    async () => {
      const stderr: Buffer[] = [];
      const t = spawnRemoteShell(
        opts({
          rsyncPath: rsyncBinary('3.5.0'),
          serverArgs: [...SENDER_ARGS, `${dir}/src/`],
          onStderr: (c) => stderr.push(c),
        }),
      );
      const got = await readUntil(t, (b) => b.length >= 4);
      expect([...got.subarray(0, 4)]).toEqual([32, 0, 0, 0]);
      t.destroy();
      await t.exited;
    },
    T,
  );
  it(
    'paths with spaces, quotes and shell characters arrive intact; wildcards expand remotely',
    async () => {
      const { serverArgs, expected } = argvCase();
      const t = spawnRemoteShell(opts({ rsyncPath: `${echoArgs} --extra`, serverArgs }));
      expect(lines(await readUntil(t))).toEqual(expected);
      expect(await t.exited).toBe(0);
    },
    T,
  );
  it(
    'a failed login ends reads with end-of-stream and ssh exit status 255',
    async () => {
      const stderr: Buffer[] = [];
      const t = spawnRemoteShell(
        opts({ user: 'no-such-user-tsrsync', serverArgs: ['--version'], onStderr: (c) => stderr.push(c) }),
      );
      expect((await readUntil(t)).length).toBe(0);
      expect(await t.exited).toBe(255);
      expect(Buffer.concat(stderr).toString()).toMatch(/Permission denied/);
    },
    T,
  );
});
