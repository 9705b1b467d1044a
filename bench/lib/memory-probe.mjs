// Preloaded into the gateway by `--sustained` (`node --expose-gc --import <this> dist/main.js`):
// on SIGUSR2, a full garbage collection, then the live heap as one JSON line on stderr.
import process from 'node:process';
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  process.stderr.write(`${JSON.stringify({ liveHeap: process.memoryUsage().heapUsed })}\n`);
});
