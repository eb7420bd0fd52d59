/**
 * What the client prints, in rsync's formats: itemized lines (log.c:
 * log_formatted(): %i %n %L ...), deletions, --list-only lines
 * (generator.c:list_file_entry()), --progress, and the summary / --stats
 * block (main.c:output_summary()).
 */
import { ITEM, type ItemReport, type ListEntry, type Reporter, type TransferStats } from '@tsrsync/protocol';

const S_IFMT = 0o170000;
const typeOf = (m: number) => m & S_IFMT;
const isDir = (m: number) => typeOf(m) === 0o040000;
const isLink = (m: number) => typeOf(m) === 0o120000;
const isDevice = (m: number) => typeOf(m) === 0o020000 || typeOf(m) === 0o060000;
const isSpecial = (m: number) => typeOf(m) === 0o010000 || typeOf(m) === 0o140000;

/** A file name for output: printable UTF-8 kept, other bytes as \#ooo (log.c escaping). */
export function showName(b: Uint8Array): string {
  let out = '';
  const s = Buffer.from(b);
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c >= 0x20 && c < 0x7f) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (n > 0 && i + n <= s.length) {
      const chunk = s.subarray(i, i + n);
      const t = chunk.toString('utf8');
      if (!t.includes('\ufffd') && Buffer.from(t, 'utf8').equals(chunk) && !/[\u0080-\u009f]/.test(t)) {
        out += t;
        i += n;
        continue;
      }
    }
    out += `\\#${c.toString(8).padStart(3, '0')}`;
    i++;
  }
  return out;
}

/** rsync's %i string (11 characters). */
export function itemizeString(
  iflags: number,
  mode: number,
  opts: { times: boolean; symlinkTimes?: boolean },
): string {
  if (iflags & ITEM.DELETED) return '*deleting  ';
  const c: string[] = new Array<string>(11).fill('.');
  c[0] =
    iflags & ITEM.LOCAL_CHANGE
      ? iflags & ITEM.XNAME_FOLLOWS
        ? 'h'
        : 'c'
      : !(iflags & ITEM.TRANSFER)
        ? '.'
        : '>';
  if (isLink(mode)) {
    c[1] = 'L';
    c[3] = '.';
    c[4] = !(iflags & ITEM.REPORT_TIME)
      ? '.'
      : !opts.times || opts.symlinkTimes === false || iflags & ITEM.REPORT_TIMEFAIL
        ? 'T'
        : 't';
  } else {
    c[1] = isDir(mode) ? 'd' : isSpecial(mode) ? 'S' : isDevice(mode) ? 'D' : 'f';
    c[3] = iflags & ITEM.REPORT_SIZE ? 's' : '.';
    c[4] = !(iflags & ITEM.REPORT_TIME) ? '.' : !opts.times ? 'T' : 't';
  }
  c[2] = iflags & ITEM.REPORT_CHANGE ? 'c' : '.';
  c[5] = iflags & ITEM.REPORT_PERMS ? 'p' : '.';
  c[6] = iflags & ITEM.REPORT_OWNER ? 'o' : '.';
  c[7] = iflags & ITEM.REPORT_GROUP ? 'g' : '.';
  const at = iflags & ITEM.REPORT_ATIME;
  const cr = iflags & ITEM.REPORT_CRTIME;
  c[8] = !(at || cr) ? '.' : at && cr ? 'b' : at ? 'u' : 'n';
  c[9] = iflags & ITEM.REPORT_ACL ? 'a' : '.';
  c[10] = iflags & ITEM.REPORT_XATTR ? 'x' : '.';
  if (iflags & (ITEM.IS_NEW | ITEM.MISSING_DATA)) {
    const ch = iflags & ITEM.IS_NEW ? '+' : '?';
    for (let i = 2; i < 11; i++) c[i] = ch;
  } else if (c[0] === '.' || c[0] === 'h' || c[0] === 'c') {
    if (c.slice(2).every((x) => x === '.')) for (let i = 2; i < 11; i++) c[i] = ' ';
  }
  return c.join('');
}

/** Digit-grouped or unit-scaled numbers (util2.c: human_num()). */
export function humanNum(n: number, human: number): string {
  if (human >= 2) {
    const unit = human === 2 ? 1000 : 1024;
    const names = 'KMGTP';
    if (n >= unit) {
      let v = n / unit;
      let k = 0;
      while (v >= unit && k < names.length - 1) {
        v /= unit;
        k++;
      }
      return `${v.toFixed(2)}${names[k]}`;
    }
    return String(n);
  }
  if (human === 1) return Math.trunc(n).toLocaleString('en-US');
  return String(Math.trunc(n));
}

