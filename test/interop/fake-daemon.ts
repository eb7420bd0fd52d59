/**
 * A scriptable fake rsync daemon for malicious-peer tests: it does the text
 * handshake at a chosen protocol, then hands the raw connection to a script
 * that writes whatever bytes the test wants (a crafted file list, bad
 * indexes, ...). Binds 127.0.0.1 only; every connection has a deadline.
 */
import net from 'node:net';
import { encodeFrame } from '@tsrsync/protocol';

export interface FakeConnection {
  /** Arguments the client sent. */
  args: string[];
  protocol: number;
  write(b: Uint8Array): void;
  /** Sends `b` as MSG_DATA frames. */
  data(b: Uint8Array): void;
  /** Resolves once less than 1 MiB waits in the socket (or it closed): for scripts that stream. */
  drained(): Promise<void>;
  /** True once the client is gone. */
  readonly closed: boolean;
  /** Everything the client sent after its arguments. */
  received(): Buffer;
  end(): void;
}

export interface FakeDaemon {
  port: number;
  /** Resolves when the first connection's script finished and the socket closed. */
  done: Promise<void>;
  close(): Promise<void>;
}

export async function startFakeDaemon(
  protocol: number,
  script: (c: FakeConnection) => Promise<void> | void,
  timeoutMs = 10_000,
): Promise<FakeDaemon> {
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const server = net.createServer((sock) => {
    const timer = setTimeout(() => sock.destroy(), timeoutMs);
    sock.on('close', () => {
      clearTimeout(timer);
      resolveDone();
    });
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let stage: 'greet' | 'module' | 'args' | 'binary' = 'greet';
    const args: string[] = [];
    let after = Buffer.alloc(0);
    sock.write(`@RSYNCD: ${protocol}.0${protocol >= 30 ? ' md5 md4' : ''}\n`);
    const conn: FakeConnection = {
      args,
      protocol,
      write: (b) => void sock.write(b),
      data: (b) => {
        for (let i = 0; i < b.length; i += 32768)
          sock.write(encodeFrame(0, b.subarray(i, Math.min(b.length, i + 32768))));
      },
      drained: () =>
        new Promise<void>((r) => {
          // a turn of the event loop at least: the socket's own events must run
          if (sock.destroyed || sock.writableLength < 1 << 20) setImmediate(r);
          else {
            sock.once('drain', r);
            sock.once('close', r);
          }
        }),
      get closed() {
        return sock.destroyed;
      },
      received: () => after,
      end: () => sock.end(),
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (stage === 'binary') {
          after = Buffer.concat([after, buf]);
          buf = Buffer.alloc(0);
          return;
        }
        const sep = stage === 'args' && protocol >= 30 ? 0 : 0x0a;
        const i = buf.indexOf(sep);
        if (i < 0) return;
        const line = buf.subarray(0, i).toString('latin1');
        buf = buf.subarray(i + 1);
        if (stage === 'greet') stage = 'module';
        else if (stage === 'module') {
          sock.write('@RSYNCD: OK\n');
          stage = 'args';
        } else if (line === '') {
          stage = 'binary';
          after = Buffer.from(buf);
          buf = Buffer.alloc(0);
          void Promise.resolve(script(conn)).catch(() => sock.destroy());
          return;
        } else args.push(line);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    done,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
