/**
 * Snapshot names: the UTC time of the run, `YYYY-MM-DDTHHMMSSZ`
 * (e.g. 2026-11-22T031500Z). They sort lexically in time order, contain no
 * characters that need quoting, and never depend on the local time zone.
 */
const NAME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function snapshotName(t: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(t.getUTCFullYear(), 4)}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())}` +
    `T${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}Z`
  );
}

/** The time a snapshot name stands for, or undefined when it is not one. */
export function parseSnapshotName(name: string): Date | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return snapshotName(t) === name ? t : undefined;
}

export class TimeError extends Error {
  override name = 'TimeError';
}

/**
 * `--now`: an ISO 8601 instant with an explicit zone (`2026-01-05T03:00:00Z`,
 * `2026-01-05T04:00:00+01:00`). A time without a zone is refused rather than
 * read in the local zone.
 */
export function parseNow(text: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text))
    throw new TimeError(`--now must be an ISO 8601 time with a zone, e.g. 2026-01-05T03:00:00Z: ${text}`);
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new TimeError(`invalid time: ${text}`);
  return t;
}

/** "3d 4h", "5m", "12s": an age for listings. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}