export function commaDnum(v: number, digits: number): string {
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `%n%L` / `%i %n%L` or a custom --out-format (the common escapes). */
export function formatItem(fmt: string, r: ItemReport, o: { times: boolean; human: number }): string {
  const name = showName(r.name) + (isDir(r.entry.mode) ? '/' : '');
  return fmt.replace(/%(-?\d*)([a-zA-Z%])/g, (_all, width: string, code: string) => {
    let s: string;
    switch (code) {
      case 'i':
        s = itemizeString(r.iflags, r.entry.mode, { times: o.times });
        break;
      case 'n':
        s = name;
        break;
      case 'f':
        s = showName(r.name);
        break;
      case 'L':
        if (r.hlink && r.hlink.length > 0) s = ` => ${showName(r.hlink)}`;
        else if (isLink(r.entry.mode) && r.entry.linkTargetBytes)
          s = ` -> ${showName(r.entry.linkTargetBytes)}`;
        else s = '';
        break;
      case 'l':
        s = humanNum(r.entry.size, o.human);
        break;
      case 'o':
        s = r.iflags & ITEM.TRANSFER ? 'recv' : r.iflags & ITEM.DELETED ? 'del.' : '';
        break;
      case 'M':
        s = new Date(r.entry.mtime * 1000)
          .toISOString()
          .replace('T', '-')
          .slice(0, 19)
          .replace(/-/g, '/')
          .replace(/\/(\d\d:)/, '-$1');
        break;
      case 'B':
        s = permString(r.entry.mode).slice(1);
        break;
      case '%':
        s = '%';
        break;
      default:
        s = '';
    }
    const w = Number(width || 0);
    return w > 0 ? s.padStart(w) : w < 0 ? s.padEnd(-w) : s;
  });
}

/** ls-style permissions (lib/permstring.c). */
export function permString(mode: number): string {
  const t = typeOf(mode);
  const type =
    t === 0o040000
      ? 'd'
      : t === 0o120000
        ? 'l'
        : t === 0o020000
          ? 'c'
          : t === 0o060000
            ? 'b'
            : t === 0o010000
              ? 'p'
              : t === 0o140000
                ? 's'
                : '-';
  const rwx = (bits: number, special: boolean, ch: string) =>
    (bits & 4 ? 'r' : '-') +
    (bits & 2 ? 'w' : '-') +
    (special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-');
  return (
    type +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's') +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's') +
    rwx(mode & 7, (mode & 0o1000) !== 0, 't')
  );
}

