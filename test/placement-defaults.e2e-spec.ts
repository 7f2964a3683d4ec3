import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobsApi } from './support/api';
import { type CliRun, cliEnv, runCli } from './support/cli';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';

const REPLAY = join(__dirname, 'fixtures', 'nvidia-smi', 'replay.sh');

/** The queue's pending reason of one item, once it has one. */
async function pendingReason(api: ReturnType<typeof jobsApi>, id: string): Promise<string> {
  return waitFor(async () => {
    const items = (await api.call('GET', '/api/queue')).body.items;
    return items.find((i: { queue_id: string }) => i.queue_id === id)?.pending_reason ?? undefined;
  }, `a pending reason for ${id}`);
}

describe('placement defaults (e2e, real server and processes)', () => {
  describe('with 1 fake GPU, the server seeing every GPU', () => {
    let server: InProcessServer;
    let api: ReturnType<typeof jobsApi>;
    let bin: string;
    beforeAll(async () => {
      // Stand-ins for tensorboard, mkdocs and forgather that print what they were given.
      const home = (await import('./support/temp-home')).makeTempHome('trainyard-placement-');
      bin = join(home.home, 'bin');
      mkdirSync(bin);
      for (const tool of ['tensorboard', 'mkdocs', 'forgather']) {
        writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} CVD=[\${CUDA_VISIBLE_DEVICES-unset}]"\n`);
        chmodSync(join(bin, tool), 0o755);
      }
      server = await startInProcessServer({
        argv: ['--fake-gpus', '1'],
        env: { CUDA_VISIBLE_DEVICES: '0', PATH: `${bin}:${process.env.PATH}` },
      });
      api = jobsApi(server.baseUrl, server.token);
    });
    afterAll(async () => {
      for (const job of (await api.call('GET', '/api/jobs?status=starting,running')).body.items) {
        await api.call('POST', `/api/jobs/${job.queue_id}/control/force-kill`);
      }
      await server.close(true);
    });

    it('runs a negative-priority job on a GPU nobody gated; an operator gate holds it; clearing the gate lets it run', async () => {
      expect((await api.call('GET', '/api/gpus/policy')).body).toEqual({
        0: { disabled: false, min_priority: null },
      });
      const first = await api.command(['true'], { priority: -5, requested_gpus: 1 });
      expect(await api.waitStatus(first.body.queue_id, ['done'])).toMatchObject({ gpu_indices: [0] });

      const gated = await api.call('POST', '/api/gpus/0/policy', { min_priority: 0 });
      expect(gated.body).toEqual({ disabled: false, min_priority: 0 });
      const held = await api.command(['true'], { priority: -5, requested_gpus: 1 });
      expect(await pendingReason(api, held.body.queue_id)).toBe(
        'needs 1 GPU, 0 eligible (GPU 0 requires priority ≥ 0)',
      );

      const cleared = await api.call('POST', '/api/gpus/0/policy', { min_priority: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toEqual({ disabled: false, min_priority: null });
      expect((await api.call('GET', '/api/gpus/policy')).body[0]).toEqual({
        disabled: false,
        min_priority: null,
      });
      expect((await api.call('GET', '/api/gpus')).body.gpus[0]).toMatchObject({ min_priority: null });
      expect(await api.waitStatus(held.body.queue_id, ['done'])).toMatchObject({ gpu_indices: [0] });

      const journal = await api.call('GET', '/api/journal?limit=1000');
      expect(
        journal.body.items
          .filter((e: { type: string }) => e.type === 'gpu.policy_changed.v3')
          .map((e: { payload: { min_priority: number | null } }) => e.payload.min_priority),
      ).toEqual([0, null]);
    });

    it.each([
      [{ min_priority: 'none' }, ['min_priority']],
      [{ min_priority: 1.5 }, ['min_priority']],
      // `disabled` does not take null: sent as null it is left out (as everywhere), so nothing was given.
      [{ disabled: null }, ['disabled', 'min_priority']],
    ])('refuses policy %j with 400 naming the field', async (body, fields) => {
      const answer = await api.call('POST', '/api/gpus/0/policy', body);
      expect(answer.status).toBe(400);
      expect(new Set(answer.body.details.map((d: { field: string }) => d.field))).toEqual(new Set(fields));
    });

    it('gives GPU-less tensorboard, mkdocs and Forgather tool jobs an empty CUDA_VISIBLE_DEVICES', async () => {
      const jobs = [
        { job_type: 'tensorboard', job_params: { logdir: bin, port: await freePort() } },
        { job_type: 'mkdocs', job_params: { config_file: join(bin, 'mkdocs'), port: await freePort() } },
        { job_type: 'convert', job_params: { src: bin, dst: join(bin, 'out') } },
        { job_type: 'dataset', job_params: { config: 'x.yaml' } },
        { job_type: 'command', job_params: { argv: ['forgather', 'ls'] } },
      ];
      for (const body of jobs) {
        const submitted = await api.submit({ ...body, requested_gpus: 0 });
        expect(submitted.status).toBe(201);
        await api.waitStatus(submitted.body.queue_id, ['done']);
        // The server itself sees GPU 0 (CUDA_VISIBLE_DEVICES=0); the job must see none.
        expect(await api.log(submitted.body.queue_id)).toMatch(/(tensorboard|mkdocs|forgather) CVD=\[\]/);
      }
    });

    it('keeps the last hour of GPU samples for sparklines', async () => {
      const history = await waitFor(async () => {
        const answer = await api.call('GET', '/api/gpus/history?window_s=600&step_s=2');
        return answer.body.gpus?.[0]?.t.length >= 2 ? answer.body : undefined;
      }, 'two GPU samples');
      expect(history).toMatchObject({ window_s: 600, step_s: 2, sample_interval_s: 2 });
      const [gpu] = history.gpus;
      expect(gpu).toMatchObject({ index: 0, memory_total_mib: 81920 });
      expect(gpu.utilization_gpu).toHaveLength(gpu.t.length);
      expect(gpu.memory_used_mib).toHaveLength(gpu.t.length);
      expect(gpu.t.every((t: number) => t > Date.now() - 600_000 && t <= Date.now())).toBe(true);
      const bad = await api.call('GET', '/api/gpus/history?window_s=7200');
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(['window_s']);
    });
  });

  describe('with nvidia-smi reporting MIG mode', () => {
    const saved = {
      gpu: process.env.TRAINYARD_SMI_GPU,
      apps: process.env.TRAINYARD_SMI_APPS,
      list: process.env.TRAINYARD_SMI_LIST,
    };
    let server: InProcessServer;
    let api: ReturnType<typeof jobsApi>;
    beforeAll(async () => {
      process.env.TRAINYARD_SMI_GPU = 'query-gpu-2x-mig';
      process.env.TRAINYARD_SMI_APPS = 'compute-apps-idle';
      process.env.TRAINYARD_SMI_LIST = 'list-gpus-2x-mig';
      server = await startInProcessServer({ env: { TRAINYARD_NVIDIA_SMI: REPLAY } });
      api = jobsApi(server.baseUrl, server.token);
    });
    afterAll(async () => {
      for (const job of (await api.call('GET', '/api/jobs?status=starting,running')).body.items) {
        await api.call('POST', `/api/jobs/${job.queue_id}/control/force-kill`);
      }
      await server.close(true);
      for (const [name, value] of [
        ['TRAINYARD_SMI_GPU', saved.gpu],
        ['TRAINYARD_SMI_APPS', saved.apps],
        ['TRAINYARD_SMI_LIST', saved.list],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('lists MIG devices under their GPU, places MIG jobs on them and never the GPU whole', async () => {
      const gpus = (await api.call('GET', '/api/gpus')).body.gpus;
      expect(gpus.map((g: { mig_enabled: boolean }) => g.mig_enabled)).toEqual([false, true]);
      expect(gpus[0].mig_devices).toEqual([]);
      expect(
        gpus[1].mig_devices.map((d: { profile: string; device_index: number }) => [
          d.device_index,
          d.profile,
        ]),
      ).toEqual([
        [0, '1g.10gb'],
        [1, '1g.10gb'],
        [2, '2g.20gb'],
      ]);

      // Unknown or malformed profiles are refused, naming the field.
      for (const gpu_profile of ['3g.40gb', 'big']) {
        const bad = await api.command(['true'], { requested_gpus: 1, gpu_profile });
        expect(bad.status).toBe(400);
        expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(['gpu_profile']);
      }

      const first = await api.command(['sh', '-c', 'echo "CVD=[$CUDA_VISIBLE_DEVICES]"; sleep 30'], {
        requested_gpus: 1,
        gpu_profile: '2g.20gb',
      });
      expect(first.status).toBe(201);
      await api.waitStatus(first.body.queue_id, ['running']);
      await waitFor(async () => /CVD=\[/.test(await api.log(first.body.queue_id)), 'the job prints');
      expect(await api.log(first.body.queue_id)).toContain('CVD=[MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a13]');
      const job = (await api.call('GET', `/api/jobs/${first.body.queue_id}`)).body;
      expect(job).toMatchObject({
        gpu_profile: '2g.20gb',
        gpu_indices: [],
        mig_devices: ['MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a13'],
      });
      const held = (await api.call('GET', '/api/gpus')).body.gpus[1].mig_devices[2];
      expect(held.reserved_by).toBe(first.body.queue_id);

      const second = await api.command(['true'], { requested_gpus: 1, gpu_profile: '2g.20gb' });
      expect(await pendingReason(api, second.body.queue_id)).toBe('no free 2g.20gb MIG device (1 of 1 busy)');

      // A whole-GPU job gets GPU 0 only: GPU 1 is in MIG mode.
      const whole = await api.command(['true'], { requested_gpus: 2 });
      expect(whole.status).toBe(400);

      await api.call('DELETE', `/api/queue/${second.body.queue_id}`);
      await api.call('POST', `/api/jobs/${first.body.queue_id}/control/force-kill`);
    });
  });

  describe('with fake GPUs, one in MIG mode (--fake-mig)', () => {
    let server: InProcessServer;
    let api: ReturnType<typeof jobsApi>;
    beforeAll(async () => {
      server = await startInProcessServer({
        argv: ['--fake-gpus', '2', '--fake-mig', '1:1g.10gb,1g.10gb,2g.20gb'],
      });
      api = jobsApi(server.baseUrl, server.token);
    });
    afterAll(async () => {
      for (const job of (await api.call('GET', '/api/jobs?status=starting,running')).body.items) {
        await api.call('POST', `/api/jobs/${job.queue_id}/control/force-kill`);
      }
      await server.close(true);
    });

    it('lists the fake MIG devices and gives a gpu_profile job their MIG UUIDs in CUDA_VISIBLE_DEVICES', async () => {
      const gpus = (await api.call('GET', '/api/gpus')).body.gpus;
      expect(gpus.map((g: { mig_enabled: boolean }) => g.mig_enabled)).toEqual([false, true]);
      const devices: { profile: string; uuid: string; reserved_by: string | null }[] = gpus[1].mig_devices;
      expect(devices.map((d) => d.profile)).toEqual(['1g.10gb', '1g.10gb', '2g.20gb']);
      expect(devices.every((d) => /^MIG-/.test(d.uuid) && d.reserved_by === null)).toBe(true);

      const job = await api.command(['sh', '-c', 'echo "CVD=[$CUDA_VISIBLE_DEVICES]"; sleep 30'], {
        requested_gpus: 2,
        gpu_profile: '1g.10gb',
      });
      expect(job.status).toBe(201);
      await api.waitStatus(job.body.queue_id, ['running']);
      await waitFor(async () => /CVD=\[/.test(await api.log(job.body.queue_id)), 'the job prints');
      expect(await api.log(job.body.queue_id)).toContain(`CVD=[${devices[0].uuid},${devices[1].uuid}]`);
      const after = (await api.call('GET', '/api/gpus')).body.gpus;
      expect(after[1].mig_devices.map((d: { reserved_by: string | null }) => d.reserved_by)).toEqual([
        job.body.queue_id,
        job.body.queue_id,
        null,
      ]);
      // The fake provider sees the job's process on the GPU its MIG devices are carved from.
      await waitFor(
        async () =>
          (await api.call('GET', '/api/gpus')).body.gpus[1].processes.some(
            (p: { job_id: string | null }) => p.job_id === job.body.queue_id,
          ) || undefined,
        'the job listed on GPU 1',
      );
      await api.call('POST', `/api/jobs/${job.body.queue_id}/control/force-kill`);
    });

    /** The built CLI (`npx nest build cli`) as a user runs it against this server. */
    function cli(args: string[]): Promise<CliRun> {
      return runCli(args, cliEnv(server, server.home));
    }

    it('`trainyard submit --gpu-profile` runs the job on a MIG device; a profile not here names the flag', async () => {
      const device = (await api.call('GET', '/api/gpus')).body.gpus[1].mig_devices[2];
      expect(device.profile).toBe('2g.20gb');
      const submitted = await cli([
        'submit',
        '--gpu-profile',
        '2g.20gb',
        '--gpus',
        '1',
        '--',
        'sh',
        '-c',
        'echo "CVD=[$CUDA_VISIBLE_DEVICES]"; sleep 30',
      ]);
      expect(submitted).toMatchObject({ code: 0, stderr: '' });
      const id = submitted.stdout.trim();
      await api.waitStatus(id, ['running']);
      await waitFor(async () => /CVD=\[/.test(await api.log(id)), 'the job prints');
      expect(await api.log(id)).toContain(`CVD=[${device.uuid}]`);
      const status = await cli(['job', 'status', id]);
      expect(status.stdout).toMatch(/gpus\s+1×2g\.20gb/);
      expect(status.stdout).toContain(device.uuid);
      // gpu status: the MIG GPU says how many of its devices are held, and lists each under it.
      const table = (await cli(['gpu', 'status'])).stdout.split('\n');
      expect(table.find((l) => /^\s*1\s/.test(l))).toMatch(/MIG 1\/3 busy/);
      expect(table.find((l) => /^\s*1\/2\s/.test(l))).toMatch(
        new RegExp(`MIG 2g\\.20gb\\s+busy ${id}\\b.*20 GB`),
      );
      expect(table.find((l) => /^\s*1\/0\s/.test(l))).toMatch(/MIG 1g\.10gb\s+idle/);
      expect(table.find((l) => /^\s*0\s/.test(l))).toMatch(/\sidle\s/);

      const bad = await cli(['submit', '--gpu-profile', '3g.40gb', '--', 'true']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--gpu-profile');
      await api.call('POST', `/api/jobs/${id}/control/force-kill`);
    });
  });
});
