/** --timeout: no data in either direction for that long ends the run with exit 30 (io.c: check_timeout()). */
import { TimeoutError } from '../errors.js';
import type { Transport } from '../transport/transport.js';
import type { DataIn } from './data-in.js';
import type { DataOut } from './data-out.js';

export class InactivityTimer {
  #secs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = Date.now();
  constructor(
    secs: number,
    private readonly t: Transport,
    input: DataIn,
    out: DataOut,
    private readonly role = 'receiver',
  ) {
    this.#secs = secs;
    input.onActivity = () => (this.#last = Date.now());
    out.onActivity = () => (this.#last = Date.now());
    this.#arm();
  }
  lower(secs: number): void {
    if (this.#secs === 0 || secs < this.#secs) {
      this.#secs = secs;
      this.#arm();
    }
  }
  #arm(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#secs <= 0) return;
    this.#timer = setInterval(
      () => {
        if (Date.now() - this.#last > this.#secs * 1000) {
          this.stop();
          this.t.destroy(
            new TimeoutError(`[${this.role}] io timeout after ${this.#secs} seconds -- exiting`),
          );
        }
      },
      Math.min(1000, this.#secs * 250),
    );
    this.#timer.unref();
  }
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
