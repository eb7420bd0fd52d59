#!/usr/bin/env node
import { statSync } from 'node:fs';

// The CLI as one module (dist/bundle, made by scripts/bundle.mjs after tsc -b) loads in a
// third of the time; a bundle older than any package's last build is stale: use dist/.
function bundleIsFresh(bundle) {
  const mtime = (u) => statSync(u, { throwIfNoEntry: false })?.mtimeMs;
  const b = mtime(bundle);
  if (b === undefined) return false;
  for (const p of ['delta', 'protocol', 'snapshot', 'cli']) {
    const built = mtime(new URL(`../../${p}/dist/.tsbuildinfo`, import.meta.url));
    if (built !== undefined && built > b) return false;
  }
  return true;
}
const bundle = new URL('../dist/bundle/tsrsync.js', import.meta.url);
const { main } = await import(
  process.env.TSRSYNC_NO_BUNDLE !== '1' && bundleIsFresh(bundle) ? bundle.href : '../dist/bin.js'
);

// a closed pipe on our output (`tsrsync ls ... | head`) ends quietly, as with SIGPIPE
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
process.exitCode = await main(process.argv.slice(2));
