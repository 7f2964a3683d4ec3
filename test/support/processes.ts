import { readdirSync, readFileSync } from 'node:fs';
import { isProcessAlive } from '@trainyard/core';

/** Pids of live processes whose command line is exactly `argv` (e.g. ['sleep', '1001']). */
export function pidsRunning(argv: string[]): number[] {
  const wanted = argv.join('\0');
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0$/, '');
      if (cmdline === wanted && isProcessAlive(Number(name))) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}
