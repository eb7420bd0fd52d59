/**
 * Snapshot retention (pure, no I/O): decide which snapshots a `keep` policy retains.
 *
 * Rule (restic/borg-like "newest per bucket", anchored on the newest snapshot, not on "now"):
 * - Snapshots are sorted newest first (ties broken by id, descending).
 * - The newest snapshot is ALWAYS kept (reason "newest"), whatever the policy, even an empty one.
 * - `last=N` keeps the N newest ("last 1", "last 2", ...).
 * - For each calendar kind (hourly, daily, weekly, monthly, yearly) with count N, walk the snapshots newest to
 *   oldest and compute each one's bucket key in `timeZone` (default 'UTC'). The first (= newest) snapshot seen in a
 *   bucket represents it; the representatives of the N most recent distinct buckets (ranked by their newest
 *   snapshot) are kept. Only buckets that contain snapshots count, so missed backups never make older snapshots
 *   age out. 'all' keeps the representative of every bucket.
 * - A snapshot kept by several rules lists every reason; each input snapshot appears exactly once in the result.
 *
 * Why: rsync-time-backup names backups in local time but does its day arithmetic in UTC days, so one local day can
 * lose its only daily backup; rotate-backups keys weeks by calendar year + ISO week, so Dec 29-31 / Jan 1-3 land in
 * the wrong week (issue #31). Here every bucket is computed from the local calendar date and hour in one
 * IANA zone via Intl.DateTimeFormat (DST-safe), weeks use the ISO 8601 week-numbering year (`GGGG-Www`), and
 * hourly keys carry the UTC offset so the hour repeated at a DST fall-back gives two distinct buckets.
 *
 * Keys: hourly "2026-11-22T03+01:00", daily "2026-11-22", weekly "2026-W47", monthly "2026-11", yearly "2026".
 */

export type KeepCount = number | 'all';

export interface KeepPolicy {
  last?: KeepCount;
  hourly?: KeepCount;
  daily?: KeepCount;
  weekly?: KeepCount;
  monthly?: KeepCount;
  yearly?: KeepCount;
}

export type KeepRule = keyof KeepPolicy;
export type BucketKind = Exclude<KeepRule, 'last'>;

export interface RetentionInput {
  id: string;
  /** Snapshot time (a UTC instant). */
  time: Date;
}

export interface RetentionDecision {
  id: string;
  time: Date;
  keep: boolean;
  reasons: string[];
}

export interface RetentionOptions {
  /** IANA zone in which calendar buckets are computed; default 'UTC'. */
  timeZone?: string;
}

export class RetentionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetentionError';
  }
}

/** Canonical rule order (also the order of reasons in a decision). */
export const KEEP_RULES: readonly KeepRule[] = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];
const BUCKET_KINDS: readonly BucketKind[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

function isKeepRule(key: string): key is KeepRule {
  return (KEEP_RULES as readonly string[]).includes(key);
}

function checkCount(rule: string, count: unknown): KeepCount {
  if (count === 'all' || (typeof count === 'number' && Number.isSafeInteger(count) && count >= 0))
    return count;
  throw new RetentionError(`keep ${rule}: count must be an integer >= 0 or 'all', got ${String(count)}`);
}

/** Parses "last=3,daily=7,weekly=4,monthly=12,yearly=all" (whitespace around items is ignored). */
export function parseKeep(spec: string): KeepPolicy {
  if (spec.trim() === '') throw new RetentionError('keep policy is empty (expected e.g. "last=3,daily=7")');
  const policy: KeepPolicy = {};
  for (const item of spec.split(',')) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (item.trim() === '') throw new RetentionError(`keep policy "${spec}": empty item`);
    if (!isKeepRule(key)) {
      throw new RetentionError(
        `keep policy: unknown rule "${key}" (expected one of ${KEEP_RULES.join(', ')})`,
      );
    }
    if (eq < 0) throw new RetentionError(`keep policy: rule "${key}" needs a count, e.g. ${key}=7`);
    if (policy[key] !== undefined) throw new RetentionError(`keep policy: duplicate rule "${key}"`);
    if (value !== 'all' && !/^[0-9]+$/.test(value)) {
      throw new RetentionError(`keep ${key}: count must be an integer >= 0 or 'all', got "${value}"`);
    }
    policy[key] = checkCount(key, value === 'all' ? 'all' : Number(value));
  }
  return policy;
}

/** Inverse of parseKeep, in canonical order; an empty policy gives "". */
export function formatKeep(policy: KeepPolicy): string {
  const items: string[] = [];
  for (const rule of KEEP_RULES) {
    const count = policy[rule];
    if (count !== undefined) items.push(`${rule}=${checkCount(rule, count)}`);
  }
  return items.join(',');
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (fmt === undefined) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        calendar: 'gregory',
        numberingSystem: 'latn',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        hourCycle: 'h23',
      });
    } catch {
      throw new RetentionError(`invalid time zone "${timeZone}"`);
    }
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  /** Local time minus UTC, in seconds. */
  offsetSeconds: number;
}

