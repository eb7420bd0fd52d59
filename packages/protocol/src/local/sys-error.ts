/** rsyserr()-style texts: `<what>: <strerror> (<errno>)`, with glibc's wording. */
import os from 'node:os';

const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  ENAMETOOLONG: 'File name too long',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EDQUOT: 'Disk quota exceeded',
  ENOSYS: 'Function not implemented',
  ENOTSUP: 'Operation not supported',
  EOPNOTSUPP: 'Operation not supported',
  ESTALE: 'Stale file handle',
};

export interface SysError {
  code: string;
  errno: number;
  text: string;
}

export function sysError(e: unknown): SysError {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? 'EIO';
  const n = (os.constants.errno as Record<string, number>)[code] ?? Math.abs(err?.errno ?? 5);
  return { code, errno: n, text: STRERROR[code] ?? err?.message ?? String(e) };
}

/** `what: strerror (errno)` */
export function sysMessage(what: string, e: unknown): string {
  const s = sysError(e);
  return `${what}: ${s.text} (${s.errno})`;
}

export function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
