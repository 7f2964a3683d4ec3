import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { listPids, readStat } from '@trainyard/core';
import { jobsApi } from './support/api';
import { pidsRunning } from './support/processes';
import { spawnServer, SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

/**
 * The launcher against hostile job environments, on the built server (a crash would kill it, not
 * jest): the wrappers run with the server's binaries and environment, only the job's command gets the
 * job's environment, and a launch failure fails that job alone.
 */
describe('job launch (e2e, built dist, real processes)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: ReturnType<typeof jobsApi>;

  beforeAll(async () => {
    server = await spawnServer(temp.home);
    api = jobsApi(server.baseUrl, server.token!);
  });
  afterAll(async () => {
    await server.stop();
    temp.remove();
  });

  /** The server answers and still runs jobs. */
  async function expectServerUp(): Promise<void> {
    expect(server.process.exitCode).toBeNull();
    const next = await api.command(['true']);
    expect(await api.waitStatus(next.body.queue_id, ['done'])).toMatchObject({ exit_code: 0 });
  }

  it('records the command line its job type built, in the job and in its start entry', async () => {
    // Only job_params were stored: what a training job ran (torchrun's whole argv) could not be seen.
    const submitted = await api.submit({
      job_type: 'training',
      job_params: { script: '/data/train.py', args: ['--lr', '3e-4'], torchrun: '/bin/echo' },
      cwd: temp.home,
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.queue_id as string;
    const built = ['/bin/echo', '--standalone', '--nproc-per-node', '1', '/data/train.py', '--lr', '3e-4'];
    expect(await api.waitStatus(id, ['done'])).toMatchObject({ argv: built, exit_code: 0 });
    expect(await api.waitLog(id, /--standalone --nproc-per-node 1 \/data\/train\.py --lr 3e-4/)).toBeTruthy();
    const journal = await api.call('GET', `/api/journal?area=job&order=asc&limit=1000`);
    const started = (journal.body.items as Array<{ type: string; payload: { queue_id: string } }>).find(
      (e) => e.type === 'job.started.v1' && e.payload.queue_id === id,
    );
    expect(started?.payload).toMatchObject({ argv: built });
    // Not started yet: nothing built.
    const held = await api.command(['true'], { held: true });
    expect(await api.job(held.body.queue_id)).toMatchObject({ status: 'queued', argv: null });
  });

  it('records the pid a job ran under even when it ended before its start was recorded', async () => {
    // `true` ends ~2 ms after its exec: its end often comes in the same read from the launcher as its
    // start, and was committed first, which left 7 of 206 such jobs without a pid.
    const ids = (await Promise.all(Array.from({ length: 150 }, () => api.command(['true'])))).map(
      (answer) => answer.body.queue_id as string,
    );
    const ended = await Promise.all(ids.map((id) => api.waitStatus(id, ['done'], 30_000)));
    expect(ended.filter((job) => typeof job.pid !== 'number').map((job) => job.queue_id)).toEqual([]);
    // The journal, which replicas replay, says so in order: started (with the pid), then finished.
    const journal = await api.call('GET', '/api/journal?area=job&order=asc&limit=1000');
    const seen = new Map<string, string[]>();
    for (const e of journal.body.items as Array<{ type: string; payload: { queue_id: string } }>)
      seen.set(e.payload.queue_id, [...(seen.get(e.payload.queue_id) ?? []), e.type]);
    const outOfOrder = ids.filter(
      (id) => !seen.get(id)?.join(' ').endsWith('job.started.v1 job.finished.v1'),
    );
    expect(outOfOrder.map((id) => `${id}: ${seen.get(id)?.join(' ')}`)).toEqual([]);
  });

  it('fails a job whose PATH finds nothing with the reason, and keeps serving', async () => {
    const { body } = await api.command(['true'], { env: { PATH: '/nonexistent' } });
    const job = await api.waitStatus(body.queue_id, ['failed']);
    expect(job).toMatchObject({ exit_code: 127, error: 'command not found: true' });
    expect(await api.log(body.queue_id)).toMatch(/trainyard: command not found: true/);
    await expectServerUp();
  });

  it('gives the job no input: a prompt reads end-of-input at once instead of waiting forever', async () => {
    const script =
      'echo "Continue? [y/N]"; read answer; echo "read exit $?"; test -t 1 && echo "output is a terminal"';
    const { body } = await api.command(['sh', '-c', script], { time_limit_s: 60 });
    expect(await api.waitStatus(body.queue_id, ['done', 'failed'], 10_000)).toMatchObject({ status: 'done' });
    expect(await api.log(body.queue_id)).toMatch(/read exit 1\r?\noutput is a terminal/);
  });

  it('names the missing executable itself (not the launcher) in the error, for a path too, as a missing file', async () => {
    const missing = join(temp.home, 'no-such-dir', 'trian.py');
    const { body } = await api.command([missing, '--lr', '3e-4']);
    const job = await api.waitStatus(body.queue_id, ['failed']);
    // A path names one file, which is missing: as a shell says it (it said "command not found").
    expect(job).toMatchObject({ exit_code: 127, error: `cannot run ${missing}: No such file or directory` });
  });

  it('says why a file that is not executable could not run', async () => {
    const script = join(temp.home, 'not-executable.sh');
    writeFileSync(script, 'echo hi\n', { mode: 0o644 });
    const { body } = await api.command([script]);
    const job = await api.waitStatus(body.queue_id, ['failed']);
    expect(job).toMatchObject({ exit_code: 126, error: `cannot execute ${script}: Permission denied` });
  });

  it('a program that is there but cannot run (still being written) exits 126, as in a shell, not 127', async () => {
    const program = join(temp.home, 'being-written.sh');
    writeFileSync(program, '#!/bin/sh\necho hi\n', { mode: 0o755 });
    const writer = openSync(program, 'r+'); // open for writing: exec fails with ETXTBSY
    try {
      const { body } = await api.command([program]);
      const job = await api.waitStatus(body.queue_id, ['failed']);
      expect(job).toMatchObject({ exit_code: 126, error: `cannot run ${program}: Text file busy` });
    } finally {
      closeSync(writer);
    }
  });

  it('keeps a command’s own exit 127 as an exit status, not as a missing executable', async () => {
    const { body } = await api.command(['/bin/sh', '-c', 'exit 127']);
    const job = await api.waitStatus(body.queue_id, ['failed']);
    expect(job).toMatchObject({ exit_code: 127, error: 'exited with code 127 (command not found)' });
  });

  it('looks argv[0] up in the job’s own PATH, as a shell would', async () => {
    const bin = join(temp.home, 'job-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'only-in-job-path'), '#!/bin/sh\necho "found via $PATH"\n', { mode: 0o755 });
    const { body } = await api.command(['only-in-job-path'], { env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(await api.waitStatus(body.queue_id, ['done'])).toMatchObject({ exit_code: 0 });
    expect(await api.log(body.queue_id)).toContain(`found via ${bin}:/usr/bin:/bin`);
  });

  it('runs the command whatever SHELL, IFS, ENV, BASH_ENV or LD_PRELOAD the job sets, and passes them on', async () => {
    const hostile = {
      SHELL: '/bin/false',
      IFS: '/',
      ENV: '/nonexistent/env',
      BASH_ENV: '/nonexistent/bash_env',
      LD_PRELOAD: '/nonexistent/preload.so',
      ODD: `quote ' "double" $(not run) \`nor this\`\nsecond line`,
    };
    const { body } = await api.command(
      [
        '/bin/sh',
        '-c',
        'printf "ran SHELL=%s ODD=[%s]\\n" "$SHELL" "$ODD"; [ -e /proc/$$/fd/3 ] || echo "no fd 3"; exit 4',
      ],
      { env: hostile },
    );
    const job = await api.waitStatus(body.queue_id, ['failed']);
    expect(job).toMatchObject({ exit_code: 4 });
    expect((await api.log(body.queue_id)).replace(/\r/g, '')).toContain(
      `ran SHELL=/bin/false ODD=[${hostile.ODD}]\nno fd 3\n`,
    );
  });

  it('gives the job’s monitor the server’s environment and only the job’s command the job’s, on no file', async () => {
    const { body } = await api.command(['sleep', '30'], {
      env: { JOB_ONLY: 'secret-ish', SHELL: '/bin/false' },
    });
    const running = await api.waitStatus(body.queue_id, ['running']);
    // The job's pid is its monitor's: part of Trainyard, not of the job.
    const environ = readFileSync(`/proc/${running.pid}/environ`, 'utf8').split('\0');
    expect(environ.some((e) => e.startsWith('JOB_ONLY='))).toBe(false);
    expect(environ.some((e) => e === 'SHELL=/bin/false')).toBe(false);
    // `running` is recorded once the monitor reports the launch, which can be just before the job's
    // process execs its command: wait for the command itself.
    const command = await waitFor(() => {
      const child = readFileSync(`/proc/${running.pid}/task/${running.pid}/children`, 'utf8')
        .trim()
        .split(' ')[0];
      return child && readFileSync(`/proc/${child}/cmdline`, 'utf8') === 'sleep\u000030\u0000'
        ? child
        : undefined;
    }, 'the job command to run');
    expect(readFileSync(`/proc/${command}/environ`, 'utf8').split('\0')).toContain('JOB_ONLY=secret-ish');
    // The environment travels over the launcher's pipe: no file in the state directory holds it.
    for (const dir of ['jobs', 'secrets', `control/${body.queue_id}`])
      for (const name of readdirSync(join(temp.home, dir)))
        expect(readFileSync(join(temp.home, dir, name), 'latin1')).not.toContain('secret-ish');
    await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`);
    await api.waitStatus(body.queue_id, ['aborted']);
  });

  it('writes the exit file 0600, while the job keeps the server’s umask', async () => {
    const serverUmask = spawnSync('sh', ['-c', 'umask'], { encoding: 'utf8' }).stdout.trim();
    const { body } = await api.command(['sh', '-c', 'echo "umask $(umask)"']);
    await api.waitStatus(body.queue_id, ['done']);
    expect(statSync(join(temp.home, 'jobs', `${body.queue_id}.exit`)).mode & 0o777).toBe(0o600);
    expect(await api.log(body.queue_id)).toContain(`umask ${serverUmask}`);
  });

  it('a launch that fails on its own files (a file where its control directory goes) says "launch failed: …"', async () => {
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    const { body } = await api.command(['true']);
    const control = join(temp.home, 'control', body.queue_id);
    mkdirSync(join(temp.home, 'control'), { recursive: true });
    writeFileSync(control, '');
    await api.call('POST', '/api/queue/scheduler', { enabled: true });
    const job = await api.waitStatus(body.queue_id, ['failed']);
    expect(job).toMatchObject({ termination_reason: 'launch_failed', exit_code: null });
    expect(job.error).toMatch(
      /^launch failed: could not create \/.*\/control\/q_\w+: a file is in the way \(EEXIST\)$/,
    );
    await expectServerUp();
  });

  it('fails a job whose working directory stopped being one before launch, and keeps serving', async () => {
    const cwd = join(temp.home, 'workdir');
    mkdirSync(cwd);
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    const { body } = await api.command(['true'], { cwd });
    expect(body.queue_id).toBeDefined();
    // Still there for the launcher's existence check, but `spawn` itself fails (ENOTDIR).
    rmSync(cwd, { recursive: true });
    writeFileSync(cwd, '');
    chmodSync(cwd, 0o600);
    await api.call('POST', '/api/queue/scheduler', { enabled: true });
    const job = await api.waitStatus(body.queue_id, ['failed']);
    expect(job.error).toBe(`launch failed: working directory ${cwd} is not a directory`);
    await expectServerUp();
  });

  it('a job that kills its own monitor at once still ends with its command’s status, never as a failed launch', async () => {
    // Its monitor goes before its command ends: the launcher (their subreaper) records that end.
    const script = 'trap "" HUP; kill -9 $PPID; exit 3';
    const ids = await Promise.all(
      Array.from(
        { length: 40 },
        async () => (await api.command(['sh', '-c', script])).body.queue_id as string,
      ),
    );
    for (const id of ids)
      expect(await api.waitStatus(id, ['failed'], 15_000)).toMatchObject({
        exit_code: 3,
        termination_reason: 'exited_nonzero',
      });
    await expectServerUp();
  });

  it('says in the log when the job’s monitor was killed while its command ran, and still records its exit', async () => {
    // The pause lets the monitor copy "before" into the log before it goes.
    const script = 'trap "" HUP; echo before; sleep 0.3; kill -9 $PPID; sleep 0.5; exit 6';
    const { body } = await api.command(['sh', '-c', script]);
    expect(await api.waitStatus(body.queue_id, ['failed'], 15_000)).toMatchObject({ exit_code: 6 });
    // The note does not claim only later output is lost: what the monitor had not read yet is too.
    expect(await api.log(body.queue_id)).toMatch(
      /before[\s\S]*\[trainyard\] the job's monitor \(pid \d+\) was killed while the command ran; output it had not read yet when it died, and all the command writes after that, is not in this log/,
    );
  });

  it('waits for the status of a command whose monitor was killed, even when the launcher records it late', async () => {
    // The command outlives its monitor and the launcher, its subreaper from then on, is stopped when
    // it exits: the command is gone from /proc before its status is recorded. The worker settled on
    // "nothing left" and recorded the job without its exit code (CI: 1 job in 40, with no pause).
    // It runs on for longer than the wait for its status (5 s), which counts from its end.
    const { body } = await api.command(['sh', '-c', 'trap "" HUP; kill -9 $PPID; sleep 6; exit 3']);
    await api.waitLog(body.queue_id, /monitor \(pid \d+\) was killed while the command ran/);
    const launcher = theLauncher();
    process.kill(launcher, 'SIGSTOP');
    try {
      // The command exits: a zombie the stopped launcher cannot reap, gone from the job's processes.
      await waitFor(
        () =>
          listPids()
            .map(readStat)
            .some((stat) => stat?.ppid === launcher && stat.state === 'Z'),
        'the command to exit under the stopped launcher',
        20_000,
      );
      await new Promise((r) => setTimeout(r, 1_500)); // three of the worker's polls (every 0.5 s)
    } finally {
      process.kill(launcher, 'SIGCONT');
    }
    expect(await api.waitStatus(body.queue_id, ['failed', 'done'], 15_000)).toMatchObject({
      status: 'failed',
      exit_code: 3,
      termination_reason: 'exited_nonzero',
    });
    await expectServerUp();
  });

  it('keeps jobs running when the launcher dies, records their real exit, and starts a new launcher', async () => {
    const { body } = await api.command(['sh', '-c', 'echo up; sleep 1.5; echo still here; exit 6']);
    await api.waitLog(body.queue_id, /up/);
    process.kill(theLauncher(), 'SIGKILL');
    const job = await api.waitStatus(body.queue_id, ['failed'], 15_000);
    expect(job).toMatchObject({ exit_code: 6, termination_reason: 'exited_nonzero' });
    expect(await api.log(body.queue_id)).toMatch(/still here/);
    await expectServerUp();
  });

  it('when the launcher died, what a job leaves behind after its command ends is still stopped', async () => {
    const escaped = ['sleep', '308'];
    const { body } = await api.command(
      ['sh', '-c', `(setsid sh -c "trap '' TERM; ${escaped.join(' ')}" &); echo up; sleep 1.5; exit 4`],
      { kill_grace_s: 1 },
    );
    await api.waitLog(body.queue_id, /up/);
    process.kill(theLauncher(), 'SIGKILL');
    // Watched by polling from now on: the command's end is read from its exit file, not reported.
    const job = await api.waitStatus(body.queue_id, ['failed', 'done', 'aborted'], 20_000);
    expect(job).toMatchObject({ status: 'failed', exit_code: 4, termination_reason: 'exited_nonzero' });
    expect(job.error).toMatch(/\d+ process(es)? still running after the 1 s grace period got SIGKILL/);
    expect(pidsRunning(escaped)).toEqual([]);
    await expectServerUp();
  });

  /** A process's environment, empty once it has exited (another test's monitor may end meanwhile). */
  function environOf(pid: number): string {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      return '';
    }
  }

  /** This server's launcher (its monitors are forks of it, with the same command line). */
  function theLauncher(): number {
    const launchers = spawnSync('pgrep', ['-f', 'dist/bin/trainyard-launcher'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number)
      .filter((pid) => environOf(pid).includes(`TRAINYARD_HOME=${temp.home}`));
    const parentOf = (pid: number) =>
      Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const launcher = launchers.filter((pid) => !launchers.includes(parentOf(pid)));
    expect(launcher).toHaveLength(1);
    return launcher[0];
  }
});
