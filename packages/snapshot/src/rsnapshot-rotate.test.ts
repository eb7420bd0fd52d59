import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RsnapshotLevel } from './rsnapshot-conf.js';
import { applyOps, planHigher, planLowest, RotateRefused, type RotateOp } from './rsnapshot-rotate.js';

const STAGING = '.staging';
const LEVELS: RsnapshotLevel[] = [
  { name: 'daily', count: 7, line: 1 },
  { name: 'weekly', count: 4, line: 2 },
  { name: 'monthly', count: 3, line: 3 },
];
const DAILY = LEVELS[0]!;

/** applies ops to the name set and moves the tracked contents (source date / run number) along */
function run<T>(existing: Set<string>, held: Map<string, T>, ops: readonly RotateOp[]): void {
  applyOps(existing, ops);
  for (const op of ops) {
    if (op.op === 'delete') held.delete(op.name);
    else {
      held.set(op.to, held.get(op.from)!);
      held.delete(op.from);
    }
  }
  expect([...held.keys()].sort()).toEqual([...existing].sort());
}

/** contents of L.0 … L.(count-1); undefined marks a hole */
const slots = <T>(held: ReadonlyMap<string, T>, level: RsnapshotLevel): (T | undefined)[] =>
  Array.from({ length: level.count }, (_, i) => held.get(`${level.name}.${i}`));

describe('planLowest', () => {
  it('first run: only the staged snapshot becomes L.0', () => {
    expect(planLowest(new Set([STAGING]), DAILY, STAGING)).toEqual([
      { op: 'rename', from: STAGING, to: 'daily.0' },
    ]);
  });

  it('full level: drops the oldest and shifts everything down (§2.2 worked example)', () => {
    const existing = new Set([STAGING, ...[0, 1, 2, 3, 4, 5, 6].map((i) => `daily.${i}`)]);
    expect(planLowest(existing, DAILY, STAGING)).toEqual([
      { op: 'delete', name: 'daily.6' },
      ...[5, 4, 3, 2, 1, 0].map((i) => ({ op: 'rename', from: `daily.${i}`, to: `daily.${i + 1}` })),
      { op: 'rename', from: STAGING, to: 'daily.0' },
    ]);
  });

  it('holes stay holes', () => {
    const existing = new Set([STAGING, 'daily.0', 'daily.2', 'daily.5']);
    const ops = planLowest(existing, DAILY, STAGING);
    expect(ops).toEqual([
      { op: 'rename', from: 'daily.5', to: 'daily.6' },
      { op: 'rename', from: 'daily.2', to: 'daily.3' },
      { op: 'rename', from: 'daily.0', to: 'daily.1' },
      { op: 'rename', from: STAGING, to: 'daily.0' },
    ]);
    applyOps(existing, ops);
    expect([...existing].sort()).toEqual(['daily.0', 'daily.1', 'daily.3', 'daily.6']);
  });

  it('count 1: replaces L.0', () => {
    const level = { name: 'snap', count: 1, line: 1 };
    expect(planLowest(new Set([STAGING, 'snap.0']), level, STAGING)).toEqual([
      { op: 'delete', name: 'snap.0' },
      { op: 'rename', from: STAGING, to: 'snap.0' },
    ]);
    expect(planLowest(new Set([STAGING]), level, STAGING)).toEqual([
      { op: 'rename', from: STAGING, to: 'snap.0' },
    ]);
  });

  it('refuses without a staged snapshot (a failed run rotates nothing)', () => {
    expect(() => planLowest(new Set(['daily.0', 'daily.6']), DAILY, STAGING)).toThrow(RotateRefused);
  });
});