/** "YYYY/MM/DD HH:MM:SS" in local time (log.c:timestring()). */
export function timeString(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One --list-only line (generator.c:list_file_entry()). */
export function listLine(e: ListEntry, human: number): string {
  const size = humanNum(e.size, human).padStart(human ? 14 : 11);
  const base = `${permString(e.mode)} ${size} ${timeString(e.mtime)} ${showName(e.nameBytes)}`;
  return isLink(e.mode) && e.linkTargetBytes ? `${base} -> ${showName(e.linkTargetBytes)}\n` : `${base}\n`;
}

function counts(prefix: string, total: number, parts: number[], h: number): string {
  const labels = ['reg', 'dir', 'link', 'dev', 'special'];
  const all = [total - parts.reduce((a, b) => a + b, 0), ...parts];
  const shown = all.map((n, i) => (n ? `${labels[i]}: ${humanNum(n, Math.min(h, 1))}` : '')).filter(Boolean);
  return `${prefix}: ${humanNum(total, Math.min(h, 1))}${total && shown.length ? ` (${shown.join(', ')})` : ''}\n`;
}

/** --stats (level 2) and the two summary lines (level 1). */
export function summary(
  s: TransferStats,
  o: { stats: boolean; protocol: number; human: number; elapsedSec: number; dryRun: boolean },
): string {
  const h = o.human;
  let out = '';
  if (o.stats) {
    out += '\n';
    out += counts('Number of files', s.numFiles, [s.numDirs, s.numSymlinks, s.numDevices, s.numSpecials], h);
    if (o.protocol >= 29)
      out += counts(
        'Number of created files',
        s.createdFiles,
        [s.createdDirs, s.createdSymlinks, s.createdDevices, s.createdSpecials],
        h,
      );
    if (o.protocol >= 31)
      out += counts(
        'Number of deleted files',
        s.deletedFiles,
        [s.deletedDirs, s.deletedSymlinks, s.deletedDevices, s.deletedSpecials],
        h,
      );
    out += `Number of regular files transferred: ${humanNum(s.xferredFiles, Math.min(h, 1))}\n`;
    out += `Total file size: ${humanNum(s.totalSize, h)} bytes\n`;
    out += `Total transferred file size: ${humanNum(s.totalTransferredSize, h)} bytes\n`;
    out += `Literal data: ${humanNum(s.literalData, h)} bytes\n`;
    out += `Matched data: ${humanNum(s.matchedData, h)} bytes\n`;
    out += `File list size: ${humanNum(s.flistSize, h)}\n`;
    if (s.flistBuildTime) {
      out += `File list generation time: ${commaDnum(s.flistBuildTime / 1000, 3)} seconds\n`;
      out += `File list transfer time: ${commaDnum(s.flistXferTime / 1000, 3)} seconds\n`;
    }
    out += `Total bytes sent: ${humanNum(s.totalWritten, h)}\n`;
    out += `Total bytes received: ${humanNum(s.totalRead, h)}\n`;
  }
  const rate = (s.totalWritten + s.totalRead) / (0.5 + Math.floor(o.elapsedSec));
  out += '\n';
  out += `sent ${humanNum(s.totalWritten, h)} bytes  received ${humanNum(s.totalRead, h)} bytes  ${commaDnum(rate, 2)} bytes/sec\n`;
  const speedup = s.totalSize / Math.max(1, s.totalWritten + s.totalRead);
  out += `total size is ${humanNum(s.totalSize, h)}  speedup is ${commaDnum(speedup, 2)}${o.dryRun ? ' (DRY RUN)' : ''}\n`;
  return out;
}

/** rsync's texts for exit codes (log.c rerr_names). */
export const EXIT_TEXT: Record<number, string> = {
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files, dirs',
  4: 'requested action not supported',
  5: 'error starting client-server protocol',
  6: 'daemon unable to append to log-file',
  10: 'error in socket IO',
  11: 'error in file IO',
  12: 'error in rsync protocol data stream',
  13: 'errors with program diagnostics',
  14: 'error in IPC code',
  15: 'sibling process crashed',
  16: 'sibling process terminated abnormally',
  19: 'received SIGUSR1',
  20: 'received SIGINT, SIGTERM, or SIGHUP',
  21: 'waitpid() failed',
  22: 'error allocating core memory buffers',
  23: 'some files/attrs were not transferred (see previous errors)',
  24: 'some files vanished before they could be transferred',
  25: 'the --max-delete limit stopped deletions',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
};

export interface ConsoleOutput {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const stdio: ConsoleOutput = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export interface ReporterOptions {
  verbose: number;
  itemize: number;
  outFormat: string | undefined;
  quiet: boolean;
  times: boolean;
  human: number;
  progress: boolean;
}

/** A Reporter that prints like the rsync client. */
export function consoleReporter(o: ReporterOptions, io: ConsoleOutput = stdio): Reporter {
  const fmt = o.outFormat ?? (o.itemize > 0 ? '%i %n%L' : o.verbose > 0 ? '%n%L' : undefined);
  return {
    item(r) {
      if (fmt === undefined || o.quiet) return;
      io.out(`${formatItem(fmt, r, o)}\n`);
    },
    deleted(name, dir) {
      if (o.quiet) return;
      const n = showName(name) + (dir ? '/' : '');
      if (fmt !== undefined && fmt.includes('%i')) io.out(`*deleting   ${n}\n`);
      else if (o.verbose > 0) io.out(`deleting ${n}\n`);
    },
    message(level, text) {
      if (level === 'info') {
        if (!o.quiet) io.out(text);
      } else io.err(text);
    },
    list(e) {
      io.out(listLine(e, o.human));
    },
    progress: o.progress ? progressPrinter(io, o.human) : undefined,
  } as Reporter;
}

function progressPrinter(io: ConsoleOutput, human: number): NonNullable<Reporter['progress']> {
  let start = Date.now();
  let current: ListEntry | undefined;
  return (e, done, total, finished) => {
    if (current !== e) {
      current = e;
      start = Date.now();
    }
    const secs = Math.max(0.001, (Date.now() - start) / 1000);
    const rate = done / secs;
    const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
    const r =
      rate >= 1 << 20
        ? `${(rate / (1 << 20)).toFixed(2)}MB/s`
        : rate >= 1 << 10
          ? `${(rate / 1024).toFixed(2)}kB/s`
          : `${rate.toFixed(2)}B/s`;
    const t = Math.round(finished ? secs : total > done && rate > 0 ? (total - done) / rate : 0);
    const hms = `${Math.floor(t / 3600)}:${String(Math.floor(t / 60) % 60).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
    io.out(
      `${humanNum(done, human).padStart(15)} ${String(pct).padStart(3)}% ${r.padStart(11)} ${hms.padStart(9)}${finished ? '\n' : '\r'}`,
    );
  };
}
