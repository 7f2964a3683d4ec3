import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  monitorCgroupDir,
  monitorCgroupDirs,
  removeParentCgroup,
  setUpProcessTracking,
} from '@trainyard/core';
import { readExitRecord } from '../supervision/job-reaper';
import {
  CommandExitDetail,
  encodeLaunchRequest,
  Launched,
  LauncherClient,
  LauncherGoneError,
  LaunchRequest,
} from './launcher-client';

/** The `monitor-*` cgroups under `parent` (spares waiting, or jobs). */
const monitorCgroups = (parent: string) => monitorCgroupDirs(parent);

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5000; !check(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

/**
 * Launches `script` (sh -c) through a real launcher started with `cgroupParent`; resolves with the
 * start and the exit status. With `spares`, the launch first waits until the idle launcher has forked
 * its spare monitors (each already holding its cgroup), so the job goes to one of them;
 * `onLaunched` sees the start while the job runs.
 */
async function launch(
  dir: string,
  script: string,
  cgroupParent: string | null,
  spares = false,
  onLaunched: (launched: Launched) => void = () => undefined,
  binary?: string,
) {
  let exited!: (status: number | null) => void;
  const ended = new Promise<number | null>((r) => (exited = r));
  const client = new LauncherClient(
    { PATH: process.env.PATH ?? '' },
    {
      mainExited: () => undefined,
      outputLost: () => undefined,
      exited: (id, _monitor, status) => id === 'q_1' && exited(status),
      launcherDied: () => undefined,
    },
    { cgroupParent, binary },
  );
  const request: LaunchRequest = {
    id: 'q_1',
    argv: ['sh', '-c', script],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    log: join(dir, 'tty.log'),
    logCap: null,
    exit: join(dir, 'exit'),
  };
  let sparesBefore: string[] = [];
  try {
    if (spares && cgroupParent) {
      // An earlier case's launcher has exited, and its spares remove their cgroups just after: not ours.
      await waitFor(() => monitorCgroups(cgroupParent).length === 0, "the earlier launchers' spares to go");
      // The first launch starts the launcher, which then forks its spares while idle.
      const first = { argv: ['true'], log: join(dir, 'q_0.log'), exit: join(dir, 'q_0.exit') };
      const warmup = await client.launch({ ...request, ...first, id: 'q_0' }, () => undefined);
      const spareCgroups = () => monitorCgroups(cgroupParent).filter((cgroup) => cgroup !== warmup.cgroup);
      await waitFor(() => spareCgroups().length >= 2, 'two spare cgroups');
      sparesBefore = spareCgroups();
    }
    const launched: Launched = await client.launch(request, onLaunched);
    return { launched, sparesBefore, status: await ended, log: readFileSync(request.log, 'utf8') };
  } finally {
    client.close();
  }
}

describe('launcher: the job process joins its cgroup before it runs anything', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'launcher-'))));
  // A closed client's launcher and spare monitors may still be leaving files there for a moment.
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));

  it('a cgroup it cannot join: the job runs anyway, and the launch says why', async () => {
    // A plain directory as the parent: writing cgroup.procs there must fail, not create a file.
    const { launched, status, log } = await launch(dir, 'echo ran', dir);
    expect(launched.cgroupError).toMatch(/monitor-\d+-\d+: No such file or directory/);
    expect(launched.cgroup).toBeNull();
    expect(status).toBe(0);
    expect(log).toContain('ran');
    // Nothing is left behind once the launcher has exited (its spares try, and fail, the same way).
    await waitFor(() => !readdirSync(dir).some((name) => name.startsWith('monitor-')), 'no monitor-* left');
  });

  it("reports with the command's end all that its exit file says: a signal, why it could not be run", async () => {
    // The server settles a job from this report when its monitor cannot write the exit file (a full
    // disk); before, the report had the status alone, and a job killed by SIGUSR1 read "exit 138".
    const reported = new Map<string, { status: number | null; detail: CommandExitDetail }>();
    const exited = new Set<string>();
    const client = new LauncherClient(
      { PATH: process.env.PATH ?? '' },
      {
        mainExited: (id, status, detail) => reported.set(id, { status, detail }),
        outputLost: () => undefined,
        exited: (id) => exited.add(id),
        launcherDied: () => undefined,
      },
      {},
    );
    const commands: Record<string, string[]> = {
      q_signal: ['sh', '-c', 'kill -USR1 $$'],
      q_code: ['sh', '-c', 'exit 3'],
      q_missing: [join(dir, 'no-such-command')],
    };
    try {
      for (const [id, argv] of Object.entries(commands)) {
        const files = { log: join(dir, `${id}.log`), exit: join(dir, `${id}.exit`) };
        const request = { id, argv, cwd: dir, env: { PATH: process.env.PATH ?? '' }, logCap: null, ...files };
        await client.launch(request, () => undefined);
      }
      await waitFor(() => Object.keys(commands).every((id) => exited.has(id)), 'every monitor to end');
      const asFileSays = ({ status, detail }: { status: number | null; detail: CommandExitDetail }) => ({
        code: status,
        bySignal: detail.bySignal,
        why: detail.why,
      });
      for (const id of Object.keys(commands))
        expect({ id, ...asFileSays(reported.get(id)!) }).toEqual({
          id,
          ...readExitRecord(join(dir, `${id}.exit`)),
        });
      expect(asFileSays(reported.get('q_signal')!)).toEqual({ code: 138, bySignal: true, why: null });
      expect(asFileSays(reported.get('q_code')!)).toEqual({ code: 3, bySignal: false, why: null });
      expect(reported.get('q_missing')).toEqual({
        status: 127,
        detail: { bySignal: false, why: expect.stringContaining('no-such-command') },
      });
    } finally {
      client.close();
    }
  });

  const tracking = setUpProcessTracking({ setting: null, stateDir: `launcher-spec-${process.pid}` });
  const withCgroups = tracking.mode === 'cgroup' ? it : it.skip;
  if (tracking.mode === 'tag') console.warn(`launcher cgroup case skipped: ${tracking.reason}`);
  const parent = tracking.mode === 'cgroup' ? tracking.parent : '';
  afterAll(async () => {
    // The last launcher's spares remove their cgroups just after the launcher exits: wait for them.
    if (tracking.mode === 'cgroup') expect(await removeParentCgroup(parent, 5000)).toBe(true);
  });
  const cgroupLine = (log: string) => /^0::(.*)$/m.exec(log)?.[1]?.trim() ?? '';

  it("reports the start (pid, monitor's start time) before the job runs: a job that kills its monitor at once was still launched", async () => {
    // 200 launches in batches of 20: with the job's process handed its request before "launched"
    // went out, ~3% of these launches failed as "its monitor ended before the job started" while
    // their commands ran on.
    const exited = new Set<string>();
    const mainExited = new Map<string, number | null>();
    const client = new LauncherClient(
      { PATH: process.env.PATH ?? '' },
      {
        mainExited: (id, status) => mainExited.set(id, status),
        outputLost: () => undefined,
        exited: (id) => exited.add(id),
        launcherDied: () => undefined,
      },
      {},
    );
    try {
      const ids: string[] = [];
      for (let round = 0; round < 10; round++) {
        let launches: Array<Promise<Launched | Error>> = [];
        client.batch(() => {
          launches = Array.from({ length: 20 }, (_, i) => {
            const id = `q_${round}_${i}`;
            ids.push(id);
            const files = { log: join(dir, `${id}.log`), exit: join(dir, `${id}.exit`) };
            const argv = ['sh', '-c', 'kill -9 $PPID'];
            return client
              .launch(
                { id, argv, cwd: dir, env: { PATH: process.env.PATH ?? '' }, logCap: null, ...files },
                () => undefined,
              )
              .catch((err: Error) => err);
          });
        });
        for (const launched of await Promise.all(launches)) {
          expect(launched).not.toBeInstanceOf(Error);
          expect((launched as Launched).monitorStartTime).toMatch(/^\d+$/);
        }
      }
      // The launcher, their subreaper, records each command's own end (maybe after the monitor's):
      // sh exits 0 after its kill, or by SIGHUP (129) when its terminal went with the monitor first.
      const ended = (id: string) => exited.has(id) && mainExited.has(id);
      await waitFor(() => ids.every(ended), 'every monitor and command to be reported gone');
      const fileSays = (status: number | null) => (status === 129 ? 'signal 1\n' : `${status}\n`);
      for (const id of ids) {
        expect([0, 129]).toContain(mainExited.get(id));
        expect(readFileSync(join(dir, `${id}.exit`), 'utf8')).toBe(fileSays(mainExited.get(id)!));
      }
    } finally {
      client.close();
    }
  });

  withCgroups(
    "a writable cgroup: the command is in its monitor's cgroup from its first instruction",
    async () => {
      const { launched, log } = await launch(dir, 'cat /proc/self/cgroup', parent);
      expect(launched.cgroupError).toBeNull();
      expect(launched.cgroup).toBe(monitorCgroupDir(parent, launched.monitorPid, launched.monitorStartTime!));
      expect(launched.cgroup!.endsWith(cgroupLine(log))).toBe(true);
    },
  );

  withCgroups(
    'where clone3 cannot start it in its cgroup (Linux before 5.7, or not x86-64), the job process moves itself there before it runs anything',
    async () => {
      // The portable build: what every launch takes where clone3 is missing or refused.
      const binary = join(dir, 'trainyard-launcher-portable');
      const sources = ['trainyard-launcher.c', 'trainyard-monitor.c'].map((f) => join(__dirname, f));
      const cc = spawnSync(
        process.env.CC || 'cc',
        ['-O2', '-DTRAINYARD_NO_CLONE3', '-o', binary, ...sources],
        {
          encoding: 'utf8',
        },
      );
      expect(cc.stderr).toBe('');
      const { launched, log, status } = await launch(
        dir,
        'cat /proc/self/cgroup',
        parent,
        false,
        undefined,
        binary,
      );
      expect(launched.cgroupError).toBeNull();
      expect(launched.cgroup).toBe(monitorCgroupDir(parent, launched.monitorPid, launched.monitorStartTime!));
      expect(launched.cgroup!.endsWith(cgroupLine(log))).toBe(true);
      expect(status).toBe(0);
    },
  );

  withCgroups('a job handed to a spare monitor runs in the cgroup the spare made ahead', async () => {
    let procs: string[] = [];
    const { launched, log, sparesBefore } = await launch(
      dir,
      'cat /proc/self/cgroup; sleep 0.3',
      parent,
      true,
      (started) => (procs = readFileSync(join(started.cgroup!, 'cgroup.procs'), 'utf8').split('\n')),
    );
    expect(sparesBefore).toContain(launched.cgroup); // no monitor fork, and no cgroup move, on the launch path
    expect(launched.cgroupError).toBeNull();
    expect(launched.cgroup!.endsWith(cgroupLine(log))).toBe(true);
    // The job's process is in it; the monitor stays outside (cgroup.kill spares it).
    expect(procs).toContain(String(launched.pid));
    expect(procs).not.toContain(String(launched.monitorPid));
    // The job's cgroup goes when its monitor ends, and the spares' when the launcher exits.
    await waitFor(() => monitorCgroups(parent).length === 0, 'no cgroup after the launcher exits');
  });
});

