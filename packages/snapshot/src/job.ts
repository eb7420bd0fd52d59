/**
 * Job files for `tsrsync snapshot --job FILE` (YAML): one ROOT, several backup
 * points pulled into subdirectories of one snapshot, hooks and notification.
 * Every error names `file:line:`; unknown keys are errors.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Document, LineCounter, Node } from 'yaml';
import { SnapshotError } from './errors.js';
import { destProblem, destWithin, normalizeDest } from './multi-source.js';
import type { NotifyConfig } from './notify.js';
import { RetentionError, parseKeep, type KeepPolicy } from './retention.js';

export interface JobPoint {
  /** HOST::MODULE[/PATH] or rsync://HOST[:PORT]/MODULE[/PATH] */
  source: string;
  /** Normalised relative directory inside the snapshot. */
  dest: string;
  exclude: string[];
  include: string[];
  /** rsync options appended after the job-wide ones. */
  options: string[];
  /** Absolute (a relative one is taken from the job file's directory). */
  passwordFile: string | undefined;
  /** Line of the point's entry, for later messages. */
  line: number;
}

export interface Job {
  file: string;
  /** The file's base name without .yaml/.yml. */
  name: string;
  root: string;
  keep: KeepPolicy | undefined;
  timeZone: string | undefined;
  allowEmpty: boolean | undefined;
  waitSec: number | undefined;
  options: string[];
  /** Line of the job-wide options (0 when absent). */
  optionsLine: number;
  points: JobPoint[];
  hooks: { pre: string | undefined; post: string | undefined };
  notify: NotifyConfig | undefined;
}

/** A job file that cannot be used; the message starts with `file:line:`. */
export class JobError extends SnapshotError {
  override name = 'JobError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

const DAEMON = /^(?:[^@/\s]+@)?(?:\[[^\]]+\]|[^:/@[\]\s]+)::[^/\s]/;
const URL_SRC = /^rsync:\/\/(?:[^@/\s]+@)?[^/\s]+\/[^/\s]/i;
const MAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

type N = Node | null | undefined;

