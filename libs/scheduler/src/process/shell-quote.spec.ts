import { spawn } from 'node:child_process';
import { shellQuote } from './shell-quote';

describe(shellQuote.name, () => {
  it.each([['plain'], ["it's"], ['$(rm -rf /)'], ['a b\nc'], ['']])(
    'round-trips %j through sh',
    async (arg) => {
      const child = spawn('sh', ['-c', `printf %s ${shellQuote(arg)}`]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.on('close', r));
      expect(out).toBe(arg);
    },
  );
});
