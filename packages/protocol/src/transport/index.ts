export * from './transport.js';
export * from './tcp.js';
export * from './byte-reader.js';
export * from './stdio.js';
export * from './remote-shell.js';
