/**
 * A small getopt for rsync's command line (popt in rsync): short clusters
 * (`-avz`), `-e CMD` / `-eCMD`, `--opt=val` / `--opt val`, counted flags
 * (`-vv`), and `--no-X` negations. Options are applied in order, as popt does.
 */
export interface OptSpec {
  long: string;
  short?: string;
  /** Takes a value. */
  arg?: boolean;
  /** Takes a value only in the `--opt=value` form (`--wait`, `--wait=30`). */
  optionalArg?: boolean;
  /** Called for each occurrence (value for arg options). */
  set: (value: string | undefined) => void;
}

export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 1;
}

export function parseArgs(argv: readonly string[], specs: readonly OptSpec[]): string[] {
  const byLong = new Map<string, OptSpec>();
  const byShort = new Map<string, OptSpec>();
  for (const s of specs) {
    byLong.set(s.long, s);
    if (s.short) byShort.set(s.short, s);
  }
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byLong.get(name) ?? uniquePrefix(byLong, name);
      if (!spec) throw new UsageError(`${a}: unknown option`);
      if (spec.arg) {
        let v = eq < 0 ? undefined : a.slice(eq + 1);
        if (v === undefined) {
          if (i + 1 >= argv.length) throw new UsageError(`${a}: missing argument`);
          v = argv[++i]!;
        }
        spec.set(v);
      } else if (spec.optionalArg) {
        spec.set(eq < 0 ? undefined : a.slice(eq + 1));
      } else {
        if (eq >= 0) throw new UsageError(`${a}: option does not take an argument`);
        spec.set(undefined);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k]!;
        const spec = byShort.get(c);
        if (!spec) throw new UsageError(`-${c}: unknown option`);
        if (spec.arg) {
          let v = a.slice(k + 1);
          if (v === '') {
            if (i + 1 >= argv.length) throw new UsageError(`-${c}: missing argument`);
            v = argv[++i]!;
          } else if (v.startsWith('=')) v = v.slice(1);
          spec.set(v);
          break;
        }
        spec.set(undefined);
      }
      continue;
    }
    rest.push(a);
  }
  return rest;
}

function uniquePrefix(m: Map<string, OptSpec>, name: string): OptSpec | undefined {
  if (name.length < 3) return undefined;
  const hits = [...m.keys()].filter((k) => k.startsWith(name));
  return hits.length === 1 ? m.get(hits[0]!) : undefined;
}

/** rsync size suffixes (K, M, G, with optional B / iB) for --max-size etc. */
export function parseSize(v: string, what: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([kmgtp]?)(i?b?)?([+-]1)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${what}: invalid size "${v}"`);
  const mult = m[3]?.toLowerCase() === 'b' ? 1000 : 1024;
  const pow = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  let n = Number(m[1]) * mult ** Math.max(0, pow);
  if (m[4]) n += Number(m[4]);
  return Math.floor(n);
}

export function parseIntArg(
  v: string,
  what: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!/^-?[0-9]+$/.test(v.trim())) throw new UsageError(`--${what}: invalid number "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${what}=${v} is out of range (${min}..${max})`);
  return n;
}
