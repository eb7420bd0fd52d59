/**
 * rsnapshot users: an rsnapshot.conf like the cwRsync how-to one
 * (`backup host::websites websites/`, daily 7 / weekly 4 / monthly 3) run
 * by `tsrsync snapshot --config FILE LEVEL` over a simulated month with
 * rsnapshot's cron order, against a real rsync daemon; and the same layout
 * from the command line (--layout rsnapshot).
 */
import { promises as fsp, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsrsync } from './cli-run.js';
import { setMtimeNs } from './fixture-tree.js';
import { makeTempDir, removeTempDirs, startRsyncDaemon, type RsyncDaemon } from './harness.js';
import { prng } from '../golden/data.js';

let daemon: RsyncDaemon;
let work: string;
let src: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-rsnap-');
  src = path.join(work, 'websites');
  await fsp.mkdir(path.join(src, 'site/img'), { recursive: true });
  await fsp.writeFile(path.join(src, 'site/img/photo.jpg'), prng(5, 400_000));
  await fsp.writeFile(path.join(src, 'site/index.html'), '<html></html>\n');
  daemon = await startRsyncDaemon({ modules: { websites: { path: src, extra: { uid: '0', gid: '0' } } } });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

const day = (d: Date) => d.toISOString().slice(5, 10);
const held = (root: string, slot: string) => {
  try {
    return readFileSync(path.join(root, slot, 'websites/date.txt'), 'utf8');
  } catch {
    return undefined;
  }
};

describe('tsrsync snapshot --config rsnapshot.conf', () => {
  it(
    'keeps rsnapshot 1.5 layout over a simulated month (daily 7, weekly 4, monthly 3)',
    { timeout: 120_000 },
    async () => {
      const root = path.join(work, 'backup');
      const conf = path.join(work, 'rsnapshot.conf');
      await fsp.writeFile(
        conf,
        [
          'config_version\t1.2',
          `snapshot_root\t${root}/`,
          'cmd_rsync\t/usr/bin/rsync',
          'retain\tdaily\t7',
          'retain\tweekly\t4',
          'retain\tmonthly\t3',
          'link_dest\t1',
          'exclude\t*.tmp',
          `backup\t${daemon.url('websites')}/\twebsites/`,
          '',
        ].join('\n'),
      );
      const run = (level: string) => tsrsync('snapshot', '-q', '--config', conf, level);
      const photoInodes = new Set<number>();
      for (let t = Date.UTC(2024, 0, 1); t <= Date.UTC(2024, 1, 4); t += 86_400_000) {
        const d = new Date(t);
        await fsp.writeFile(path.join(src, 'date.txt'), day(d));
        setMtimeNs(path.join(src, 'date.txt'), t / 1000, 0);
        await fsp.writeFile(path.join(src, 'junk.tmp'), 'excluded');
        if (d.getUTCDate() === 1 && t > Date.UTC(2024, 0, 1)) {
          const r = await run('monthly');
          if (day(d) === '02-01') {
            expect(r.code).toBe(1);
            expect(r.stderr).toContain(
              'Did not find previous interval max (weekly.3), refusing to rotate this level (monthly)',
            );
          }
        }
        if (d.getUTCDay() === 0) {
          const r = await run('weekly');
          if (day(d) === '01-07') {
            expect(r.code).toBe(1);
            expect(r.stderr).toContain(
              'Did not find previous interval max (daily.6), refusing to rotate this level (weekly)',
            );
          } else expect(r.code, r.stderr).toBe(0);
        }
        const r = await run('daily');
        expect(r.code, r.stderr).toBe(0);
        photoInodes.add(statSync(path.join(root, 'daily.0/websites/site/img/photo.jpg')).ino);
        if (day(d) === '01-14') {
          expect(held(root, 'weekly.0')).toBe('01-07');
          expect([0, 1, 2, 3, 4, 5, 6].map((i) => held(root, `daily.${i}`))).toEqual([
            '01-14',
            '01-13',
            '01-12',
            '01-11',
            '01-10',
            '01-09',
            '01-08',
          ]);
        }
      }
      // state on Sun 2024-02-04 after its runs (snapshot-tools.md §2.3 table)
      expect([0, 1, 2, 3].map((i) => held(root, `weekly.${i}`))).toEqual([
        '01-28',
        '01-21',
        '01-14',
        '01-07',
      ]);
      expect([0, 1, 2, 3, 4, 5, 6].map((i) => held(root, `daily.${i}`))).toEqual([
        '02-04',
        '02-03',
        '02-02',
        '02-01',
        '01-31',
        '01-30',
        '01-29',
      ]);
      expect(
        readdirSync(root)
          .filter((n) => !n.startsWith('.'))
          .sort(),
      ).toEqual(
        [...[0, 1, 2, 3, 4, 5, 6].map((i) => `daily.${i}`), ...[0, 1, 2, 3].map((i) => `weekly.${i}`)].sort(),
      );
      // unchanged files are one inode across every slot; excluded files are absent
      expect(photoInodes.size).toBe(1);
      expect(statSync(path.join(root, 'weekly.3/websites/site/img/photo.jpg')).ino).toBe([...photoInodes][0]);
      expect(readdirSync(path.join(root, 'daily.0/websites'))).not.toContain('junk.tmp');
    },
  );

  it('reports configuration errors with their line', async () => {
    const conf = path.join(work, 'bad.conf');
    await fsp.writeFile(conf, 'config_version\t1.2\nsnapshot_root /x/\n');
    const r = await tsrsync('snapshot', '--config', conf, 'daily');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${conf}:2:`);
    expect(r.stderr).toContain('missing tabs');
  });

  it('a failed transfer rotates nothing', async () => {
    const root = path.join(work, 'fail');
    const base = ['snapshot', '-q', '--layout', 'rsnapshot', '--keep', 'daily=3,weekly=2'];
    expect((await tsrsync(...base, '--level', 'daily', `${daemon.url('websites')}/`, root)).code).toBe(0);
    expect((await tsrsync(...base, '--level', 'daily', `${daemon.url('websites')}/`, root)).code).toBe(0);
    const before = readdirSync(root)
      .filter((n) => !n.startsWith('.'))
      .sort();
    const inodes = before.map((n) => statSync(path.join(root, n)).ino);
    const r = await tsrsync(...base, '--level', 'daily', `${daemon.url('websites')}/missing`, root);
    expect(r.code).toBe(23);
    expect(
      readdirSync(root)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    ).toEqual(before);
    expect(before.map((n) => statSync(path.join(root, n)).ino)).toEqual(inodes);
    expect(before).toEqual(['daily.0', 'daily.1']);
  });

  it('a local backup point is repeated under its destination, as with --relative', async () => {
    const root = path.join(work, 'local-root');
    const conf = path.join(work, 'local.conf');
    await fsp.writeFile(
      conf,
      `config_version\t1.2\nsnapshot_root\t${root}\nretain\talpha\t2\nbackup\t${src}/\tlocalhost/\n`,
    );
    const r1 = await tsrsync('snapshot', '-q', '--config', conf, 'alpha');
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    const inSnap = (slot: string) =>
      path.join(root, slot, 'localhost', src.replace(/^\/+/, ''), 'site/img/photo.jpg');
    expect(readFileSync(inSnap('alpha.0')).equals(readFileSync(path.join(src, 'site/img/photo.jpg')))).toBe(
      true,
    );
    expect((await tsrsync('snapshot', '-q', '--config', conf, 'alpha')).code).toBe(0);
    expect(statSync(inSnap('alpha.0')).ino).toBe(statSync(inSnap('alpha.1')).ino);
  });
});
