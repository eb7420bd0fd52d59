/**
 * `tsrsync --server ...`: what a real rsync client runs over a remote shell
 * (`rsync -e ssh --rsync-path=tsrsync SRC host:DEST`). Speaks the protocol
 * on stdin/stdout; anything for humans goes to stderr (the client shows it).
 */
import {
  SUPPORTED_PROTOCOLS,
  parseServerArgs,
  pipeTransport,
  serveSession,
  ServerArgsError,
} from '@tsrsync/protocol';
import type { ConsoleOutput } from '../output.js';
import { serveDaemonOverShell } from './daemon.js';

export async function runServer(argv: readonly string[], io: ConsoleOutput): Promise<number> {
  let inv;
  try {
    inv = parseServerArgs(argv);
  } catch (e) {
    if (e instanceof ServerArgsError) {
      io.err(`rsync: on remote machine: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  if (inv.unsupported.length > 0) {
    io.err(`rsync: on remote machine: tsrsync does not support ${inv.unsupported.join(', ')}\n`);
    return 4;
  }
  if (inv.daemon) return await serveDaemonOverShell(inv, io);
  if (inv.secludedArgs) {
    io.err('rsync: on remote machine: tsrsync does not support --secluded-args (-s) yet\n');
    return 4;
  }
  const transport = pipeTransport(process.stdin, process.stdout);
  const code = await serveSession({
    transport,
    inv,
    exchangeVersions: true,
    protocol: Math.min(inv.options.protocol, SUPPORTED_PROTOCOLS.max),
  });
  await transport.end().catch(() => undefined);
  // the client keeps its end open until we exit: stop reading so the process can end
  process.stdin.destroy();
  return code;
}
