/** A raw TCP client of a daemon on 127.0.0.1, for tests that speak the protocol by hand. */
import net from 'node:net';

/** Collects what it receives and when the server closed. */
export class RawClient {
  received = Buffer.alloc(0);
  closedAt: number | undefined;
  private waiters: (() => void)[] = [];
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    // a server that resets a connection it refuses is fine: 'close' follows
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closedAt = Date.now();
      this.wake();
    });
  }

  static connect(port: number, timeoutMs = 5000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      const c = new RawClient(sock);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect to 127.0.0.1:${port} timed out`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve(c);
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get text(): string {
    return this.received.toString('latin1');
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  write(data: string | Uint8Array): void {
    if (!this.sock.destroyed && this.sock.writable) this.sock.write(data);
  }

  /** Half-closes our side (the server reads end of stream). */
  end(): void {
    if (!this.sock.destroyed) this.sock.end();
  }

  /** Waits until `pred` holds; false on timeout (or when the socket closed without it). */
  async until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return pred();
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  /** Waits for the server to close the connection; false on timeout. */
  waitClosed(timeoutMs = 3000): Promise<boolean> {
    return this.until(() => this.closed, timeoutMs);
  }

  destroy(): void {
    this.sock.destroy();
  }
}
