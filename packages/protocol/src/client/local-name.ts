/**
 * Where received files go (main.c:get_local_name()): into DEST when it is (or
 * must become) a directory, else, for a single non-directory, as the file
 * DEST itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EXIT, RsyncError } from '../errors.js';
import { errCode, sysMessage } from '../local/sys-error.js';

export interface LocalName {
  /** Directory the transfer writes into. */
  root: string;
  /** Single-file mode: the name the one entry is written as. */
  localName?: Uint8Array | undefined;
  /** A directory was created for the destination (print "created directory X"). */
  created: boolean;
}

export function resolveLocalName(
  dest: string,
  fileTotal: number,
  firstIsDir: boolean,
  opts: { dryRun: boolean; umask: number },
): LocalName {
  const d = dest === '' ? '.' : dest;
  const trailingSlash = d.length > 1 && d.endsWith('/');
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(d);
  } catch (e) {
    if (errCode(e) !== 'ENOENT') {
      throw new RsyncError(
        sysMessage(`ERROR: cannot stat destination "${path.resolve(d)}"`, e),
        'ERR_RSYNC_FILESELECT',
        EXIT.FILESELECT,
      );
    }
  }
  if (st) {
    if (st.isDirectory()) return { root: d, created: false };
    if (fileTotal > 1) {
      throw new RsyncError(
        'ERROR: destination must be a directory when copying more than 1 file',
        'ERR_RSYNC_FILESELECT',
        EXIT.FILESELECT,
      );
    }
    if (fileTotal === 1 && firstIsDir) {
      throw new RsyncError(
        'ERROR: cannot overwrite non-directory with a directory',
        'ERR_RSYNC_FILESELECT',
        EXIT.FILESELECT,
      );
    }
  }
  if (fileTotal > 1 || trailingSlash) {
    const dir = trailingSlash ? d.replace(/\/+$/, '') : d;
    if (st)
      throw new RsyncError('ERROR: destination path is not a directory', 'ERR_RSYNC_SYNTAX', EXIT.SYNTAX);
    if (!opts.dryRun) {
      try {
        fs.mkdirSync(dir, { mode: 0o777 & ~opts.umask });
      } catch (e) {
        throw new RsyncError(
          sysMessage(`mkdir "${path.resolve(dir)}" failed`, e),
          'ERR_RSYNC_FILEIO',
          EXIT.FILEIO,
        );
      }
    }
    return { root: dir, created: true };
  }
  const slash = d.lastIndexOf('/');
  if (slash < 0) return { root: '.', localName: Buffer.from(d), created: false };
  const root = slash === 0 ? '/' : d.slice(0, slash);
  // main.c:get_local_name(): the file's directory must exist (change_dir#3)
  if (!opts.dryRun) {
    try {
      if (!fs.statSync(root).isDirectory())
        throw Object.assign(new Error('Not a directory'), { code: 'ENOTDIR', errno: -20 });
    } catch (e) {
      throw new RsyncError(
        sysMessage(`rsync: [Receiver] change_dir#3 "${path.resolve(root)}" failed`, e),
        'ERR_RSYNC_FILESELECT',
        EXIT.FILESELECT,
      );
    }
  }
  return { root, localName: Buffer.from(d.slice(slash + 1)), created: false };
}
