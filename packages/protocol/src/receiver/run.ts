/**
 * Running the receiving side (main.c:do_recv()): the generator and the
 * receiver side by side, then the final goodbye.
 */
import { NDX_DONE } from '../constants.js';
import type { ReceiveContext } from './context.js';
import type { FlistReceiver } from './flist-recv.js';
import { Generator } from './generator.js';
import { Receiver } from './receiver.js';

export interface ReceivingSide {
  generator: Generator;
  receiver: Receiver;
}

/**
 * Runs both roles to the end of the protocol. `abort` is called with the
 * first failure (the caller tears the connection down so the other role
 * stops waiting); the returned promise rejects with that failure.
 */
export async function runReceivingSide(
  ctx: ReceiveContext,
  flists: FlistReceiver,
  abort: (e: unknown) => void,
): Promise<ReceivingSide> {
  const generator = new Generator(ctx);
  for (const l of ctx.flist.lists) generator.onList(l);
  flists.onList = (l) => generator.onList(l);
  const receiver = new Receiver(ctx, flists);
  let failed = false;
  let first: unknown;
  const fail = (e: unknown) => {
    if (!failed) {
      failed = true;
      first = e;
      ctx.signals.fail(e);
      abort(e);
    }
    throw e;
  };
  const gen = (async () => {
    await generator.run();
    if (ctx.beforeGoodbye) {
      await ctx.out.flush();
      await ctx.beforeGoodbye();
    }
    if (ctx.s.protocol >= 24) generator.writeNdx(NDX_DONE);
    await ctx.out.flush();
  })().catch(fail);
  const rcv = receiver.run().catch(fail);
  await Promise.allSettled([gen, rcv]);
  generator.close();
  if (failed) throw first;
  return { generator, receiver };
}
