/**
 * `tsrsync ls HOST::` lists a daemon's modules as `rsync HOST::` prints them;
 * `tsrsync ls HOST::MODULE[/PATH]` lists files as `rsync --list-only` does.
 */
import { listModules, passwordSource } from '@tsrsync/protocol';
import { UsageError } from '../args.js';
import { parseCli } from '../options.js';
import { stdio, type ConsoleOutput } from '../output.js';
import { parseLocation } from '../remote.js';
import { pull } from './pull.js';

export async function runLs(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const c = parseCli(argv, {});
  if (c.args.length !== 1)
    throw new UsageError(
      'usage: tsrsync ls [options] HOST:: | HOST::MODULE[/PATH] | rsync://HOST[:PORT]/[MODULE[/PATH]]',
    );
  const loc = parseLocation(c.args[0]!);
  if (loc.kind !== 'daemon')
    throw new UsageError('tsrsync ls needs a daemon address (HOST::... or rsync://HOST/...)');
  if (loc.module === '') {
    await listModules(loc.host, {
      port: c.port ?? loc.port ?? 873,
      protocol: c.transfer.protocol,
      ...(loc.user !== undefined ? { user: loc.user } : {}),
      password: passwordSource(c.passwordFile),
      ...(c.contimeout ? { contimeoutMs: c.contimeout * 1000 } : {}),
      onLine: (line) => io.out(`${line}\n`),
    });
    return 0;
  }
  const t = c.transfer;
  t.listOnly = true;
  // rsync lists one level unless -r; the path's own entry plus its contents with -d
  if (!t.recursive) t.dirs = true;
  const res = await pull(c, [loc], '', io);
  return res.exitCode;
}
