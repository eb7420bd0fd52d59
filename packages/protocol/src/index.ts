// codecs
export * from './errors.js';
export * from './constants.js';
export * from './wire/reader.js';
export * from './wire/writer.js';
export * from './wire/ndx.js';
export * from './mux/frame.js';
export * from './flist/names.js';
export * from './flist/file-entry.js';
export * from './flist/id-list.js';
export * from './flist/sort.js';
export * from './wire/compat.js';
export * from './transfer/sum-head.js';
export * from './transfer/item.js';
export * from './transfer/tokens.js';
export * from './transfer/stats.js';
// end codecs
// daemon
export * from './transport/index.js';
export * from './daemon/index.js';
// end daemon
// transfer engine
export * from './options/transfer-options.js';
export * from './options/chmod.js';
export * from './options/server-args.js';
export * from './filter/index.js';
export * from './session/data-in.js';
export * from './session/data-out.js';
export * from './session/settings.js';
export * from './session/setup.js';
export * from './receiver/reporter.js';
export * from './flist/file-list.js';
export { pullFromDaemon, type DaemonPullOptions } from './client/pull.js';
export { pushToDaemon, type DaemonPushOptions } from './client/push.js';
export { localCopy, type LocalCopyOptions } from './client/local-copy.js';
export {
  runClientSend,
  runSendingSide,
  type ClientSendOptions,
  type SendSideOptions,
} from './client/send-session.js';
export { runServerReceiving, messagesToClient, type ServerReceiveOptions } from './server/receive-server.js';
export { flistOptionsFor } from './flist/flist-options.js';
export { PlainTokens, type TokenSink } from './sender/sender.js';
export type { TransferResult, ReceiverHooks } from './client/receive-session.js';
export type { BasisFinder } from './receiver/context.js';
export type { DaemonTarget } from './client/daemon-connect.js';
export { transferExitCode } from './client/exit-code.js';
export * from './options/parse-server-args.js';
export { serveSession, type ServeOptions, type ReceiveRun } from './server/serve.js';
export {
  parseRsyncdConf,
  RsyncdConfError,
  type DaemonConfig,
  type ModuleConfig,
  type AuthUser,
} from './daemon-server/config.js';
export {
  startDaemonServer,
  daemonHooks,
  logLine,
  type DaemonServer,
  type DaemonServerOptions,
} from './daemon-server/daemon.js';
export {
  handleConnection,
  type ConnectionInfo,
  type DaemonHooks,
} from './daemon-server/session.js';
export { serveSessionProcess } from './daemon-server/session-process.js';
export type { SessionJob } from './daemon-server/session-job.js';
export { readAccounts, type AccountDb } from './daemon-server/accounts.js';
export { moduleIdentity, type ModuleIdentity } from './daemon-server/identity.js';
export {
  pullOverShell,
  pushOverShell,
  type ShellTarget,
  type ShellPullOptions,
  type ShellPushOptions,
} from './client/shell.js';
