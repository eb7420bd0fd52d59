/**
 * A transport over a separate readable and writable (our stdin and stdout
 * when a client runs us as `tsrsync --server` over a remote shell, or a
 * child's pipes).
 */
import type { Readable, Writable } from 'node:stream';
import { streamTransport, type Transport } from './transport.js';

export function pipeTransport(input: Readable, output: Writable): Transport {
  return streamTransport(input, output);
}
