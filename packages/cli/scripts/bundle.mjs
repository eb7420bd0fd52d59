// Bundles the built CLI (dist/bin.js and the packages it imports) into one module,
// dist/bundle/tsrsync.js, with the local-copy sender's worker entry beside it. Node 20
// loads ~150 small ES modules in ~100 ms; the bundle loads in ~40 ms, which is most of
// the difference on a transfer with nothing to do. bin/tsrsync.js uses the bundle
// when it is newer than every package's last build, dist/ otherwise.
// Run after `tsc -b` (npm run build / prepare).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: cli,
  entryPoints: {
    tsrsync: 'dist/bin.js',
    // local-copy.ts starts ./local-copy-worker.js beside the module it runs from
    'local-copy-worker': '../protocol/dist/client/local-copy-worker.js',
  },
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // yaml is loaded only for job files, by createRequire at run time; zstd-wasm finds its
  // .wasm file through __dirname, so it stays a package of its own
  external: ['yaml', '@bokuweb/zstd-wasm'],
  // the CommonJS parts (hash-wasm's builds) call require()
  banner: {
    js: "import { createRequire as __tsrsyncRequire } from 'node:module'; const require = __tsrsyncRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
