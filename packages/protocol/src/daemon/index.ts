export * from './codec.js';
export * from './errors.js';
export * from './handshake.js';
export * from './password.js';
export { md4 } from './md4.js';
