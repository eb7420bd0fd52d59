/**
 * A transport over a separate readable and writable (our stdin and stdout
 * when a client runs us as `tsrsync --server` over a remote shell, or a
 * child's pipes).
 */
import { Duplex, type Readable, type Writable } from 'node:stream';
import { duplexTransport, type Transport } from './transport.js';

export function pipeTransport(input: Readable, output: Writable): Transport {
  const d = Duplex.from({ readable: input, writable: output });
  return duplexTransport(d);
}
