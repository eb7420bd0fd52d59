/**
 * Source and destination arguments (main.c:check_for_hostspec()):
 *   [USER@]HOST::MODULE[/PATH]   rsync://[USER@]HOST[:PORT]/MODULE[/PATH]
 *   [USER@]HOST:PATH (remote shell)   anything else is a local path
 */
import { UsageError } from './args.js';

export type Location =
  | {
      kind: 'daemon';
      host: string;
      port: number | undefined;
      user: string | undefined;
      module: string;
      path: string;
    }
  | { kind: 'shell'; host: string; user: string | undefined; path: string }
  | { kind: 'local'; path: string };

function splitUser(s: string): [string | undefined, string] {
  const at = s.lastIndexOf('@');
  return at < 0 ? [undefined, s] : [s.slice(0, at), s.slice(at + 1)];
}

function unbracket(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

export function parseLocation(arg: string): Location {
  const url = /^rsync:\/\/([^/]*)(?:\/(.*))?$/i.exec(arg);
  if (url) {
    const [user, hostPort] = splitUser(url[1] ?? '');
    let host = hostPort;
    let port: number | undefined;
    const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
    if (m) {
      host = m[1]!;
      if (m[2] !== undefined) port = Number(m[2]);
    }
    const rest = url[2] ?? '';
    const slash = rest.indexOf('/');
    return {
      kind: 'daemon',
      host: unbracket(host),
      port,
      user,
      module: slash < 0 ? rest : rest.slice(0, slash),
      path: slash < 0 ? '' : rest.slice(slash + 1),
    };
  }
  const dc = arg.indexOf('::');
  const slash = arg.indexOf('/');
  if (dc > 0 && (slash < 0 || dc < slash)) {
    const [user, host] = splitUser(arg.slice(0, dc));
    const rest = arg.slice(dc + 2);
    const s = rest.indexOf('/');
    return {
      kind: 'daemon',
      host: unbracket(host),
      port: undefined,
      user,
      module: s < 0 ? rest : rest.slice(0, s),
      path: s < 0 ? '' : rest.slice(s + 1),
    };
  }
  const colon = arg.indexOf(':');
  if (colon > 0 && (slash < 0 || colon < slash) && !arg.startsWith('[')) {
    const [user, host] = splitUser(arg.slice(0, colon));
    return { kind: 'shell', host, user, path: arg.slice(colon + 1) };
  }
  const br = /^\[([^\]]+)\]:(.*)$/.exec(arg);
  if (br) return { kind: 'shell', host: br[1]!, user: undefined, path: br[2]! };
  return { kind: 'local', path: arg };
}

/** All remote sources must name the same daemon and module. */
export function sameDaemon(
  locs: readonly Location[],
): Extract<Location, { kind: 'daemon' }> & { paths: string[] } {
  const first = locs[0];
  if (!first || first.kind !== 'daemon')
    throw new UsageError('expected an rsync daemon source (HOST::MODULE or rsync://HOST/MODULE)');
  const paths: string[] = [];
  for (const l of locs) {
    if (l.kind !== 'daemon' || l.host !== first.host || l.port !== first.port || l.user !== first.user) {
      throw new UsageError('all remote sources must be on the same daemon');
    }
    if (l.module !== first.module) throw new UsageError('all remote sources must be in the same module');
    paths.push(l.path);
  }
  return { ...first, paths };
}
