/**
 * A module's secrets file (authenticate.c: get_secret()): `user:password`
 * or `@group:password` lines; `#` comments. With `strict modes` the file
 * must not be readable by others, and must be owned by root when the
 * daemon runs as root.
 */
import fs from 'node:fs';

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
    if (strictModes) {
      const st = fs.fstatSync(fd);
      if ((st.mode & 0o006) !== 0)
        throw new Error(`secrets file ${file} must not be other-accessible (see strict modes option)`);
      if (isRoot && st.uid !== 0)
        throw new Error(`secrets file ${file} must be owned by root when running as root (see strict modes)`);
    }
    const out = new Map<string, string>();
    for (const raw of fs.readFileSync(fd, 'utf8').split('\n')) {
      const line = raw.replace(/\r$/, '');
      if (line === '' || line.startsWith('#')) continue;
      const c = line.indexOf(':');
      if (c <= 0) continue;
      const name = line.slice(0, c);
      // the first line for a name counts, as in get_secret()
      if (!out.has(name)) out.set(name, line.slice(c + 1));
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
