/**
 * parseServerArgs() on the argument vectors real rsync clients (3.5.0 and
 * 3.2.7) send to their server. The client runs with `-e SCRIPT`, a remote
 * "shell" that writes the words after the host to a file and fails, so no
 * transfer happens. The expected options come from what the rsync(1) man
 * page says each client option means for the remote side (some only reach
 * a receiving server, some only a sending one).
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerArgs } from '@tsrsync/protocol';
import {
  ARCHIVE,
  makeOptions,
  type TransferOptions,
} from '../../packages/protocol/src/options/transfer-options.js';
import { RSYNC_VERSIONS, rsyncBinary } from './rsync-binary.js';

type Side = 'push' | 'pull';
interface Case {
  args: string[];
  /** What the server is told either way. */
  both?: Partial<TransferOptions>;
  /** Only a receiving server (push) / only a sending server (pull) is told these. */
  push?: Partial<TransferOptions>;
  pull?: Partial<TransferOptions>;
  unsupported?: Partial<Record<Side, string[]>>;
  ignored?: Partial<Record<Side, string[]>>;
  /** The -e letters; default: with 'i' (incremental recursion) exactly when recursing. */
  info?: Partial<Record<Side, string | undefined>>;
  secluded?: boolean;
  allowIncRecurse?: boolean;
}

const A = ARCHIVE;
const NO_I = '.LsfxCIvu';
const CASES: Case[] = [
  { args: ['-a'], both: A },
  { args: ['-avz'], both: { ...A, verbose: 1, compress: 'auto' } },
  { args: ['-vvv', '-a'], both: { ...A, verbose: 3 } },
  { args: ['-aH', '--delete'], both: { ...A, hardLinks: true }, push: { delete: 'default' } },
  { args: ['-a', '--del'], both: A, push: { delete: 'during' } },
  { args: ['-a', '--delete-delay'], both: A, push: { delete: 'delay' } },
  {
    args: ['-a', '--delete-after', '--delete-excluded'],
    both: A,
    push: { delete: 'after', deleteExcluded: true },
    info: { pull: NO_I }, // a receiving client that deletes after the transfer cannot recurse incrementally
  },
  { args: ['-a', '--delete', '--max-delete=5'], both: A, push: { delete: 'default', maxDelete: 5 } },
  { args: ['-d', '--delete'], both: { dirs: true }, push: { delete: 'default' } }, // an explicit -d is always sent
  {
    args: ['-rlpt', '--checksum-choice=xxh128'],
    both: { recursive: true, links: true, perms: true, times: true, checksumChoice: 'xxh128' },
  },
  {
    args: ['-a', '--compress-choice=zstd', '--compress-level=3'],
    both: { ...A, compress: 'zstd', compressLevel: 3 },
  },
  { args: ['-azz'], both: { ...A, compress: 'zlibx' } },
  { args: ['-a', '--link-dest=../prev'], both: A, push: { altDest: { kind: 'link', dirs: ['../prev'] } } },
  { args: ['-a', '--partial', '--inplace'], both: { ...A, inplace: true } }, // --inplace drops --partial
  { args: ['-a', '--partial-dir=.part'], both: A, push: { partial: true, partialDir: '.part' } },
  {
    args: ['--protocol=29', '-a', '--delete'],
    both: A,
    push: { delete: 'default' },
    info: { push: undefined, pull: undefined },
  },
  { args: ['-a', '--exclude=x', '--include=y'], both: A }, // filter rules travel on the wire, not in argv
  { args: ['-rn'], both: { recursive: true, dryRun: true } },
  { args: ['-rc'], both: { recursive: true, checksum: true } },
  { args: ['-a', '--bwlimit=100', '--timeout=30'], both: { ...A, bwlimit: 100, timeout: 30 } },
  {
    args: ['-ax', '--numeric-ids', '--safe-links'],
    both: { ...A, oneFileSystem: true, numericIds: true, safeLinks: true },
  },
  { args: ['-rtE'], both: { recursive: true, times: true }, push: { executability: true } },
  { args: ['-aOJ'], both: A, push: { omitDirTimes: true, omitLinkTimes: true } },
  { args: ['-a', '--size-only', '--stats'], both: A, push: { sizeOnly: true, stats: true } },
  {
    args: ['-a', '--min-size=1k', '--max-size=2M'],
    both: A,
    push: { minSize: 1024, maxSize: 2 * 1024 * 1024 },
  },
  {
    args: ['-a', '--existing', '--ignore-existing', '--force'],
    both: A,
    push: { existing: true, ignoreExisting: true, force: true },
  },
  {
    args: ['-a', '-B', '4096', '--checksum-seed=7', '--modify-window=2'],
    both: { ...A, blockSize: 4096, checksumSeed: 7 },
    push: { modifyWindow: 2 },
  },
  {
    args: ['-aWCRuI', '--ignore-errors'],
    both: {
      ...A,
      wholeFile: true,
      cvsExclude: true,
      relative: true,
      update: true,
      ignoreTimes: true,
      ignoreErrors: true,
    },
  },
  { args: ['--list-only'], both: { listOnly: true, dirs: true } },
  { args: ['-a', '--no-inc-recursive'], both: A, info: { push: NO_I, pull: NO_I } },
  { args: ['-ai'], both: A, push: { itemize: 1 } }, // sent as --log-format=%i
  { args: ['-a', '--out-format=%n'], both: A, ignored: { push: ['--log-format=X'] } },
  { args: ['-aS'], both: A, unsupported: { push: ['--sparse (-S)'], pull: ['--sparse (-S)'] } },
  { args: ['-aL'], both: A, unsupported: { pull: ['--copy-links (-L)'] } }, // only a sender follows links
  {
    args: ['-a', '--backup', '--backup-dir=old'],
    both: A,
    unsupported: { push: ['--backup (-b)', '--backup-dir'], pull: ['--backup (-b)', '--backup-dir'] },
  },
  { args: ['-s', '-a'], both: A, secluded: true },
  {
    args: ['-a', '--qsort'],
    both: A,
    ignored: { push: ['--use-qsort'], pull: ['--use-qsort'] },
    allowIncRecurse: false,
    info: { push: NO_I, pull: NO_I },
  },
  {
    args: ['-a', '--info=skip2,del2', '--debug=del2,recv1', '--fsync'],
    both: A,
    ignored: { push: ['--fsync', '--info=DEL2,SKIP2'] },
  },
  {
    args: ['-aXA'],
    both: A,
    unsupported: { push: ['--acls (-A)', '--xattrs (-X)'], pull: ['--acls (-A)', '--xattrs (-X)'] },
  },
  {
    args: ['-a', '--mkpath', '--remove-source-files'],
    both: A,
    unsupported: { push: ['--remove-source-files', '--mkpath'], pull: ['--remove-source-files'] },
  },
];

