// codecs
export * from './errors.js';
export * from './constants.js';
export * from './wire/reader.js';
export * from './wire/writer.js';
export * from './wire/ndx.js';
export * from './mux/frame.js';
// end codecs