describe('launch request encoding', () => {
  const request: LaunchRequest = {
    id: 'q_1',
    argv: ['sh', '-c', 'echo "$A"'],
    cwd: '/tmp',
    env: { A: 'x=y', PATH: '/bin' },
    log: '/tmp/q_1.tty',
    exit: '/tmp/q_1.exit',
    logCap: null,
  };

  it('writes each field ended by a NUL byte, the lists after their counts', () => {
    expect(encodeLaunchRequest(request).toString().split('\0')).toEqual([
      ...['launch', 'q_1', '/tmp/q_1.tty', '/tmp/q_1.exit', '', '/tmp'],
      ...['3', 'sh', '-c', 'echo "$A"', '2', 'A=x=y', 'PATH=/bin', ''],
    ]);
  });

  it('refuses a field with a NUL byte rather than shifting every field after it', () => {
    expect(() => encodeLaunchRequest({ ...request, argv: ['echo', 'a\0b'] })).toThrow(/NUL byte/);
    expect(() => encodeLaunchRequest({ ...request, env: { A: 'a\0b' } })).toThrow(/NUL byte/);
  });
});

describe('launcher faults: a launch always settles', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'launcher-faults-'))));
  // A closed client's launcher and spare monitors may still be leaving files there for a moment.
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
  const events = (died: () => void = () => undefined) => ({
    mainExited: () => undefined,
    outputLost: () => undefined,
    exited: () => undefined,
    launcherDied: died,
  });
  const request = (id: string, argv: string[]): LaunchRequest => ({
    id,
    argv,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    log: join(dir, `${id}.log`),
    logCap: null,
    exit: join(dir, `${id}.exit`),
  });

  it('a batch of launches sent together: each job runs once with its own command; a request that cannot be encoded fails alone', async () => {
    const client = new LauncherClient({}, events());
    try {
      const ids = ['q_1', 'q_2', 'q_3', 'q_4', 'q_5'];
      let launches: Array<Promise<Launched | Error>> = [];
      client.batch(() => {
        launches = ids.map((id) =>
          client
            .launch(request(id, ['sh', '-c', `echo ran ${id} >> ${join(dir, 'ran')}`]), () => undefined)
            .catch((err: Error) => err),
        );
        launches.push(
          client.launch(request('q_bad', ['echo', 'a\0b']), () => undefined).catch((err: Error) => err),
        );
      });
      const results = await Promise.all(launches);
      expect((results.pop() as Error).message).toMatch(/NUL byte/);
      const pids = results.map((r) => (r as Launched).monitorPid);
      expect(new Set(pids).size).toBe(ids.length);
      await waitFor(
        () =>
          existsSync(join(dir, 'ran')) &&
          readFileSync(join(dir, 'ran'), 'utf8').split('\n').length > ids.length,
        'every job to run',
      );
      expect(readFileSync(join(dir, 'ran'), 'utf8').trim().split('\n').sort()).toEqual(
        ids.map((id) => `ran ${id}`),
      );
      // Their monitors write the exit files last: the directory gets no new entry after them.
      await waitFor(() => ids.every((id) => existsSync(join(dir, `${id}.exit`))), 'every exit file');
    } finally {
      client.close();
    }
  });

  it('a launcher that cannot be run fails the launch with the reason (nothing ran), and the next launch tries again', async () => {
    const client = new LauncherClient({}, events(), { binary: join(dir, 'no-such-launcher') });
    try {
      for (const id of ['q_1', 'q_2']) {
        const failure = await client
          .launch(request(id, ['true']), () => undefined)
          .catch((err: Error) => err);
        expect(failure).toBeInstanceOf(Error);
        expect(failure).not.toBeInstanceOf(LauncherGoneError); // not "may have started": it did not
        expect((failure as Error).message).toMatch(
          /cannot run the job launcher .*no-such-launcher: .*ENOENT.*npm run build/,
        );
      }
    } finally {
      client.close();
    }
  });

  it('a hung launcher is killed after the launch timeout: the launch ends as when it dies, its command never runs, and the next launch gets a new launcher', async () => {
    let died = 0;
    const client = new LauncherClient(
      {},
      events(() => died++),
      { launchTimeoutMs: 2000 },
    );
    try {
      await client.launch(request('q_1', ['true']), () => undefined);
      // The newest: an earlier case's launcher may still be on its way out.
      const launcher = Number(
        spawnSync('pgrep', ['-n', '-P', String(process.pid), '-f', 'trainyard-launcher'], {
          encoding: 'utf8',
        }).stdout.trim(),
      );
      expect(launcher).toBeGreaterThan(0);
      process.kill(launcher, 'SIGSTOP');
      const marker = join(dir, 'ran');
      const started = Date.now();
      const failure = await client
        .launch(request('q_2', ['touch', marker]), () => undefined)
        .catch((err: Error) => err);
      expect(failure).toBeInstanceOf(LauncherGoneError);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(died).toBe(1);
      await waitFor(() => !existsSync(`/proc/${launcher}`), 'the hung launcher to be gone');
      expect(existsSync(marker)).toBe(false);
      const next = await client.launch(request('q_3', ['true']), () => undefined);
      expect(next.monitorPid).toBeGreaterThan(0);
      // Their monitors write the exit files last: the directory gets no new entry after them.
      await waitFor(
        () => ['q_1', 'q_3'].every((id) => existsSync(join(dir, `${id}.exit`))),
        'the exit files',
      );
    } finally {
      client.close();
    }
  });
});
