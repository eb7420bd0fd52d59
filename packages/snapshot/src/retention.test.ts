import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyRetention,
  bucketKey,
  formatKeep,
  parseKeep,
  RetentionError,
  type BucketKind,
  type KeepCount,
  type KeepPolicy,
  type RetentionDecision,
  type RetentionInput,
} from './retention.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KINDS: readonly BucketKind[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu'] as const;

const snap = (id: string, iso: string): RetentionInput => ({ id, time: new Date(iso) });
const keptIds = (ds: readonly RetentionDecision[]): string[] => ds.filter((d) => d.keep).map((d) => d.id);
const reasonsOf = (ds: readonly RetentionDecision[], id: string): string[] | undefined =>
  ds.find((d) => d.id === id)?.reasons;

/** Snapshots every `stepMs` from `fromIso` to `toIso` inclusive; id = ISO instant. */
function series(fromIso: string, toIso: string, stepMs: number): RetentionInput[] {
  const out: RetentionInput[] = [];
  for (let t = Date.parse(fromIso); t <= Date.parse(toIso); t += stepMs) {
    out.push({ id: new Date(t).toISOString(), time: new Date(t) });
  }
  return out;
}

// ---- Independent reference model (different code paths from the implementation) ----

const refFormatters = new Map<string, [Intl.DateTimeFormat, Intl.DateTimeFormat]>();
function refLocal(time: Date, zone: string): { date: string; hour: string; offset: string } {
  let f = refFormatters.get(zone);
  if (!f) {
    f = [
      new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' }),
      new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }),
    ];
    refFormatters.set(zone, f);
  }
  const [date, clock] = f[0].format(time).split(' ') as [string, string]; // "2024-03-10 03:30:00"
  const offset = /GMT([+-]\d\d:\d\d)?/.exec(f[1].format(time))?.[1] ?? '+00:00';
  return { date, hour: clock.slice(0, 2), offset };
}

/** ISO week via "week 1 is the week holding January 4th". */
function refIsoWeek(y: number, m: number, d: number): string {
  const week1Monday = (year: number): number => {
    const jan4 = Date.UTC(year, 0, 4);
    return jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY;
  };
  const t = Date.UTC(y, m - 1, d);
  const isoYear = t >= week1Monday(y + 1) ? y + 1 : t >= week1Monday(y) ? y : y - 1;
  const week = Math.floor((t - week1Monday(isoYear)) / (7 * DAY)) + 1;
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}

function refKey(kind: BucketKind, time: Date, zone: string): string {
  const { date, hour, offset } = refLocal(time, zone);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  if (kind === 'hourly') return `${date}T${hour}${offset}`;
  if (kind === 'daily') return date;
  if (kind === 'weekly') return refIsoWeek(y, m, d);
  return kind === 'monthly' ? date.slice(0, 7) : date.slice(0, 4);
}

const refLater = (a: RetentionInput, b: RetentionInput): boolean =>
  a.time.getTime() > b.time.getTime() || (a.time.getTime() === b.time.getTime() && a.id > b.id);

/** Kept ids by grouping: newest per bucket, buckets ranked by their newest, take N. */
function refKept(snaps: readonly RetentionInput[], policy: KeepPolicy, zone: string): Set<string> {
  const byNewest = [...snaps].sort((a, b) => (refLater(a, b) ? -1 : refLater(b, a) ? 1 : 0));
  const limit = (c: KeepCount): number => (c === 'all' ? Infinity : c);
  const kept = new Set<RetentionInput>(byNewest.slice(0, Math.max(1, limit(policy.last ?? 0))));
  for (const kind of KINDS) {
    const count = policy[kind];
    if (count === undefined) continue;
    const reps = new Map<string, RetentionInput>();
    for (const s of snaps) {
      const key = refKey(kind, s.time, zone);
      const cur = reps.get(key);
      if (!cur || refLater(s, cur)) reps.set(key, s);
    }
    const ranked = [...reps.values()].sort((a, b) => (refLater(a, b) ? -1 : 1));
    ranked.slice(0, limit(count)).forEach((s) => kept.add(s));
  }
  return new Set([...kept].map((s) => s.id));
}

