/**
 * A recording TCP proxy on 127.0.0.1: forwards one connection to a target port
 * and keeps every byte of both directions. Used to capture what real rsync puts
 * on the wire (golden vectors) and to debug our own sessions.
 */
import net from 'node:net';

export interface Capture {
  /** Client → server bytes. */
  c2s: Buffer;
  /** Server → client bytes. */
  s2c: Buffer;
}

export interface RecordingProxy {
  port: number;
  /** Client → server bytes relayed so far (while the connection runs). */
  sentBytes(): number;
  /** Resolves with the first connection's bytes once both sides have closed. */
  capture: Promise<Capture>;
  close(): Promise<void>;
}

export async function startRecordingProxy(targetPort: number, timeoutMs = 30_000): Promise<RecordingProxy> {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  let sent = 0;
  let resolveCapture!: (c: Capture) => void;
  let rejectCapture!: (e: Error) => void;
  const capture = new Promise<Capture>((res, rej) => {
    resolveCapture = res;
    rejectCapture = rej;
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    server.close();
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let closed = 0;
    const timer = setTimeout(() => {
      client.destroy();
      upstream.destroy();
      rejectCapture(new Error('recording proxy: connection did not finish in time'));
    }, timeoutMs);
    const done = () => {
      if (++closed === 2) {
        clearTimeout(timer);
        resolveCapture({ c2s: Buffer.concat(c2s), s2c: Buffer.concat(s2c) });
      }
    };
    client.on('data', (d: Buffer) => {
      sent += d.length;
      c2s.push(Buffer.from(d));
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      s2c.push(Buffer.from(d));
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', done);
    upstream.on('close', done);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy: no port');
  return {
    port: addr.port,
    sentBytes: () => sent,
    capture,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
