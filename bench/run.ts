/** `npm run bench [-- --quick] [-- --only=delta,pull]`: all benchmarks. Not run under vitest. */
import { benchHashLibs } from './delta/hash-libs.js';
import { benchDelta } from './delta/delta.js';
import { benchInflateLibs } from './delta/inflate-libs.js';
import { benchPull } from './pull/pull.js';
import { benchSnapshot } from './snapshot/snapshot.js';
import { benchPush } from './push/push.js';
import { benchDaemon } from './daemon/daemon.js';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const want = (s: string) => !only || only.includes(s);
console.log(`# tsrsync bench ${new Date().toISOString()} node ${process.version}`);
if (want('hash')) {
  console.log('\n## strong hash libraries (one hash per block, 64 MiB)\n');
  for (const l of await benchHashLibs()) console.log(l);
  console.log('\n## inflate libraries (zlib token streams)\n');
  for (const l of await benchInflateLibs()) console.log(l);
}
if (want('delta')) {
  console.log('\n## delta\n');
  console.log('| case | result |\n|---|---|');
  await benchDelta({ quick });
}
if (want('pull')) {
  console.log('\n## pull from an rsync daemon (tmpfs, median of 3)\n');
  await benchPull({ quick });
}
if (want('snapshot')) {
  console.log('\n## snapshot vs rsync --link-dest (tmpfs, median of 3)\n');
  await benchSnapshot({ quick });
}
if (want('push')) {
  console.log('\n## push to an rsync daemon, and local copies (tmpfs, median of 3)\n');
  await benchPush({ quick });
}
if (want('daemon')) {
  console.log('\n## tsrsync daemon vs rsync --daemon, rsync 3.5.0 as the client (tmpfs, median of 3)\n');
  await benchDaemon({ quick });
}
