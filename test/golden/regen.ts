/**
 * Regenerates test/golden/fixtures/: for each case in cases.ts, real rsync 3.5.0
 * pulls `mod/f` (the golden target) from a real rsync 3.5.0 daemon into a
 * destination holding the golden basis, through a recording proxy. Both
 * directions of the connection are written as `<name>.c2s.bin` / `<name>.s2c.bin`.
 *
 *   npx tsx test/golden/regen.ts
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDirs, runRsync, startRsyncDaemon } from '../interop/harness.js';
import { startRecordingProxy } from '../interop/proxy.js';
import { GOLDEN_CASES } from './cases.js';
import { GOLDEN_MTIME, GOLDEN_SEED, goldenPair } from './data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures');

async function main(): Promise<void> {
  const { basis, target } = goldenPair();
  const root = await makeTempDir('tsrsync-golden-');
  const mod = path.join(root, 'mod');
  await fsp.mkdir(mod);
  await fsp.writeFile(path.join(mod, 'f'), target);
  await fsp.utimes(path.join(mod, 'f'), GOLDEN_MTIME, GOLDEN_MTIME);
  const daemon = await startRsyncDaemon({ modules: { mod: { path: mod } } });
  await fsp.mkdir(fixtures, { recursive: true });
  try {
    for (const c of GOLDEN_CASES) {
      const dst = path.join(root, `dst-${c.name}`);
      await fsp.mkdir(dst);
      await fsp.writeFile(path.join(dst, 'f'), basis);
      const proxy = await startRecordingProxy(daemon.port);
      const args = [
        '-t',
        '-I',
        '--no-whole-file',
        `--checksum-seed=${GOLDEN_SEED}`,
        `--protocol=${c.protocol}`,
        ...(c.choice ? [`--checksum-choice=${c.choice}`] : []),
        `rsync://127.0.0.1:${proxy.port}/mod/f`,
        path.join(dst, 'f'),
      ];
      const r = await runRsync(args);
      const cap = await proxy.capture;
      await proxy.close();
      if (r.code !== 0) throw new Error(`${c.name}: rsync exited ${r.code}: ${r.stderr}`);
      const got = await fsp.readFile(path.join(dst, 'f'));
      if (!got.equals(Buffer.from(target))) throw new Error(`${c.name}: rsync produced a wrong file`);
      await fsp.writeFile(path.join(fixtures, `${c.name}.c2s.bin`), cap.c2s);
      await fsp.writeFile(path.join(fixtures, `${c.name}.s2c.bin`), cap.s2c);
      console.log(`${c.name}: c2s ${cap.c2s.length} B, s2c ${cap.s2c.length} B`);
    }
  } finally {
    await daemon.stop();
    await removeTempDirs();
  }
}

await main();
