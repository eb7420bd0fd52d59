/**
 * Client password sources, as authenticate.c:getpassf() and auth_client():
 * `--password-file` first, then $RSYNC_PASSWORD.
 */
import { constants, promises as fsp } from 'node:fs';
import { PasswordFileError } from './errors.js';

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of process.stdin) {
    const b = c as Buffer;
    chunks.push(b);
    total += b.length;
    if (b.includes(0x0a) || total >= 511) break;
  }
  return Buffer.concat(chunks).subarray(0, 511).toString('latin1');
}

function firstToken(text: string): string | undefined {
  // strtok(buf, "\n\r"): skip leading line breaks, stop at the next one.
  const m = /^[\r\n]*([^\r\n]+)/.exec(text);
  return m?.[1];
}

/**
 * Reads the password from a password file (or '-' for stdin). Refuses files
 * other users can access, and (when running as root) files not owned by root.
 * Errors exit 1 like rsync.
 */
export async function readPasswordFile(file: string): Promise<string> {
  let text: string;
  if (file === '-') {
    text = await readStdinLine();
  } else {
    let fh;
    try {
      const lst = await fsp.lstat(file);
      const euid = process.geteuid?.() ?? -1;
      if (lst.isSymbolicLink() && lst.uid !== 0 && lst.uid !== euid) {
        throw Object.assign(new Error('Too many levels of symbolic links'), { errno: 40 });
      }
      fh = await fsp.open(file, constants.O_RDONLY | constants.O_NOCTTY);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new PasswordFileError(`rsync: could not open password file ${file}: ${err.message}`, {
        cause: e,
      });
    }
    try {
      const st = await fh.stat();
      if ((st.mode & 0o6) !== 0) {
        throw new PasswordFileError('ERROR: password file must not be other-accessible');
      }
      if (process.getuid?.() === 0 && st.uid !== 0) {
        throw new PasswordFileError('ERROR: password file must be owned by root when running as root');
      }
      const buf = Buffer.alloc(511);
      const { bytesRead } = await fh.read(buf, 0, 511, 0);
      text = buf.subarray(0, bytesRead).toString('latin1');
    } finally {
      await fh.close();
    }
  }
  const tok = firstToken(text);
  if (tok === undefined) throw new PasswordFileError(`ERROR: failed to read a password from ${file}`);
  return tok;
}

/** Lazy password getter: password file if given, else $RSYNC_PASSWORD, else ''. */
export function passwordSource(
  passwordFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<string> {
  return async () => {
    if (passwordFile !== undefined) return readPasswordFile(passwordFile);
    return env['RSYNC_PASSWORD'] ?? '';
  };
}
