// Preloaded into the gateway by the bench's sustained mode only (`node --expose-gc --import <this>
// dist/main.js`, spawned with an IPC channel). Answers 'memoryUsage' with process.memoryUsage(),
// and 'gc' with process.memoryUsage() right after a full garbage collection (the live set): no
// HTTP endpoint, no inspector, no heap snapshot. The channel is unref'd so it never keeps the
// gateway alive.
import process from 'node:process';

if (process.send) {
  process.on('message', (message) => {
    if (message === 'gc') globalThis.gc?.();
    if (message === 'memoryUsage' || message === 'gc') {
      process.send({ memoryUsage: process.memoryUsage() });
    }
  });
  process.channel?.unref();
}
