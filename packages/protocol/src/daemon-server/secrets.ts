/**
 * A module's secrets file (authenticate.c: check_secret()): `user:password`
 * and `@group:password` lines; a line ends at its first CR or LF, and the
 * first line for a name is the one that counts. Other lines (comments among
 * them: no user name starts with `#`) never match.
 */
import fs from 'node:fs';

/** Reads `file`; with `strictModes` refuses one others can use, or one not root's when `isRoot`. */
export function readSecrets(file: string, strictModes: boolean, isRoot: boolean): Map<string, string> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(
      `cannot open secrets file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    // authenticate.c: check_secret(): the checks are on the opened file, not on its name
    if (strictModes) {
      const st = fs.fstatSync(fd);
      if ((st.mode & 0o006) !== 0)
        throw new Error('secrets file must not be other-accessible (see strict modes option)');
      if (isRoot && st.uid !== 0)
        throw new Error('secrets file must be owned by root when running as root (see strict modes)');
    }
    const out = new Map<string, string>();
    for (const raw of fs.readFileSync(fd, 'utf8').split('\n')) {
      const line = raw.split('\r')[0]!;
      const c = line.indexOf(':');
      if (c <= 0 || line.startsWith('#')) continue;
      const name = line.slice(0, c);
      if (!out.has(name)) out.set(name, line.slice(c + 1));
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
