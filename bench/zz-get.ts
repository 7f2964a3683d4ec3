import { cpSync, rmSync } from 'node:fs';
import { startServer, wallMs } from './support';

void (async () => {
  rmSync('/tmp/qh2', { recursive: true, force: true });
  cpSync('/tmp/qh', '/tmp/qh2', { recursive: true });
  const ctx = await startServer('/tmp/qh2', ['--fake-gpus', '0']);
  try {
    for (const path of (process.env.P ?? '/api/jobs?limit=50').split(',')) {
      for (let i = 0; i < 300; i++) await ctx.api.call('GET', path);
      const xs: number[] = [];
      for (let i = 0; i < Number(process.env.N ?? 1500); i++) {
        const t = wallMs();
        await ctx.api.call('GET', path);
        xs.push(wallMs() - t);
      }
      xs.sort((a, b) => a - b);
      console.log(`${path}: p50 ${xs[xs.length >> 1].toFixed(2)} p90 ${xs[Math.floor(xs.length * 0.9)].toFixed(2)}`);
    }
  } finally {
    await ctx.stop();
  }
})();