// ---- Arbitraries ----

const countArb: fc.Arbitrary<KeepCount> = fc.oneof(fc.nat({ max: 12 }), fc.constant<'all'>('all'));
const policyArb: fc.Arbitrary<KeepPolicy> = fc.record(
  {
    last: countArb,
    hourly: countArb,
    daily: countArb,
    weekly: countArb,
    monthly: countArb,
    yearly: countArb,
  },
  { requiredKeys: [] },
);
const BASE = Date.parse('2024-03-01T00:00:00Z');
const timeArb = fc.oneof(
  fc.integer({ min: 0, max: 60 }).map((k) => BASE + k * 30 * 60_000), // dense, with ties
  fc.integer({ min: -800 * DAY, max: 800 * DAY }).map((ms) => BASE + ms), // sparse, over years
);
// Unique ids so that results can be compared by id.
const snapsArb: fc.Arbitrary<RetentionInput[]> = fc
  .array(timeArb, { maxLength: 30 })
  .map((ts) => ts.map((t, i) => ({ id: `s${String(i).padStart(2, '0')}`, time: new Date(t) })));
const zoneArb = fc.constantFrom(...ZONES);

describe('parseKeep / formatKeep', () => {
  it('parses a full spec and formats it canonically', () => {
    const p = parseKeep(' yearly=all, last=3,daily=7,weekly=4,monthly=12 ,hourly=0');
    expect(p).toEqual({ last: 3, hourly: 0, daily: 7, weekly: 4, monthly: 12, yearly: 'all' });
    expect(formatKeep(p)).toBe('last=3,hourly=0,daily=7,weekly=4,monthly=12,yearly=all');
    expect(formatKeep({})).toBe('');
  });

  it('round-trips any policy', () => {
    fc.assert(
      fc.property(
        policyArb.filter((p) => Object.keys(p).length > 0),
        (p) => {
          expect(parseKeep(formatKeep(p))).toEqual(p);
          expect(formatKeep(parseKeep(formatKeep(p)))).toBe(formatKeep(p));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['daily=7,,weekly=4', /empty item/],
    ['daily=7,', /empty item/],
    ['dayly=7', /unknown rule "dayly"/],
    ['daily', /needs a count/],
    ['daily=7,weekly=4,daily=3', /duplicate rule "daily"/],
    ['daily=-1', /integer >= 0 or 'all'/],
    ['daily=1.5', /integer >= 0 or 'all'/],
    ['daily=', /integer >= 0 or 'all'/],
    ['daily=seven', /integer >= 0 or 'all'/],
    ['daily=always', /integer >= 0 or 'all'/],
    ['daily=99999999999999999999', /integer >= 0 or 'all'/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseKeep(spec)).toThrow(RetentionError);
    expect(() => parseKeep(spec)).toThrow(message);
  });

  it('formatKeep and applyRetention reject invalid programmatic counts', () => {
    expect(() => formatKeep({ daily: -1 })).toThrow(RetentionError);
    expect(() => formatKeep({ weekly: 2.5 })).toThrow(RetentionError);
    expect(() => applyRetention([snap('a', '2024-01-01T00:00:00Z')], { monthly: NaN })).toThrow(
      RetentionError,
    );
  });
});

describe('bucketKey', () => {
  it('uses the ISO week-numbering year for weeks (rotate-backups #31)', () => {
    expect(bucketKey('weekly', new Date('2024-12-30T02:00:00Z'), 'UTC')).toBe('2025-W01');
    expect(bucketKey('weekly', new Date('2027-01-01T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(bucketKey('weekly', new Date('2021-01-03T12:00:00Z'), 'UTC')).toBe('2020-W53');
    expect(bucketKey('weekly', new Date('2021-01-04T00:00:00Z'), 'UTC')).toBe('2021-W01');
  });

  it('weekly key matches an independent ISO-week computation', () => {
    const min = Date.parse('1901-01-01T00:00:00Z');
    const max = Date.parse('2199-12-31T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min, max }), (ms) => {
        const d = new Date(ms);
        const ref = refIsoWeek(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
        expect(bucketKey('weekly', d, 'UTC')).toBe(ref);
      }),
      { numRuns: 2000 },
    );
  });

  it('formats every kind, with the UTC offset in hourly keys', () => {
    const t = new Date('2026-11-22T02:15:00Z');
    expect(KINDS.map((k) => bucketKey(k, t, 'Europe/Berlin'))).toEqual([
      '2026-11-22T03+01:00',
      '2026-11-22',
      '2026-W47',
      '2026-11',
      '2026',
    ]);
    expect(bucketKey('hourly', t, 'UTC')).toBe('2026-11-22T02+00:00');
    expect(bucketKey('hourly', t, 'Asia/Kathmandu')).toBe('2026-11-22T08+05:45');
    expect(bucketKey('hourly', new Date('2024-06-01T12:00:00Z'), 'America/New_York')).toBe(
      '2024-06-01T08-04:00',
    );
  });

  it('rejects invalid zones and times', () => {
    expect(() => bucketKey('daily', new Date(0), 'Mars/Olympus_Mons')).toThrow(RetentionError);
    expect(() => bucketKey('daily', new Date(0), 'Mars/Olympus_Mons')).toThrow(/invalid time zone/);
    expect(() => bucketKey('daily', new Date(NaN), 'UTC')).toThrow(RetentionError);
    expect(() => applyRetention([], {}, { timeZone: 'Not/AZone' })).toThrow(RetentionError);
    expect(() => applyRetention([{ id: 'x', time: new Date('nope') }], {})).toThrow(/invalid time/);
  });
});

describe('applyRetention: basics', () => {
  it('always keeps the newest, even with an empty policy; empty input gives []', () => {
    expect(applyRetention([], { daily: 3 })).toEqual([]);
    const ds = applyRetention([snap('old', '2024-01-01T00:00:00Z'), snap('new', '2024-01-02T00:00:00Z')], {});
    expect(ds.map((d) => [d.id, d.keep, d.reasons])).toEqual([
      ['new', true, ['newest']],
      ['old', false, []],
    ]);
    expect(keptIds(applyRetention(ds, { last: 0, daily: 0 }))).toEqual(['new']);
  });

  it('breaks time ties by id descending and lists every reason', () => {
    const t = '2024-01-01T00:00:00Z';
    const ds = applyRetention([snap('a', t), snap('c', t), snap('b', t)], {
      last: 2,
      daily: 1,
      yearly: 'all',
    });
    expect(ds.map((d) => d.id)).toEqual(['c', 'b', 'a']);
    expect(ds[0]?.reasons).toEqual(['newest', 'last 1', 'daily 2024-01-01', 'yearly 2024']);
    expect(ds[1]?.reasons).toEqual(['last 2']);
    expect(ds[2]?.keep).toBe(false);
  });

  it('anchors on the newest snapshot, so a long gap ages nothing out', () => {
    const snaps = [
      ...series('2024-01-01T00:00:00Z', '2024-01-05T00:00:00Z', DAY),
      snap('late', '2025-06-01T00:00:00Z'),
    ];
    expect(keptIds(applyRetention(snaps, { daily: 3 }))).toEqual([
      'late',
      '2024-01-05T00:00:00.000Z',
      '2024-01-04T00:00:00.000Z',
    ]);
  });
});

describe('applyRetention: rotate-backups new-year ISO-week case (snapshot-tools.md §2.8)', () => {
  const snaps = series('2024-12-01T02:00:00Z', '2025-01-20T02:00:00Z', DAY).map((s) => ({
    ...s,
    id: s.id.slice(0, 10),
  }));
  const ds = applyRetention(snaps, { daily: 7, weekly: 4, monthly: 3 }, { timeZone: 'UTC' });

  it('keeps exactly the hand-computed set', () => {
    expect(snaps).toHaveLength(51);
    // daily: 01-20..01-14; weekly: W04 01-20 (Mon), W03 01-19, W02 01-12, W01 01-05 (Mon 12-30..Sun 01-05);
    // monthly: 2025-01 -> 01-20, 2024-12 -> 12-31 (only two months hold snapshots).
    expect(keptIds(ds)).toEqual([
      '2025-01-20',
      '2025-01-19',
      '2025-01-18',
      '2025-01-17',
      '2025-01-16',
      '2025-01-15',
      '2025-01-14',
      '2025-01-12',
      '2025-01-05',
      '2024-12-31',
    ]);
    expect(reasonsOf(ds, '2025-01-20')).toEqual([
      'newest',
      'daily 2025-01-20',
      'weekly 2025-W04',
      'monthly 2025-01',
    ]);
    expect(reasonsOf(ds, '2025-01-19')).toEqual(['daily 2025-01-19', 'weekly 2025-W03']);
    expect(reasonsOf(ds, '2025-01-12')).toEqual(['weekly 2025-W02']);
    expect(reasonsOf(ds, '2025-01-05')).toEqual(['weekly 2025-W01']);
    expect(reasonsOf(ds, '2024-12-31')).toEqual(['monthly 2024-12']);
    expect(reasonsOf(ds, '2025-01-01')).toEqual([]);
    expect(reasonsOf(ds, '2024-12-30')).toEqual([]);
  });
});

describe('applyRetention: time zones (rsync-time-backup case, snapshot-tools.md §2.7)', () => {
  // Local America/New_York times (EDT = UTC-4) converted to UTC instants.
  const snaps = [
    snap('05-01 10:00 EDT', '2024-05-01T14:00:00Z'),
    snap('06-01 21:00 EDT', '2024-06-02T01:00:00Z'),
    snap('06-02 19:00 EDT', '2024-06-02T23:00:00Z'),
    snap('06-14 10:00 EDT', '2024-06-14T14:00:00Z'),
  ];

  it('daily=4 in America/New_York keeps one per local day: all four', () => {
    const ds = applyRetention(snaps, { daily: 4 }, { timeZone: 'America/New_York' });
    expect(ds.every((d) => d.keep)).toBe(true);
    expect(ds.map((d) => d.reasons.filter((r) => r.startsWith('daily')))).toEqual([
      ['daily 2024-06-14'],
      ['daily 2024-06-02'],
      ['daily 2024-06-01'],
      ['daily 2024-05-01'],
    ]);
  });

  it('daily=4 in UTC merges two local days into UTC day 2024-06-02 (the rtb-style loss the zone avoids)', () => {
    const ds = applyRetention(snaps, { daily: 4 }, { timeZone: 'UTC' });
    expect(keptIds(ds)).toEqual(['06-14 10:00 EDT', '06-02 19:00 EDT', '05-01 10:00 EDT']);
    expect(reasonsOf(ds, '06-02 19:00 EDT')).toEqual(['daily 2024-06-02']);
    expect(reasonsOf(ds, '06-01 21:00 EDT')).toEqual([]); // local day 06-01 lost its only backup
  });
});

describe('applyRetention: DST', () => {
  it('America/New_York fall-back: the repeated 01:30 gives two hourly buckets', () => {
    const snaps = [snap('edt', '2024-11-03T05:30:00Z'), snap('est', '2024-11-03T06:30:00Z')];
    const ds = applyRetention(snaps, { hourly: 24 }, { timeZone: 'America/New_York' });
    expect(ds.map((d) => d.reasons)).toEqual([
      ['newest', 'hourly 2024-11-03T01-05:00'],
      ['hourly 2024-11-03T01-04:00'],
    ]);
    const day = series('2024-11-03T04:00:00Z', '2024-11-04T04:59:00Z', 30 * 60_000);
    const hourly = applyRetention(day, { hourly: 'all' }, { timeZone: 'America/New_York' });
    expect(hourly.filter((d) => d.reasons.some((r) => r.startsWith('hourly 2024-11-03T')))).toHaveLength(25);
  });

  it('America/New_York spring-forward: 23-hour day, daily buckets end at local midnight', () => {
    const snaps = series('2024-03-09T12:00:00Z', '2024-03-11T12:00:00Z', 30 * 60_000);
    const ds = applyRetention(snaps, { daily: 'all', hourly: 'all' }, { timeZone: 'America/New_York' });
    expect(ds.filter((d) => d.reasons.some((r) => r.startsWith('daily'))).map((d) => d.id)).toEqual([
      '2024-03-11T12:00:00.000Z',
      '2024-03-11T03:30:00.000Z', // 23:30 EDT on 03-10
      '2024-03-10T04:30:00.000Z', // 23:30 EST on 03-09
    ]);
    const hours = ds.flatMap((d) => d.reasons).filter((r) => r.startsWith('hourly 2024-03-10T'));
    expect(hours).toHaveLength(23);
    expect(hours).not.toContain('hourly 2024-03-10T02-05:00');
    expect(hours).toContain('hourly 2024-03-10T01-05:00');
    expect(hours).toContain('hourly 2024-03-10T03-04:00');
  });

  it('Europe/Berlin: both transitions', () => {
    const z = 'Europe/Berlin';
    expect(bucketKey('hourly', new Date('2024-10-27T00:30:00Z'), z)).toBe('2024-10-27T02+02:00');
    expect(bucketKey('hourly', new Date('2024-10-27T01:30:00Z'), z)).toBe('2024-10-27T02+01:00');
    expect(bucketKey('daily', new Date('2024-03-30T22:59:00Z'), z)).toBe('2024-03-30');
    expect(bucketKey('daily', new Date('2024-03-30T23:00:00Z'), z)).toBe('2024-03-31');
    expect(bucketKey('daily', new Date('2024-03-31T21:59:00Z'), z)).toBe('2024-03-31');
    expect(bucketKey('daily', new Date('2024-03-31T22:00:00Z'), z)).toBe('2024-04-01');
    const fallBack = applyRetention(
      series('2024-10-26T22:00:00Z', '2024-10-27T22:59:00Z', 30 * 60_000),
      { hourly: 'all', daily: 'all' },
      { timeZone: z },
    );
    expect(fallBack.filter((d) => d.reasons.some((r) => r.startsWith('hourly')))).toHaveLength(25);
    expect(fallBack.filter((d) => d.reasons.some((r) => r.startsWith('daily')))).toHaveLength(1);
    const springForward = applyRetention(
      series('2024-03-30T23:00:00Z', '2024-03-31T21:59:00Z', 30 * 60_000),
      { hourly: 'all' },
      { timeZone: z },
    );
    expect(springForward.filter((d) => d.keep)).toHaveLength(23);
  });
});

describe('applyRetention: a year of hourly snapshots', () => {
  const snaps = series('2024-01-01T00:00:00Z', '2024-12-31T23:00:00Z', HOUR);
  const policy = parseKeep('last=3,hourly=24,daily=7,weekly=4,monthly=12,yearly=all');
  const reasonKeys = (ds: RetentionDecision[], kind: string): string[] =>
    ds.flatMap((d) => d.reasons).filter((r) => r.startsWith(`${kind} `));

  it('UTC: 43 kept, matching the reference and the hand count', () => {
    expect(snaps).toHaveLength(8784);
    const ds = applyRetention(snaps, policy);
    // 24 hourly (incl. last 3 + newest) + 6 more daily + 2 more weekly (W51, W50) + 11 more monthly.
    expect(keptIds(ds)).toHaveLength(43);
    expect(new Set(keptIds(ds))).toEqual(refKept(snaps, policy, 'UTC'));
    expect(reasonKeys(ds, 'daily')).toHaveLength(7);
    expect(reasonKeys(ds, 'weekly')).toEqual([
      'weekly 2025-W01',
      'weekly 2024-W52',
      'weekly 2024-W51',
      'weekly 2024-W50',
    ]);
    expect(reasonKeys(ds, 'monthly')).toHaveLength(12);
    expect(reasonsOf(ds, '2024-02-29T23:00:00.000Z')).toEqual(['monthly 2024-02']);
    expect(reasonKeys(ds, 'yearly')).toEqual(['yearly 2024']);
  });

  it.each(['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'])(
    '%s: matches the reference',
    (zone) => {
      const ds = applyRetention(snaps, policy, { timeZone: zone });
      expect(new Set(keptIds(ds))).toEqual(refKept(snaps, policy, zone));
      const dailyDays = new Set(reasonKeys(ds, 'daily'));
      expect(dailyDays.size).toBe(7);
      expect(reasonKeys(ds, 'hourly')).toHaveLength(24);
      if (zone === 'Europe/Berlin') expect(reasonKeys(ds, 'yearly')).toEqual(['yearly 2025', 'yearly 2024']);
    },
  );
});

describe('applyRetention: properties', () => {
  const run = { numRuns: 1000 };
  const keptSet = (snaps: RetentionInput[], p: KeepPolicy, zone: string): Set<string> =>
    new Set(keptIds(applyRetention(snaps, p, { timeZone: zone })));

  it('returns a newest-first permutation of the input; keep iff reasons; newest kept', () => {
    fc.assert(
      fc.property(snapsArb, policyArb, zoneArb, (snaps, p, zone) => {
        const ds = applyRetention(snaps, p, { timeZone: zone });
        expect(ds.map((d) => `${d.id}@${d.time.getTime()}`).sort()).toEqual(
          snaps.map((s) => `${s.id}@${s.time.getTime()}`).sort(),
        );
        for (let i = 1; i < ds.length; i++) expect(ds[i - 1]!.time >= ds[i]!.time).toBe(true);
        for (const d of ds) expect(d.keep).toBe(d.reasons.length > 0);
        if (ds.length > 0) {
          expect(ds[0]!.reasons[0]).toBe('newest');
          expect(ds[0]!.time.getTime()).toBe(Math.max(...snaps.map((s) => s.time.getTime())));
        }
      }),
      run,
    );
  });

  it('agrees with the independent reference model', () => {
    fc.assert(
      fc.property(snapsArb, policyArb, zoneArb, (snaps, p, zone) => {
        expect(keptSet(snaps, p, zone)).toEqual(refKept(snaps, p, zone));
      }),
      run,
    );
  });

  it('is monotone: raising any count never un-keeps a snapshot', () => {
    const ruleArb = fc.constantFrom('last', ...KINDS);
    const raiseArb = fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant<'all'>('all'));
    fc.assert(
      fc.property(snapsArb, policyArb, zoneArb, ruleArb, raiseArb, (snaps, p, zone, rule, raise) => {
        const before = p[rule];
        if (before === 'all') return;
        const after: KeepCount = raise === 'all' ? 'all' : (before ?? 0) + raise;
        const small = keptSet(snaps, p, zone);
        const big = keptSet(snaps, { ...p, [rule]: after }, zone);
        for (const id of small) expect(big.has(id)).toBe(true);
      }),
      run,
    );
  });

  it('is idempotent: retention over the kept set keeps all of it', () => {
    fc.assert(
      fc.property(snapsArb, policyArb, zoneArb, (snaps, p, zone) => {
        const kept = applyRetention(snaps, p, { timeZone: zone }).filter((d) => d.keep);
        expect(applyRetention(kept, p, { timeZone: zone }).every((d) => d.keep)).toBe(true);
      }),
      run,
    );
  });

  it("daily='all' keeps the newest snapshot of every distinct local day", () => {
    fc.assert(
      fc.property(snapsArb, zoneArb, (snaps, zone) => {
        const ds = applyRetention(snaps, { daily: 'all' }, { timeZone: zone });
        const days = new Set(snaps.map((s) => bucketKey('daily', s.time, zone)));
        const keeperDays = new Set(ds.filter((d) => d.keep).map((d) => bucketKey('daily', d.time, zone)));
        expect(keeperDays).toEqual(days);
        expect(ds.filter((d) => d.keep)).toHaveLength(days.size);
      }),
      run,
    );
  });
});
