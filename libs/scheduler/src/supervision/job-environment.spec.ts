import { reservedEnvProblem, TRAINYARD_SET_ENV } from '@trainyard/queue';
import { RUN_ID_ENV, RUN_TOKEN_FILE_ENV, SERVER_URL_ENV } from '@trainyard/tracking';
import { buildJobEnvironment, JobEnvironmentInput } from './job-environment';

const input: JobEnvironmentInput = {
  jobId: 'q_1_ab',
  nodeId: 'node-a',
  serverEnv: { PATH: '/usr/bin', TRAINYARD_HOME: '/srv/ty' },
  typeEnv: {},
  userEnv: { MY_VAR: 'x' },
  trainyardEnv: {
    [RUN_ID_ENV]: 'r_1',
    [SERVER_URL_ENV]: 'http://127.0.0.1:8765',
    [RUN_TOKEN_FILE_ENV]: '/s/t',
  },
  controlDir: '/srv/ty/jobs/q_1_ab.d',
  gpuIndices: [2],
  array: { id: 'a_1', index: 3 },
  restartCount: 0,
  gpulessHidesGpus: true,
};

describe(buildJobEnvironment.name, () => {
  it('sets only Trainyard variables that a submit is refused (so a job record never shows a value it did not get)', () => {
    const env = buildJobEnvironment(input);
    const own = Object.keys(env).filter((k) => k.startsWith('TRAINYARD_') && !(k in input.serverEnv));
    expect(own.sort()).toEqual([...TRAINYARD_SET_ENV].sort());
    for (const name of own) expect(reservedEnvProblem(name, false)).toBeDefined();
  });

  it('gives a job with GPUs its placed GPUs in nvidia-smi order, a GPU-less job its own values or none', () => {
    expect(buildJobEnvironment(input).CUDA_VISIBLE_DEVICES).toBe('2');
    expect(reservedEnvProblem('CUDA_VISIBLE_DEVICES', true)).toBeDefined();
    // Numbered as nvidia-smi does, whatever an older record's env or a job type says.
    const reordered = { userEnv: { CUDA_DEVICE_ORDER: 'FASTEST_FIRST' } };
    expect(buildJobEnvironment({ ...input, ...reordered }).CUDA_DEVICE_ORDER).toBe('PCI_BUS_ID');
    expect(reservedEnvProblem('CUDA_DEVICE_ORDER', true)).toBeDefined();
    expect(buildJobEnvironment({ ...input, ...reordered, gpuIndices: [] }).CUDA_DEVICE_ORDER).toBe(
      'FASTEST_FIRST',
    );
    expect(reservedEnvProblem('CUDA_DEVICE_ORDER', false)).toBeUndefined();
    const gpuless = { ...input, gpuIndices: [] };
    expect(buildJobEnvironment(gpuless).CUDA_VISIBLE_DEVICES).toBe('');
    expect(
      buildJobEnvironment({ ...gpuless, userEnv: { CUDA_VISIBLE_DEVICES: '1' } }).CUDA_VISIBLE_DEVICES,
    ).toBe('1');
    expect(reservedEnvProblem('CUDA_VISIBLE_DEVICES', false)).toBeUndefined();
  });
});
