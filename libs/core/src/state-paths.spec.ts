import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saidWithPath } from './state-paths';

describe('saidWithPath', () => {
  it("names the file a failed write was for (Node's own message for a write names none)", () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(() =>
      saidWithPath('/state/secrets/q_1_a.token', () => {
        throw enospc;
      }),
    ).toThrow('could not create /state/secrets/q_1_a.token: no space left on the device (ENOSPC)');
  });

  it('says a real failure of the file system the same way, and lets other errors through', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-said-'));
    try {
      const inTheWay = join(dir, 'file');
      writeFileSync(inTheWay, '');
      expect(() =>
        saidWithPath(join(inTheWay, 'x'), () => writeFileSync(join(inTheWay, 'x'), 'data')),
      ).toThrow(`could not create ${join(inTheWay, 'x')}: a path component is not a directory (ENOTDIR)`);
      const plain = new Error('not a file system error');
      expect(() =>
        saidWithPath('/x', () => {
          throw plain;
        }),
      ).toThrow(plain);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
