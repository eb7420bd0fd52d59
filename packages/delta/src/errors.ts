/** Error raised by the delta package; `code` is a stable machine-readable identifier. */
export type DeltaErrorCode =
  | 'BAD_BLOCK_INDEX'
  | 'NO_BASIS'
  | 'SHORT_BASIS'
  | 'BAD_SUM_SIZES'
  | 'BAD_SIGNATURE'
  | 'BAD_OPTIONS'
  | 'UNSUPPORTED'
  | 'NOT_INITIALIZED';

export class DeltaError extends Error {
  readonly code: DeltaErrorCode;
  constructor(code: DeltaErrorCode, message: string) {
    super(message);
    this.name = 'DeltaError';
    this.code = code;
  }
}