describe('planHigher', () => {
  it('moves prev.(pmax) to name.0 after dropping and shifting (§2.3)', () => {
    const existing = new Set(['daily.6', 'weekly.0', 'weekly.1', 'weekly.3']);
    expect(planHigher(existing, LEVELS, 'weekly')).toEqual([
      { op: 'delete', name: 'weekly.3' },
      { op: 'rename', from: 'weekly.1', to: 'weekly.2' },
      { op: 'rename', from: 'weekly.0', to: 'weekly.1' },
      { op: 'rename', from: 'daily.6', to: 'weekly.0' },
    ]);
  });

  it('refuses with the rsnapshot 1.5 message and changes nothing', () => {
    const existing = new Set(['daily.0', 'daily.5', 'weekly.0', 'weekly.3']);
    const before = [...existing];
    expect(() => planHigher(existing, LEVELS, 'weekly')).toThrow(
      new RotateRefused(
        'Did not find previous interval max (daily.6), refusing to rotate this level (weekly)',
      ),
    );
    expect(() => planHigher(new Set(['weekly.0', 'weekly.2']), LEVELS, 'monthly')).toThrow(
      'Did not find previous interval max (weekly.3), refusing to rotate this level (monthly)',
    );
    expect(() => planHigher(existing, LEVELS, 'weekly')).toThrow(RotateRefused);
    expect([...existing]).toEqual(before);
  });

  it('rejects the lowest level and unknown levels', () => {
    expect(() => planHigher(new Set(), LEVELS, 'daily')).toThrow(/lowest level/);
    expect(() => planHigher(new Set(), LEVELS, 'yearly')).toThrow(/unknown backup level/);
  });
});

describe('applyOps', () => {
  it('is all-or-nothing on an impossible plan', () => {
    const existing = new Set(['a', 'b']);
    expect(() =>
      applyOps(existing, [
        { op: 'delete', name: 'a' },
        { op: 'rename', from: 'x', to: 'y' },
      ]),
    ).toThrow();
    expect(() => applyOps(existing, [{ op: 'rename', from: 'a', to: 'b' }])).toThrow(/target exists/);
    expect([...existing]).toEqual(['a', 'b']);
  });
});

describe('130-day calendar simulation (§2.3; rsnapshot 1.5, daily 7 / weekly 4 / monthly 3)', () => {
  interface DayResult {
    refused: Map<string, string>;
    held: Map<string, string>;
  }
  const days = new Map<string, DayResult>();
  const existing = new Set<string>();
  const held = new Map<string, string>();
  for (let d = 0; d < 130; d++) {
    const date = new Date(Date.UTC(2024, 0, 1 + d));
    const md = date.toISOString().slice(5, 10);
    const refused = new Map<string, string>();
    // cron order: monthly on the 1st, then weekly on Sundays, then daily
    const higher = [
      ...(date.getUTCDate() === 1 ? ['monthly'] : []),
      ...(date.getUTCDay() === 0 ? ['weekly'] : []),
    ];
    for (const name of higher) {
      try {
        run(existing, held, planHigher(existing, LEVELS, name));
      } catch (e) {
        if (!(e instanceof RotateRefused)) throw e;
        refused.set(name, e.message);
      }
    }
    existing.add(STAGING); // today's snapshot, built and verified in staging
    held.set(STAGING, md);
    run(existing, held, planLowest(existing, DAILY, STAGING));
    days.set(md, { refused, held: new Map(held) });
  }
  const day = (md: string): DayResult => days.get(md)!;
  const [daily, weekly, monthly] = [LEVELS[0]!, LEVELS[1]!, LEVELS[2]!];
  const U = undefined;

  it('covers Mon 2024-01-01 … 2024-05-09', () => {
    expect([...days.keys()][0]).toBe('01-01');
    expect([...days.keys()].at(-1)).toBe('05-09');
  });

  it('01-07 Sun: weekly refused (no daily.6 yet); d0=01-07 … d6=01-01', () => {
    expect(day('01-07').refused.get('weekly')).toBe(
      'Did not find previous interval max (daily.6), refusing to rotate this level (weekly)',
    );
    expect(slots(day('01-07').held, daily)).toEqual([
      '01-07',
      '01-06',
      '01-05',
      '01-04',
      '01-03',
      '01-02',
      '01-01',
    ]);
    expect(slots(day('01-07').held, weekly)).toEqual([U, U, U, U]);
  });

  it('01-14 Sun: weekly ok, w0=01-07 (= old d6); d0=01-14 … d6=01-08', () => {
    expect(day('01-14').refused.size).toBe(0);
    expect(slots(day('01-14').held, weekly)).toEqual(['01-07', U, U, U]);
    expect(slots(day('01-14').held, daily)).toEqual([
      '01-14',
      '01-13',
      '01-12',
      '01-11',
      '01-10',
      '01-09',
      '01-08',
    ]);
  });

  it('02-01 Thu: monthly refused (no weekly.3 yet), nothing above daily changes', () => {
    expect(day('02-01').refused.get('monthly')).toBe(
      'Did not find previous interval max (weekly.3), refusing to rotate this level (monthly)',
    );
    expect(slots(day('02-01').held, weekly)).toEqual(slots(day('01-31').held, weekly));
    expect(slots(day('02-01').held, monthly)).toEqual([U, U, U]);
  });

  it('02-04 Sun: w0=01-28 w1=01-21 w2=01-14 w3=01-07', () => {
    expect(slots(day('02-04').held, weekly)).toEqual(['01-28', '01-21', '01-14', '01-07']);
  });

  it('03-01 Fri: monthly ok, m0=01-28 (= old w3); weekly has w0..w2 only until Sunday', () => {
    expect(day('03-01').refused.size).toBe(0);
    expect(slots(day('03-01').held, monthly)).toEqual(['01-28', U, U]);
    expect(slots(day('03-01').held, weekly)).toEqual(['02-18', '02-11', '02-04', U]);
    expect(slots(day('03-03').held, weekly)).toEqual(['02-25', '02-18', '02-11', '02-04']);
  });

  it('04-01 Mon: m0=03-03 m1=01-28', () => {
    expect(slots(day('04-01').held, monthly)).toEqual(['03-03', '01-28', U]);
  });

  it('05-08 Wed: full state', () => {
    const { held: h } = day('05-08');
    expect(slots(h, daily)).toEqual(['05-08', '05-07', '05-06', '05-05', '05-04', '05-03', '05-02']);
    expect(slots(h, weekly)).toEqual(['04-28', '04-21', '04-14', '04-07']);
    expect(slots(h, monthly)).toEqual(['03-31', '03-03', '01-28']);
    expect(h.size).toBe(14);
  });
});

