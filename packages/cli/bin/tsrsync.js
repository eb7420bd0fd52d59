#!/usr/bin/env node
import { main } from '../dist/bin.js';

// a closed pipe on our output (`tsrsync ls ... | head`) ends quietly, as with SIGPIPE
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
process.exitCode = await main(process.argv.slice(2));
