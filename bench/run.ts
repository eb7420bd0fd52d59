/** `npm run bench`: all benchmarks. Not run under vitest. */
import { benchHashLibs } from './delta/hash-libs.js';
import { benchDelta } from './delta/delta.js';

const quick = process.argv.includes('--quick');
console.log(`# tsrsync bench ${new Date().toISOString()} node ${process.version}`);
console.log('\n## strong hash libraries (one hash per block, 64 MiB)\n');
for (const l of await benchHashLibs()) console.log(l);
console.log('\n## delta\n');
console.log('| case | result |\n|---|---|');
await benchDelta({ quick });
