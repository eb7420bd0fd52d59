import { startRecordingProxy } from '../interop/proxy.js';
import { spawn } from 'node:child_process';
const proxy = await startRecordingProxy(18873, 8000);
const args = process.argv.slice(2).map((a) => a.replace('PORT', String(proxy.port)));
const child = spawn('node', ['/work/main/packages/cli/bin/tsrsync.js', ...args], { stdio: 'inherit' });
const t = setTimeout(() => child.kill(), 4000);
child.on('exit', (c) => console.log('exit', c));
const cap = await proxy.capture.catch((e) => {
  console.log('capture', e.message);
  return undefined;
});
clearTimeout(t);
if (cap) {
  console.log(
    'C>S',
    cap.c2s.length,
    Buffer.from(cap.c2s)
      .toString('hex')
      .replace(/(.{64})/g, '$1\n'),
  );
  console.log('S>C', cap.s2c.length, Buffer.from(cap.s2c.subarray(cap.s2c.length - 200)).toString('hex'));
}
await proxy.close();