describe('property: lowest-level runs keep daily slots strictly newest-first', () => {
  type Action = { t: 'run' } | { t: 'hole'; i: number } | { t: 'weekly' };
  const action: fc.Arbitrary<Action> = fc.oneof(
    { arbitrary: fc.constant({ t: 'run' as const }), weight: 4 },
    { arbitrary: fc.record({ t: fc.constant('hole' as const), i: fc.nat(9) }), weight: 1 },
    { arbitrary: fc.constant({ t: 'weekly' as const }), weight: 1 },
  );

  it('holds after any sequence of runs, manual deletions and higher-level rotations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(action, { maxLength: 60 }), (count, actions) => {
        const levels: RsnapshotLevel[] = [
          { name: 'daily', count, line: 1 },
          { name: 'weekly', count: 3, line: 2 },
        ];
        const existing = new Set<string>();
        const held = new Map<string, number>();
        let runNo = 0;
        for (const a of actions) {
          if (a.t === 'run') {
            existing.add(STAGING);
            held.set(STAGING, ++runNo);
            run(existing, held, planLowest(existing, levels[0]!, STAGING));
            expect(held.get('daily.0')).toBe(runNo);
          } else if (a.t === 'hole') {
            if (existing.has(`daily.${a.i}`)) run(existing, held, [{ op: 'delete', name: `daily.${a.i}` }]);
          } else {
            try {
              run(existing, held, planHigher(existing, levels, 'weekly'));
            } catch (e) {
              if (!(e instanceof RotateRefused)) throw e;
            }
          }
          const names = [...existing].filter((n) => n.startsWith('daily.'));
          expect(names.every((n) => Number(n.slice(6)) < count)).toBe(true);
          const dates = slots(held, levels[0]!).filter((v) => v !== undefined);
          for (let i = 1; i < dates.length; i++) expect(dates[i]!).toBeLessThan(dates[i - 1]!);
          expect(new Set(dates).size).toBe(dates.length);
        }
      }),
    );
  });
});
