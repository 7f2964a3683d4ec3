// Preloaded into a spawned server by heap checks (`node --expose-gc -r ./gc-on-signal.js`):
// SIGUSR2 runs a full garbage collection, so a test can read a settled heap from /metrics.
process.on('SIGUSR2', () => global.gc && global.gc());
