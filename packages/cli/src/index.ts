export { main } from './bin.js';
