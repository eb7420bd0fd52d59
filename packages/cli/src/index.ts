export { main } from './bin.js';
export { startDaemon } from './commands/daemon.js';
