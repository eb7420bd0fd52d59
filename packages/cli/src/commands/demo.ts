/**
 * `npm run demo` / `tsrsync demo`: the main job on an embedded default, with
 * nothing installed but Node. Builds a small website under a temp dir, serves
 * it as module `www` with `tsrsync daemon` on 127.0.0.1 (a port the kernel
 * picks), takes a link-dest snapshot of rsync://127.0.0.1:PORT/www/ over the
 * rsync protocol, edits a few files, takes another, and shows what the two
 * snapshots share.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeOptions, ARCHIVE, parseRsyncdConf, pullFromDaemon } from '@tsrsync/protocol';
import { listSnapshots, snapshot, type SnapshotSource } from '@tsrsync/snapshot';
import { stdio, type ConsoleOutput } from '../output.js';
import { VERSION } from '../version.js';
import { startDaemon } from './daemon.js';

function makeSite(dir: string): void {
  const w = (p: string, data: string | Uint8Array) => {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), data);
  };
  w('index.html', '<!doctype html><title>Demo</title><h1>Welcome</h1>\n');
  w('css/site.css', 'body { font-family: sans-serif; }\n'.repeat(50));
  for (let i = 1; i <= 20; i++)
    w(`blog/post-${i}.html`, `<article>Post ${i}\n${'lorem ipsum '.repeat(200)}</article>\n`);
  for (let i = 1; i <= 8; i++) w(`images/photo-${i}.jpg`, randomBytes(200_000));
  w('downloads/brochure.pdf', randomBytes(1_500_000));
}

const mib = (n: number) => (n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(2)} MiB`);

export async function runDemo(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const keep = argv.includes('--keep-files');
  const work = mkdtempSync(path.join(os.tmpdir(), 'tsrsync-demo-'));
  const site = path.join(work, 'www');
  const root = path.join(work, 'backups');
  io.out(`tsrsync ${VERSION} demo in ${work}\n\n`);
  makeSite(site);
  const config = parseRsyncdConf(
    `[www]\n  path = ${site}\n  comment = the demo website\n  munge symlinks = no\n`,
    'demo rsyncd.conf',
  );
  const daemon = await startDaemon(config, { port: 0, address: '127.0.0.1' });
  const url = `rsync://127.0.0.1:${daemon.port}/www/`;
  io.out(`serving ${site} as ${url} (tsrsync daemon)\n\n`);
  const source: SnapshotSource = {
    description: url,
    run: (r) =>
      pullFromDaemon({
        target: { host: '127.0.0.1', port: daemon.port, module: 'www' },
        paths: [''],
        dest: r.dest,
        options: r.options,
        reporter: r.reporter,
        hooks: r.hooks,
      }),
  };
  const t0 = Date.now();
  try {
    const first = await snapshot({
      root,
      source,
      transfer: makeOptions({ ...ARCHIVE, wholeFile: false }),
      now: new Date(t0),
    });
    io.out(`1. snapshot ${first.name}: ${first.manifest?.transferredFiles} files pulled from ${url}\n`);
    writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>Demo</title><h1>Welcome back</h1>\n');
    writeFileSync(path.join(site, 'blog/post-21.html'), '<article>A new post</article>\n');
    rmSync(path.join(site, 'blog/post-1.html'));
    const pdf = path.join(site, 'downloads/brochure.pdf');
    const brochure = readFileSync(pdf);
    randomBytes(4096).copy(brochure, 700_000);
    writeFileSync(pdf, brochure);
    // an edit a minute later, as in real life (rsync's quick check compares whole seconds)
    for (const f of [pdf, path.join(site, 'index.html'), path.join(site, 'blog/post-21.html')])
      utimesSync(f, new Date(t0 + 60_000), new Date(t0 + 60_000));
    io.out('2. edited index.html and 4 KiB of the brochure, added a post, deleted a post\n');
    const second = await snapshot({
      root,
      source,
      transfer: makeOptions({ ...ARCHIVE, wholeFile: false }),
      now: new Date(t0 + 60_000),
      keep: { last: 7 },
    });
    const m = second.manifest!;
    io.out(
      `3. snapshot ${second.name}: ${m.transferredFiles} files transferred (${m.literalBytes} literal bytes), ` +
        `${m.linkedFiles} unchanged files hard-linked to the first snapshot\n\n`,
    );
    io.out(
      `${'SNAPSHOT'.padEnd(20)} ${'FILES'.padStart(6)} ${'SIZE'.padStart(10)} ${'NEW'.padStart(10)} ${'SHARED'.padStart(10)}\n`,
    );
    for (const s of listSnapshots(root)) {
      io.out(
        `${(s.name + (s.isLatest ? ' *' : '')).padEnd(20)} ${String(s.files).padStart(6)} ${mib(s.totalBytes).padStart(10)} ` +
          `${mib(s.newBytes).padStart(10)} ${mib(s.sharedBytes).padStart(10)}\n`,
      );
    }
    io.out(`\n${root}/latest -> ${second.name}; browse with: tsrsync snapshots ${root}\n`);
    return 0;
  } finally {
    await daemon.close();
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}