let work: string;
let script: string;
beforeAll(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsrsync-argv-'));
  script = path.join(work, 'rsh.sh');
  // the remote "shell": $1 is the host; everything after it is the server's command line
  await fsp.writeFile(script, '#!/bin/sh\nshift\nprintf \'%s\\n\' "$@" > "$ARGV_OUT"\nexit 1\n', {
    mode: 0o755,
  });
  await fsp.mkdir(path.join(work, 'src'));
  await fsp.writeFile(path.join(work, 'src', 'f'), 'x');
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

let captures = 0;
/** Runs the rsync client once; returns the words its remote shell was asked to run. */
async function capture(bin: string, words: string[]): Promise<string[]> {
  const out = path.join(work, `argv-${++captures}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, ARGV_OUT: out };
  for (const k of Object.keys(env)) if (k.startsWith('RSYNC_')) delete env[k];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bin, ['-e', script, ...words], { cwd: work, env, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rsync ${words.join(' ')} did not end`));
    }, 15_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const lines = (await fsp.readFile(out, 'utf8')).split('\n');
  lines.pop(); // the text ends with a newline
  return lines;
}

describe.each(RSYNC_VERSIONS)('argv from a real rsync %s client', (version) => {
  describe.each(CASES)('rsync $args', (c) => {
    it.each(['push', 'pull'] as const)(
      '%s',
      async (side) => {
        const bin = rsyncBinary(version);
        const words =
          side === 'push' ? [...c.args, 'src/', 'host:remote/dest'] : [...c.args, 'host:remote/src/', 'dest'];
        const argv = await capture(bin, words);
        expect(argv[0]).toBe('rsync'); // the --rsync-path word
        const r = parseServerArgs(argv.slice(1));
        const want = makeOptions({ ...c.both, ...c[side] });
        expect(r.options).toEqual(want);
        expect(r.amSender).toBe(side === 'pull');
        expect(r.daemon).toBe(false);
        expect(r.secludedArgs).toBe(c.secluded === true);
        const paths = side === 'push' ? ['.', 'remote/dest'] : ['.', 'remote/src/'];
        expect(r.args).toEqual(c.secluded ? [] : paths);
        const info = c.info && side in c.info ? c.info[side] : want.recursive ? '.iLsfxCIvu' : NO_I;
        expect(r.info).toBe(info);
        expect(r.unsupported).toEqual(c.unsupported?.[side] ?? []);
        expect(r.ignored).toEqual(c.ignored?.[side] ?? []);
        expect(r.allowIncRecurse).toBe(c.allowIncRecurse ?? true);
      },
      30_000,
    );
  });
});
