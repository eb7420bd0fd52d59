/**
 * A snapshot-level refusal or failure (locked ROOT, empty source, a level that
 * cannot rotate yet...). `exitCode` is the process exit status: 1 for
 * refusals, or the transfer's rsync code when the transfer failed.
 */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
