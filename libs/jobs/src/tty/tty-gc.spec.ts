import { lutimes } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gcOrphanJobFiles, JOB_FILE_PATTERN } from './tty-gc';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const HOUR = 3_600_000;
const TTL = 24 * HOUR;
const setLinkTimes = promisify(lutimes);

const KNOWN = 'q_1748779200000_0a1b2c3d';
const OLD_ORPHAN = 'q_1748000000000_deadbeef';
const RECENT_ORPHAN = 'q_1748779000000_cafef00d';
const MIXED_ORPHAN = 'q_1748100000000_00c0ffee';

describe(gcOrphanJobFiles.name, () => {
  let root: string;
  let jobsDir: string;
  let outside: string;

  /** Creates a file whose mtime is `ageMs` before NOW. */
  async function file(name: string, ageMs: number, dir = jobsDir): Promise<void> {
    const path = join(dir, name);
    await writeFile(path, `content of ${name}\n`);
    const when = new Date(NOW - ageMs);
    await utimes(path, when, when);
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tty-gc-'));
    jobsDir = join(root, 'jobs');
    outside = join(root, 'outside');
    await mkdir(jobsDir);
    await mkdir(outside);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it.each<[string, string, boolean]>([
    ['a queue id', 'q_1748779200000_0a1b2c3d.tty', true],
    ['an exit file', 'q_1_00000000.exit', true],
    ['a launch script', 'q_1_ffffffff.sh', true],
    ['upper-case hex', 'q_1_DEADBEEF.tty', false],
    ['a short suffix', 'q_1_abc.tty', false],
    ['another extension', 'q_1_00000000.log', false],
    ['a prefix', 'x_q_1_00000000.tty', false],
    ['a temp file', '.q_1_00000000.tty.tmp', false],
  ])('the name pattern takes %s: %s → %s', (_what, name, matches) => {
    expect(JOB_FILE_PATTERN.test(name)).toBe(matches);
  });

  it('removes old orphans with their siblings and keeps everything else', async () => {
    await file(`${KNOWN}.tty`, 10 * TTL); // known: kept however old
    await file(`${KNOWN}.exit`, 10 * TTL);
    await file(`${OLD_ORPHAN}.tty`, 2 * TTL);
    await file(`${OLD_ORPHAN}.exit`, 2 * TTL);
    await file(`${OLD_ORPHAN}.sh`, 3 * TTL);
    await file(`${RECENT_ORPHAN}.tty`, HOUR); // possibly a job submitted after knownIds was read
    await file(`${MIXED_ORPHAN}.tty`, 5 * TTL); // its exit file is recent: the job's files stay together
    await file(`${MIXED_ORPHAN}.exit`, HOUR);
    await file('trainyard.db', 10 * TTL);
    await file('notes.tty', 10 * TTL);
    await mkdir(join(jobsDir, 'q_1_00000000.tty')); // a directory with a job-like name

    const sut = await gcOrphanJobFiles(jobsDir, new Set([KNOWN]), TTL, NOW);

    expect(sut).toEqual({
      removed: [`${OLD_ORPHAN}.exit`, `${OLD_ORPHAN}.sh`, `${OLD_ORPHAN}.tty`],
      kept: 5,
      keptOrphans: 3, // the recent and the mixed orphans' files
    });
    expect((await readdir(jobsDir)).sort()).toEqual(
      [
        `${KNOWN}.exit`,
        `${KNOWN}.tty`,
        `${MIXED_ORPHAN}.exit`,
        `${MIXED_ORPHAN}.tty`,
        `${RECENT_ORPHAN}.tty`,
        'notes.tty',
        'q_1_00000000.tty',
        'trainyard.db',
      ].sort(),
    );
  });

  it('never removes or follows a symlink, even an old orphan-named one pointing outside', async () => {
    await file('victim.txt', 10 * TTL, outside);
    const link = join(jobsDir, `${OLD_ORPHAN}.tty`);
    await symlink(join(outside, 'victim.txt'), link);
    const old = new Date(NOW - 10 * TTL);
    await setLinkTimes(link, old, old);
    await file(`${OLD_ORPHAN}.exit`, 10 * TTL);

    const sut = await gcOrphanJobFiles(jobsDir, new Set(), TTL, NOW);

    expect(sut).toEqual({ removed: [`${OLD_ORPHAN}.exit`], kept: 0, keptOrphans: 0 });
    expect(await readdir(jobsDir)).toEqual([`${OLD_ORPHAN}.tty`]);
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('content of victim.txt\n');
  });

  it('keeps an orphan 1 ms younger than the TTL and removes it once the TTL is reached', async () => {
    await file(`${OLD_ORPHAN}.tty`, TTL - 1);

    expect(await gcOrphanJobFiles(jobsDir, new Set(), TTL, NOW)).toEqual({
      removed: [],
      kept: 1,
      keptOrphans: 1,
    });
    expect(await gcOrphanJobFiles(jobsDir, new Set(), TTL, NOW + 1)).toEqual({
      removed: [`${OLD_ORPHAN}.tty`],
      kept: 0,
      keptOrphans: 0,
    });
  });

  it('handles an empty directory', async () => {
    expect(await gcOrphanJobFiles(jobsDir, new Set(), TTL, NOW)).toEqual({
      removed: [],
      kept: 0,
      keptOrphans: 0,
    });
  });
});
