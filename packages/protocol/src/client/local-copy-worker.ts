/**
 * Entry of the worker thread that runs the sending half of a local copy
 * (local-copy.ts): the file list scan and the reading of source files happen
 * here while the main thread receives, as rsync's sender is a process of its
 * own. Everything crosses the one channel to the parent, in order: protocol
 * bytes (port-transport.ts), the sender's messages, and the result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { portTransport, serializeError } from '../transport/port-transport.js';
import { runLocalSender, type LocalSenderJob } from './local-sender.js';
import type { SenderWorkerMessage } from './local-copy.js';

const port = parentPort;
if (!port) throw new Error('local-copy-worker: not in a worker thread');
const job = workerData as LocalSenderJob;
const transport = portTransport(port);
// after the protocol bytes written before it
const post = (m: SenderWorkerMessage) => transport.send(m);
runLocalSender(job, transport, {
  message: (level, text) => post({ k: 'message', level, text }),
}).then(
  (r) => {
    post({ k: 'done', result: { exitCode: r.exitCode, stats: { ...r.stats }, settings: r.settings } });
    transport.detach();
  },
  (e: unknown) => {
    post({ k: 'failed', err: serializeError(e) });
    transport.detach();
  },
);
