/** Entry point of the `tsrsync` command: returns the process exit code (rsync's codes). */
import { RsyncError } from '@tsrsync/protocol';
import { SnapshotError } from '@tsrsync/snapshot';
import { UsageError } from './args.js';
import { runLs } from './commands/ls.js';
import { runPull } from './commands/pull.js';
import { runServer } from './commands/server.js';
import { runDemo } from './commands/demo.js';
import { runPush } from './commands/push.js';
import { runSnapshot } from './commands/snapshot.js';
import { runSnapshots } from './commands/snapshots.js';
import { runRestore } from './commands/restore.js';
import { runPrune } from './commands/prune.js';
import { runDaemon, runSessionChild, SESSION_ARG } from './commands/daemon.js';
import { EXIT_TEXT, stdio, type ConsoleOutput } from './output.js';
import { VERSION } from './version.js';

const USAGE = `tsrsync ${VERSION} -- the rsync protocol in TypeScript

Usage:
  tsrsync pull [options] SRC... DEST     copy from an rsync daemon (HOST::MODULE[/PATH], rsync://...)
  tsrsync ls [options] HOST::[MODULE[/PATH]]   list modules or files
  tsrsync push [options] SRC... DEST     copy to an rsync daemon
  tsrsync snapshot [options] SRC ROOT    take a link-dest snapshot
  tsrsync snapshots [du|diff] ROOT ...   list snapshots (du: disk use; diff ROOT A B: changes)
  tsrsync restore ROOT[/SNAPSHOT] PATH --to DEST   copy PATH out of a snapshot
  tsrsync prune ROOT --keep SPEC         delete the snapshots SPEC does not keep (-n: dry run)
  tsrsync daemon [options]               serve modules to rsync clients

pull and push behave as rsync -a; options use rsync's names (-v, -i, -z, -c, -H,
--delete, --exclude, --link-dest, --checksum-choice, --compress-choice, --protocol,
--password-file, --port, --timeout, --stats, --progress, --list-only, ...).
`;

export async function main(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    // `--rsync-path='tsrsync --config=F'` puts options before the --server rsync adds
    if (cmd?.startsWith('-') && cmd !== '--server' && argv.includes('--server'))
      return await runServer(argv, io);
    switch (cmd) {
      case SESSION_ARG:
        return await runSessionChild();
      case '--server':
        return await runServer(argv, io);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return 0;
      case '--version':
      case 'version':
        io.out(`tsrsync ${VERSION}  protocol version 32\n`);
        return 0;
      case 'pull':
        return finalStatus(await runPull(rest, io), io);
      case 'demo':
        return await runDemo(rest, io);
      case 'push':
        return finalStatus(await runPush(rest, io), io);
      case 'ls':
        return finalStatus(await runLs(rest, io), io);
      case 'snapshot':
        return await runSnapshot(rest, io);
      case 'snapshots':
        return await runSnapshots(rest, io);
      case 'restore':
        return await runRestore(rest, io);
      case 'prune':
        return await runPrune(rest, io);
      case 'daemon':
        return await runDaemon(rest, io);
      default:
        io.err(`tsrsync: unknown command: ${cmd}\n${USAGE}`);
        return 1;
    }
  } catch (e) {
    return reportError(e, io);
  }
}

/** A transfer that ran to its end but not cleanly ends with rsync's last line (log.c:log_exit()). */
function finalStatus(code: number, io: ConsoleOutput): number {
  if (code === 24) io.err(`rsync warning: ${EXIT_TEXT[24]} (code 24) [Receiver=tsrsync ${VERSION}]\n`);
  else if (code !== 0)
    io.err(
      `rsync error: ${EXIT_TEXT[code] ?? 'unexplained error'} (code ${code}) [Receiver=tsrsync ${VERSION}]\n`,
    );
  return code;
}

export function reportError(e: unknown, io: ConsoleOutput): number {
  if (e instanceof UsageError) {
    io.err(
      `tsrsync: ${e.message}\nrsync error: syntax or usage error (code 1) [client=tsrsync ${VERSION}]\n`,
    );
    return 1;
  }
  if (e instanceof SnapshotError) {
    io.err(`tsrsync: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof RsyncError) {
    const code = e.exitCode;
    const remoteEnded = (e.data as { remoteExit?: boolean } | undefined)?.remoteExit === true;
    if (!remoteEnded && !/^rsync error:/.test(e.message)) io.err(`${e.message.replace(/\n?$/, '\n')}`);
    io.err(
      `rsync error: ${EXIT_TEXT[code] ?? 'unexplained error'} (code ${code}) [Receiver=tsrsync ${VERSION}]\n`,
    );
    return code;
  }
  io.err(`tsrsync: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 12;
}