// loaded when a job file is read: every other command starts without it (about 50 ms)
let yamlLib: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') =>
  (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
interface Entry {
  key: string;
  value: N;
  line: number;
}

class Reader {
  constructor(
    readonly file: string,
    private readonly lc: LineCounter,
    private readonly doc: Document,
  ) {}

  line(n: N, fallback = 1): number {
    return n?.range ? this.lc.linePos(n.range[0]).line : fallback;
  }

  fail(line: number, message: string): never {
    throw new JobError(message, this.file, line);
  }

  resolve(n: N): N {
    return yaml().isAlias(n) ? (n.resolve(this.doc) as N) : n;
  }

  /** The keys of a mapping, checked against `allowed`. */
  map(n: N, what: string, line: number, allowed: readonly string[]): Map<string, Entry> {
    const m = this.resolve(n);
    if (!yaml().isMap(m)) this.fail(this.line(m, line), `${what} must be a mapping`);
    const out = new Map<string, Entry>();
    for (const pair of m.items) {
      const k = this.resolve(pair.key as N);
      const kl = this.line(k, this.line(m, line));
      if (!yaml().isScalar(k) || typeof k.value !== 'string') this.fail(kl, `${what}: keys must be names`);
      if (!allowed.includes(k.value))
        this.fail(kl, `unknown key '${k.value}' in ${what} (known: ${allowed.join(', ')})`);
      out.set(k.value, { key: k.value, value: this.resolve(pair.value as N), line: kl });
    }
    return out;
  }

  scalar(e: Entry): unknown {
    if (!yaml().isScalar(e.value)) this.fail(this.line(e.value, e.line), `${e.key} must be a single value`);
    return e.value.value;
  }

  str(e: Entry | undefined): string | undefined {
    if (!e) return undefined;
    const v = this.scalar(e);
    if (typeof v !== 'string' || v === '')
      this.fail(this.line(e.value, e.line), `${e.key} must be a non-empty string`);
    return v;
  }

  list(e: Entry | undefined): string[] {
    if (!e) return [];
    if (!yaml().isSeq(e.value)) this.fail(this.line(e.value, e.line), `${e.key} must be a list of strings`);
    return e.value.items.map((item) => {
      const it = this.resolve(item as N);
      if (!yaml().isScalar(it) || typeof it.value !== 'string')
        this.fail(this.line(it, e.line), `${e.key}: every item must be a string (quote it)`);
      return it.value;
    });
  }
}

const JOB_KEYS = ['root', 'keep', 'timezone', 'allow_empty', 'wait', 'options', 'points', 'hooks', 'notify'];
const POINT_KEYS = ['source', 'dest', 'exclude', 'include', 'options', 'password_file'];

export function parseJob(text: string, file: string): Job {
  const lc = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const msg = err.code === 'MULTIPLE_DOCS' ? 'a job file holds a single YAML document' : err.message;
    throw new JobError(msg, file, err.linePos?.[0].line ?? lc.linePos(err.pos[0]).line);
  }
  const r: Reader = new Reader(file, lc, doc);
  const top = r.map(doc.contents, 'the job', 1, JOB_KEYS);
  const base = path.dirname(file);

  const rootE = top.get('root') ?? r.fail(1, "missing 'root' (the snapshot ROOT directory)");
  const root = r.str(rootE)!;
  if (!path.isAbsolute(root)) r.fail(rootE.line, `root must be an absolute path, not '${root}'`);

  let keep: KeepPolicy | undefined;
  const keepE = top.get('keep');
  if (keepE) {
    try {
      keep = parseKeep(r.str(keepE)!);
    } catch (e) {
      if (e instanceof RetentionError) r.fail(keepE.line, e.message);
      throw e;
    }
  }

  const timeZone = r.str(top.get('timezone'));
  if (timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      r.fail(top.get('timezone')!.line, `unknown time zone '${timeZone}'`);
    }
  }

  let allowEmpty: boolean | undefined;
  const aeE = top.get('allow_empty');
  if (aeE) {
    const v = r.scalar(aeE);
    if (typeof v !== 'boolean') r.fail(aeE.line, 'allow_empty must be true or false');
    allowEmpty = v;
  }

  let waitSec: number | undefined;
  const waitE = top.get('wait');
  if (waitE) {
    const v = r.scalar(waitE);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      r.fail(waitE.line, 'wait must be a whole number of seconds >= 0');
    waitSec = v;
  }

  const optE = top.get('options');
  const options = r.list(optE);

  const pointsE = top.get('points') ?? r.fail(1, "missing 'points' (the backup points)");
  if (!yaml().isSeq(pointsE.value) || pointsE.value.items.length === 0)
    r.fail(r.line(pointsE.value, pointsE.line), 'points must be a list of at least one backup point');
  const points = pointsE.value.items.map((item, i) => {
    const line = r.line(item as N, pointsE.line);
    const p = r.map(item as N, `points[${i}]`, line, POINT_KEYS);
    const srcE = p.get('source') ?? r.fail(line, `points[${i}]: missing 'source'`);
    const source = r.str(srcE)!;
    if (!DAEMON.test(source) && !URL_SRC.test(source))
      r.fail(srcE.line, `source must be HOST::MODULE[/PATH] or rsync://HOST/MODULE[/PATH], not '${source}'`);
    const destE = p.get('dest') ?? r.fail(line, `points[${i}]: missing 'dest'`);
    const dest = normalizeDest(r.str(destE)!);
    const bad = destProblem(dest);
    if (bad) r.fail(destE.line, `dest '${dest}' ${bad}`);
    const pw = r.str(p.get('password_file'));
    return {
      point: {
        source,
        dest,
        exclude: r.list(p.get('exclude')),
        include: r.list(p.get('include')),
        options: r.list(p.get('options')),
        passwordFile: pw === undefined ? undefined : path.resolve(base, pw),
        line,
      },
      destLine: destE.line,
    };
  });
  points.forEach(({ point, destLine }, i) => {
    for (const { point: o } of points.slice(0, i)) {
      if (o.dest === point.dest) r.fail(destLine, `dest '${point.dest}' is already used at line ${o.line}`);
      if (destWithin(point.dest, o.dest) || destWithin(o.dest, point.dest))
        r.fail(destLine, `dest '${point.dest}' overlaps dest '${o.dest}' of the point at line ${o.line}`);
    }
  });

  const hooksE = top.get('hooks');
  const hooks = hooksE
    ? r.map(hooksE.value, 'hooks', hooksE.line, ['pre', 'post'])
    : new Map<string, Entry>();

  return {
    file,
    name: path.basename(file).replace(/\.ya?ml$/i, ''),
    root: path.normalize(root),
    keep,
    timeZone,
    allowEmpty,
    waitSec,
    options,
    optionsLine: optE?.line ?? 0,
    points: points.map((p) => p.point),
    hooks: { pre: r.str(hooks.get('pre')), post: r.str(hooks.get('post')) },
    notify: parseNotify(r, top.get('notify')),
  };
}

function parseNotify(r: Reader, e: Entry | undefined): NotifyConfig | undefined {
  if (!e) return undefined;
  const m = r.map(e.value, 'notify', e.line, ['on', 'command', 'mail', 'webhook']);
  const on = r.str(m.get('on')) ?? 'failure';
  if (on !== 'failure' && on !== 'always')
    r.fail(m.get('on')!.line, "notify.on must be 'failure' or 'always'");
  const mail = r.str(m.get('mail'));
  if (mail !== undefined && !MAIL.test(mail)) r.fail(m.get('mail')!.line, `not a mail address: '${mail}'`);
  const webhook = r.str(m.get('webhook'));
  if (webhook !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(webhook);
    } catch {
      /* reported below */
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
      r.fail(m.get('webhook')!.line, `webhook must be an http:// or https:// URL, not '${webhook}'`);
  }
  const command = r.str(m.get('command'));
  if (command === undefined && mail === undefined && webhook === undefined)
    r.fail(e.line, 'notify needs at least one of command, mail, webhook');
  return { on, command, mail, webhook };
}
