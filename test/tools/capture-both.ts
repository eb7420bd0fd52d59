/**
 * Debug aid: runs the same pull with tsrsync and with real rsync through a
 * recording proxy and prints both client->server streams in hex.
 *   npx tsx test/tools/capture-both.ts DAEMON_PORT MODULE_PATH DEST_PREFIX [flags...]
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startRecordingProxy } from '../interop/proxy.js';
import { main } from '../../packages/cli/src/bin.js';

const [port, mod, dest, ...flags] = process.argv.slice(2);
const hex = (b: Buffer) => b.toString('hex').replace(/(.{64})/g, '$1\n');
for (const who of ['tsrsync', 'rsync']) {
  rmSync(`${dest}-${who}`, { recursive: true, force: true });
  const p = await startRecordingProxy(Number(port));
  const url = `rsync://127.0.0.1:${p.port}/${mod}`;
  if (who === 'rsync') {
    const child = spawn('rsync', ['-a', ...flags, url, `${dest}-${who}`], { stdio: 'ignore' });
    await new Promise((r) => child.on('exit', r));
  } else
    await main(['pull', ...flags, url, `${dest}-${who}`], {
      out: () => undefined,
      err: (s) => void process.stderr.write(s),
    });
  const cap = await p.capture;
  await p.close();
  console.log(`== ${who} C>S ${cap.c2s.length}\n${hex(cap.c2s)}`);
}
