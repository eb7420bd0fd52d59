/**
 * The transfer part of a daemon session, after the text phase decided
 * everything: plain data (structured-cloneable), so that it can run in this
 * process or in a process of the module's user (session-process.ts).
 */
import type { FilterRule } from '../filter/rules.js';
import type { ServerInvocation } from '../options/parse-server-args.js';
import { serveSession } from '../server/serve.js';
import type { Transport } from '../transport/transport.js';
import type { ModuleConfig } from './config.js';
import type { ModuleIdentity } from './identity.js';
import type { DaemonHooks } from './session.js';

export interface SessionJob {
  module: ModuleConfig;
  inv: ServerInvocation;
  protocol: number;
  serverFilters: FilterRule[];
  refuse: { message: string; code: number } | undefined;
  /** `user@host` for snapshot manifests. */
  who: string;
  /** Receive as an unprivileged user would (no chown, no devices, no set-id bits). */
  actAsUser: boolean;
  /** The module's user and groups, when the session runs as them in a process of its own. */
  identity?: ModuleIdentity | undefined;
}

/** Runs the transfer of `job` over `t` (bytes already read past the text phase in `leftover`). */
export function serveJob(
  job: SessionJob,
  t: Transport,
  leftover: Uint8Array,
  snapshotPush: DaemonHooks['snapshotPush'],
): Promise<number> {
  const { module: m, inv } = job;
  return serveSession({
    transport: t,
    inv,
    exchangeVersions: false,
    protocol: job.protocol,
    leftover,
    serverFilters: job.serverFilters,
    // no chown, no devices: what the module's unprivileged uid could do
    ...(job.actAsUser ? { amRoot: false } : {}),
    refuse: job.refuse,
    receive:
      !inv.amSender && m.snapshot && snapshotPush && !job.refuse
        ? (run, tell) => snapshotPush(m, run, inv, job.who, tell)
        : undefined,
  });
}
