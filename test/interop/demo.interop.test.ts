/** `npm run demo`: the embedded default (a website served by tsrsync daemon, two snapshots) works and says what it did. */
import { expect, it } from 'vitest';
import { tsrsync } from './cli-run.js';

it(
  'serves the demo site with tsrsync daemon and takes two snapshots that share the unchanged files',
  { timeout: 60_000 },
  async () => {
    const r = await tsrsync('demo');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/serving .* as rsync:\/\/127\.0\.0\.1:\d+\/www\/ \(tsrsync daemon\)/);
    expect(r.stdout).toMatch(/1\. snapshot \S+: 31 files pulled from rsync:/);
    expect(r.stdout).toMatch(
      /3\. snapshot \S+: 3 files transferred \(\d+ literal bytes\), 28 unchanged files hard-linked/,
    );
    const rows = r.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT\d{6}Z/.test(l));
    expect(rows.length).toBe(2);
    // the literal bytes are the edits, not the 1.5 MB brochure
    expect(Number(/\((\d+) literal bytes\)/.exec(r.stdout)![1])).toBeLessThan(100_000);
  },
);
