export * from './transport.js';
export * from './tcp.js';
export * from './byte-reader.js';
