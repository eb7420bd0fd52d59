/**
 * Reading a socket into one buffer of our own.
 *
 * A net.Socket in stream mode allocates a new 64 KiB Buffer for every read()
 * and passes it through the Readable machinery: for a 1 GiB transfer that is
 * ~16,000 allocations of fresh heap (brk() and page faults: 0.25 s of kernel
 * time measured on 1 GiB) plus several ticks of stream bookkeeping each. Node's
 * `onread` socket option instead reads into a caller's buffer and calls back
 * with the length, but it is only accepted by the Socket constructor, and a
 * server's accepted sockets are constructed by Node. The option works by two
 * private slots the constructor fills (`kBuffer`, `kBufferCb`) and a handle
 * method (`useUserBuffer`); readIntoUserBuffer() fills the same slots on an
 * existing socket, after finding them by their descriptions. When they are not
 * there as expected (another Node), it changes nothing and says so.
 */
import type net from 'node:net';

/** Called for every read; `buf` holds the bytes at [0, nread) until it returns. False pauses reading. */
export type OnRead = (nread: number, buf: Buffer) => boolean;

interface Slots {
  buffer: symbol;
  callback: symbol;
}

interface Handle {
  useUserBuffer?: (buf: Uint8Array) => void;
  reading?: boolean;
}

/** The `onread` slots of `s` if this Node has them as Node 12-24 do, unused; else undefined. */
function slotsOf(s: net.Socket): Slots | undefined {
  const syms = Object.getOwnPropertySymbols(s);
  const find = (d: string) => syms.find((x) => x.description === d);
  const buffer = find('kBuffer');
  const callback = find('kBufferCb');
  const generator = find('kBufferGen');
  if (!buffer || !callback || !generator) return undefined;
  const own = s as unknown as Record<symbol, unknown>;
  // null until set: anything else is an onread socket already, or a layout we do not know
  if (own[buffer] !== null || own[callback] !== null || own[generator] !== null) return undefined;
  const h = (s as unknown as { _handle?: Handle | null })._handle;
  if (!h || typeof h.useUserBuffer !== 'function') return undefined;
  return { buffer, callback };
}

/**
 * Makes `s` read into `buf` and call `onRead` (as if created with
 * `onread: { buffer: buf, callback: onRead }`). Returns the bytes the stream
 * had already buffered, to be consumed before anything `onRead` gets; or
 * undefined, with nothing changed, when this Node's sockets do not look as
 * expected. Stream events ('end', 'close', 'error') keep working; 'data' and
 * read() get nothing from then on.
 */
export function readIntoUserBuffer(s: net.Socket, buf: Buffer, onRead: OnRead): Buffer[] | undefined {
  if (s.destroyed) return undefined;
  const slots = slotsOf(s);
  if (!slots) return undefined;
  const before: Buffer[] = [];
  for (let c = s.read() as Buffer | string | null; c !== null; c = s.read() as Buffer | string | null) {
    before.push(typeof c === 'string' ? Buffer.from(c) : c);
  }
  const own = s as unknown as Record<symbol, unknown>;
  own[slots.buffer] = buf;
  own[slots.callback] = onRead;
  const h = (s as unknown as { _handle: Handle })._handle;
  h.useUserBuffer!(buf);
  // Socket#read() starts the handle reading when it has a user buffer and is stopped
  if (!s.readableEnded) s.read(0);
  return before;
}