/** Epoch milliseconds of a proleptic Gregorian UTC date-time (Date.UTC maps years 0-99 to 19xx; this does not). */
function utcMillis(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

function localTime(time: Date, timeZone: string): LocalTime {
  const ms = time.getTime();
  if (Number.isNaN(ms)) throw new RetentionError('invalid snapshot time');
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(time)) parts[p.type] = p.value;
  const field = (name: string): number => Number(parts[name]);
  const era = parts['era'] ?? 'AD';
  const year = era.startsWith('B') ? 1 - field('year') : field('year');
  const [month, day, hour] = [field('month'), field('day'), field('hour')];
  const local = utcMillis(year, month, day, hour, field('minute'), field('second'));
  const offsetSeconds = Math.round((local - Math.floor(ms / 1000) * 1000) / 1000);
  return { year, month, day, hour, offsetSeconds };
}

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');
const formatYear = (y: number): string => (y < 0 ? '-' : '') + pad(y, 4);

function formatOffset(seconds: number): string {
  const abs = Math.abs(seconds);
  const hm = `${seconds < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}`;
  return abs % 60 === 0 ? hm : `${hm}:${pad(abs % 60)}`;
}

/** ISO 8601 week-numbering year and week of a calendar date (the week's Thursday decides the year). */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const DAY = 86_400_000;
  const date = utcMillis(year, month, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - mondayBased) * DAY);
  const isoYear = thursday.getUTCFullYear();
  const dayOfYear = Math.round((thursday.getTime() - utcMillis(isoYear, 1, 1)) / DAY);
  return { year: isoYear, week: Math.floor(dayOfYear / 7) + 1 };
}

/** The bucket a snapshot time falls in for `kind`, computed in `timeZone`. */
export function bucketKey(kind: BucketKind, time: Date, timeZone: string): string {
  const t = localTime(time, timeZone);
  const date = `${formatYear(t.year)}-${pad(t.month)}-${pad(t.day)}`;
  switch (kind) {
    case 'hourly':
      return `${date}T${pad(t.hour)}${formatOffset(t.offsetSeconds)}`;
    case 'daily':
      return date;
    case 'weekly': {
      const w = isoWeek(t.year, t.month, t.day);
      return `${formatYear(w.year)}-W${pad(w.week)}`;
    }
    case 'monthly':
      return `${formatYear(t.year)}-${pad(t.month)}`;
    case 'yearly':
      return formatYear(t.year);
    default:
      throw new RetentionError(`unknown bucket kind "${String(kind)}"`);
  }
}

function newestFirst(a: RetentionInput, b: RetentionInput): number {
  const dt = b.time.getTime() - a.time.getTime();
  if (dt !== 0) return dt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Applies `policy` to `snapshots`; returns one decision per input snapshot, newest first. */
export function applyRetention(
  snapshots: readonly RetentionInput[],
  policy: KeepPolicy,
  opts: RetentionOptions = {},
): RetentionDecision[] {
  const timeZone = opts.timeZone ?? 'UTC';
  formatterFor(timeZone); // validate the zone even when no calendar rule is used
  for (const s of snapshots) {
    if (Number.isNaN(s.time.getTime())) throw new RetentionError(`snapshot ${s.id}: invalid time`);
  }
  const decisions: RetentionDecision[] = [...snapshots]
    .sort(newestFirst)
    .map((s) => ({ id: s.id, time: s.time, keep: false, reasons: [] }));
  const keep = (d: RetentionDecision, reason: string): void => {
    d.keep = true;
    d.reasons.push(reason);
  };

  if (decisions[0] !== undefined) keep(decisions[0], 'newest');

  const last = policy.last === undefined ? 0 : checkCount('last', policy.last);
  const lastCount = last === 'all' ? decisions.length : Math.min(last, decisions.length);
  for (let i = 0; i < lastCount; i++) keep(decisions[i] as RetentionDecision, `last ${i + 1}`);

  for (const kind of BUCKET_KINDS) {
    const raw = policy[kind];
    if (raw === undefined) continue;
    const count = checkCount(kind, raw);
    const limit = count === 'all' ? Infinity : count;
    const seen = new Set<string>();
    for (const d of decisions) {
      if (seen.size >= limit) break;
      const key = bucketKey(kind, d.time, timeZone);
      if (seen.has(key)) continue;
      seen.add(key);
      keep(d, `${kind} ${key}`);
    }
  }
  return decisions;
}
