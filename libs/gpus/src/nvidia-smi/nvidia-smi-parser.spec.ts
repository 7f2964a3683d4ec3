import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuProcess, GpuTelemetry } from '../gpu.types';
import {
  isAbsent,
  type ListedGpu,
  parseComputeApps,
  parseListGpus,
  parseQueryGpu,
  profileMemoryGb,
} from './nvidia-smi-parser';

const FIXTURES = join(__dirname, '../../../../test/fixtures/nvidia-smi');
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');

const H100_UUID = 'GPU-6b1f2c1e-51a4-8d6e-3b3a-0c9a2f1d7e11';
const MIXED_UUID_0 = 'GPU-0a1b2c3d-0000-4000-8000-000000000001';
const MIXED_UUID_1 = 'GPU-0a1b2c3d-0000-4000-8000-000000000002';

const h100 = (load: Partial<GpuTelemetry>): GpuTelemetry => ({
  index: 0,
  uuid: H100_UUID,
  name: 'NVIDIA H100 80GB HBM3',
  pci_bus_id: '00000000:00:09.0',
  driver_version: '590.48.01',
  utilization_gpu: 0,
  utilization_memory: 0,
  memory_total_mib: 81559,
  memory_used_mib: 0,
  memory_free_mib: 81081,
  temperature_c: 41,
  power_draw_w: 69.85,
  power_limit_w: 700,
  clocks_sm_mhz: 345,
  pstate: 'P0',
  fan_speed_percent: null,
  mig_mode: 'Disabled',
  ecc_errors_uncorrected: 0,
  ...load,
});

const rtx2080 = (index: 0 | 1, rest: Partial<GpuTelemetry>): GpuTelemetry => ({
  index,
  uuid: index === 0 ? MIXED_UUID_0 : MIXED_UUID_1,
  name: 'NVIDIA GeForce RTX 2080 SUPER',
  pci_bus_id: index === 0 ? '00000000:0C:00.0' : '00000000:0D:00.0',
  driver_version: '610.62',
  utilization_gpu: null,
  utilization_memory: null,
  memory_total_mib: 8192,
  memory_used_mib: null,
  memory_free_mib: null,
  temperature_c: null,
  power_draw_w: null,
  power_limit_w: 250,
  clocks_sm_mhz: null,
  pstate: null,
  fan_speed_percent: null,
  mig_mode: null,
  ecc_errors_uncorrected: null,
  ...rest,
});

const MIXED: GpuTelemetry[] = [
  rtx2080(0, {
    utilization_gpu: 0,
    utilization_memory: 10,
    memory_used_mib: 797,
    memory_free_mib: 7191,
    temperature_c: 40,
    power_draw_w: 39.25,
    clocks_sm_mhz: 300,
    pstate: 'P8',
    fan_speed_percent: 38,
  }),
  rtx2080(1, {
    utilization_gpu: 87,
    utilization_memory: 45,
    memory_used_mib: 6120,
    memory_free_mib: 1868,
    temperature_c: 71,
    power_draw_w: 221.4,
    clocks_sm_mhz: 1905,
    pstate: 'P2',
    fan_speed_percent: 64,
  }),
];

const a100 = (index: number, rest: Partial<GpuTelemetry>): GpuTelemetry => ({
  index,
  uuid: `GPU-aaaaaaaa-0000-4000-8000-00000000000${index}`,
  name: 'NVIDIA A100-SXM4-40GB',
  pci_bus_id: null,
  driver_version: '550.54.15',
  utilization_gpu: null,
  utilization_memory: null,
  memory_total_mib: 40960,
  memory_used_mib: null,
  memory_free_mib: null,
  temperature_c: null,
  power_draw_w: null,
  power_limit_w: 400,
  clocks_sm_mhz: null,
  pstate: null,
  fan_speed_percent: null,
  mig_mode: null,
  ecc_errors_uncorrected: null,
  ...rest,
});

const t4 = (index: number, rest: Partial<GpuTelemetry>): GpuTelemetry => ({
  index,
  uuid: `GPU-bbbbbbbb-0000-4000-8000-00000000000${index}`,
  name: 'Tesla T4',
  pci_bus_id: null,
  driver_version: null,
  utilization_gpu: null,
  utilization_memory: null,
  memory_total_mib: null,
  memory_used_mib: null,
  memory_free_mib: null,
  temperature_c: null,
  power_draw_w: null,
  power_limit_w: null,
  clocks_sm_mhz: null,
  pstate: null,
  fan_speed_percent: null,
  mig_mode: null,
  ecc_errors_uncorrected: null,
  ...rest,
});

interface QueryGpuCase {
  kind: 'query-gpu';
  gpus: GpuTelemetry[];
  /** One regex per expected warning, in order. */
  warnings: RegExp[];
}
interface ListGpusCase {
  kind: 'list-gpus';
  gpus: ListedGpu[];
}
interface ComputeAppsCase {
  kind: 'compute-apps';
  /** The query-gpu fixture whose UUIDs the processes refer to. */
  gpusFrom: string;
  processes: GpuProcess[];
  warnings: RegExp[];
}

// Every `.txt` in the fixtures folder must appear here (checked below), so a new recording
// cannot slip in untested.
const mig = (gpu_index: number, device_index: number, profile: string, uuid: string) => ({
  gpu_index,
  device_index,
  profile,
  uuid,
  memory_gb: profileMemoryGb(profile),
});
const A100 = 'GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77';

const CASES: Record<string, QueryGpuCase | ComputeAppsCase | ListGpusCase> = {
  'list-gpus-2x-mig': {
    kind: 'list-gpus',
    gpus: [
      { index: 0, uuid: 'GPU-6b1f2c1e-51a4-8d6e-3b3a-0c9a2f1d7e11', mig_devices: [] },
      {
        index: 1,
        uuid: 'GPU-6b1f2c1e-51a4-8d6e-3b3a-0c9a2f1d7e12',
        mig_devices: [
          mig(1, 0, '1g.10gb', 'MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a11'),
          mig(1, 1, '1g.10gb', 'MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a12'),
          mig(1, 2, '2g.20gb', 'MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a13'),
        ],
      },
    ],
  },
  'list-gpus-a100-old-mig': {
    kind: 'list-gpus',
    gpus: [
      {
        index: 0,
        uuid: A100,
        mig_devices: [
          mig(0, 0, '1g.5gb', `MIG-${A100}/7/0`),
          mig(0, 1, '1g.5gb', `MIG-${A100}/8/0`),
          mig(0, 2, '3g.20gb', `MIG-${A100}/1/0`),
        ],
      },
      { index: 1, uuid: 'GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a78', mig_devices: [] },
    ],
  },
  'query-gpu-h100-idle': { kind: 'query-gpu', gpus: [h100({})], warnings: [] },
  'query-gpu-2x-mig': {
    kind: 'query-gpu',
    gpus: [
      h100({ name: 'NVIDIA RTX PRO 6000 Blackwell Server Edition' }),
      h100({
        index: 1,
        name: 'NVIDIA RTX PRO 6000 Blackwell Server Edition',
        uuid: 'GPU-6b1f2c1e-51a4-8d6e-3b3a-0c9a2f1d7e12',
        pci_bus_id: '00000000:00:0A.0',
        utilization_gpu: null,
        temperature_c: 39,
        power_draw_w: 66.1,
        mig_mode: 'Enabled',
      }),
    ],
    warnings: [],
  },
  'query-gpu-h100-load': {
    kind: 'query-gpu',
    gpus: [
      h100({
        utilization_gpu: 100,
        utilization_memory: 11,
        memory_used_mib: 19818,
        memory_free_mib: 61263,
        temperature_c: 59,
        power_draw_w: 631.95,
        clocks_sm_mhz: 1980,
      }),
    ],
    warnings: [],
  },
  'query-gpu-l40s': {
    kind: 'query-gpu',
    gpus: [
      {
        index: 0,
        uuid: 'GPU-2c0d8a7b-9f13-4e55-a1c2-7d3e9b8f6a20',
        name: 'NVIDIA L40S',
        pci_bus_id: '00000000:01:00.0',
        driver_version: '595.80',
        utilization_gpu: 9,
        utilization_memory: 2,
        memory_total_mib: 46068,
        memory_used_mib: 1235,
        memory_free_mib: 44225,
        temperature_c: 54,
        power_draw_w: 110.23,
        power_limit_w: 350,
        clocks_sm_mhz: 2520,
        pstate: 'P0',
        fan_speed_percent: null,
        mig_mode: null,
        ecc_errors_uncorrected: 0,
      },
    ],
    warnings: [],
  },
  'query-gpu-2x-mixed': { kind: 'query-gpu', gpus: MIXED, warnings: [] },
  'query-gpu-none': { kind: 'query-gpu', gpus: [], warnings: [] },
  // The provider never parses a failed run; the parser must still not invent a GPU from prose.
  'query-gpu-nodriver': {
    kind: 'query-gpu',
    gpus: [],
    warnings: [/line 1: skipped, index "NVIDIA-SMI has failed/],
  },
  'edge-query-gpu-lost': { kind: 'query-gpu', gpus: [], warnings: [/line 1: skipped/] },
  'edge-query-gpu-exit6-silent': { kind: 'query-gpu', gpus: [], warnings: [] },
  'edge-query-gpu-driver-mismatch': { kind: 'query-gpu', gpus: [], warnings: [] },
  'edge-query-gpu-absent-markers': {
    kind: 'query-gpu',
    gpus: [
      a100(0, { pci_bus_id: '00000000:07:00.0', pstate: 'P0', mig_mode: 'Enabled' }),
      // Real zeros stay zeros; only the markers become null.
      {
        index: 1,
        uuid: null,
        name: null,
        pci_bus_id: null,
        driver_version: null,
        utilization_gpu: 0,
        utilization_memory: 0,
        memory_total_mib: 0,
        memory_used_mib: 0,
        memory_free_mib: 0,
        temperature_c: 0,
        power_draw_w: 0,
        power_limit_w: 0,
        clocks_sm_mhz: 0,
        pstate: null,
        fan_speed_percent: 0,
        mig_mode: null,
        ecc_errors_uncorrected: 0,
      },
      a100(2, {
        pci_bus_id: '00000000:0F:00.0',
        memory_used_mib: 100,
        memory_free_mib: 40860,
        mig_mode: 'Disabled',
        ecc_errors_uncorrected: 3,
      }),
    ],
    warnings: [
      /line 3: GPU 2 utilization.gpu "12abc" is not a number/,
      /line 3: GPU 2 utilization.memory "5 %" is not a number/,
      /line 3: GPU 2 temperature.gpu "NaN" is not a number/,
      /line 3: GPU 2 clocks.sm "Infinity" is not a number/,
      /line 3: GPU 2 fan.speed "-" is not a number/,
    ],
  },
  'edge-query-gpu-bad-index': {
    kind: 'query-gpu',
    gpus: [
      t4(0, {
        pci_bus_id: '00000000:3B:00.0',
        driver_version: '535.104.05',
        utilization_gpu: 3,
        utilization_memory: 1,
        memory_total_mib: 15360,
        memory_used_mib: 5,
        memory_free_mib: 15355,
        temperature_c: 38,
        power_draw_w: 9.87,
        power_limit_w: 70,
        clocks_sm_mhz: 300,
        pstate: 'P8',
        ecc_errors_uncorrected: 0,
      }),
      t4(1, { pci_bus_id: '00000000:AF:00.0' }),
    ],
    warnings: [
      /line 1: skipped, index "\[N\/A\]"/,
      /line 2: skipped, index ""/,
      /line 3: skipped, index "-1"/,
      /line 5: skipped, GPU index 0 was already reported/,
      /line 6: GPU 1 has 4 of 18 columns/,
    ],
  },
  'edge-query-gpu-crlf-spaces': {
    kind: 'query-gpu',
    gpus: [
      {
        index: 0,
        uuid: 'GPU-cccccccc-0000-4000-8000-000000000000',
        name: 'NVIDIA RTX A6000',
        pci_bus_id: '00000000:41:00.0',
        driver_version: '535.129.03',
        utilization_gpu: 1,
        utilization_memory: 0,
        memory_total_mib: 49140,
        memory_used_mib: 2,
        memory_free_mib: 48677,
        temperature_c: 30,
        power_draw_w: 22.17,
        power_limit_w: 300,
        clocks_sm_mhz: 0,
        pstate: 'P8',
        fan_speed_percent: 30,
        mig_mode: null,
        ecc_errors_uncorrected: null,
      },
      {
        index: 1,
        uuid: 'GPU-cccccccc-0000-4000-8000-000000000001',
        // A comma in the product name must not shift the other columns.
        name: 'NVIDIA RTX A6000, Rev B',
        pci_bus_id: '00000000:61:00.0',
        driver_version: '535.129.03',
        utilization_gpu: 99,
        utilization_memory: 73,
        memory_total_mib: 49140,
        memory_used_mib: 45000,
        memory_free_mib: 4140,
        temperature_c: 84,
        power_draw_w: 297.5,
        power_limit_w: 300,
        clocks_sm_mhz: 1800,
        pstate: 'P2',
        fan_speed_percent: 88,
        mig_mode: null,
        ecc_errors_uncorrected: null,
      },
    ],
    warnings: [],
  },
  'compute-apps-h100-busy': {
    kind: 'compute-apps',
    gpusFrom: 'query-gpu-h100-load',
    processes: [
      { gpu_index: 0, pid: 11327, process_name: '/root/tools/memhog', used_memory_mib: 2566 },
      { gpu_index: 0, pid: 11328, process_name: '/root/tools/memhog', used_memory_mib: 1542 },
      { gpu_index: 0, pid: 11345, process_name: './gpu_burn', used_memory_mib: 15690 },
    ],
    warnings: [],
  },
  'compute-apps-idle': { kind: 'compute-apps', gpusFrom: 'query-gpu-h100-idle', processes: [], warnings: [] },
  'edge-compute-apps-fail': {
    kind: 'compute-apps',
    gpusFrom: 'query-gpu-2x-mixed',
    processes: [],
    warnings: [],
  },
  'edge-compute-apps-commas': {
    kind: 'compute-apps',
    gpusFrom: 'query-gpu-2x-mixed',
    processes: [
      {
        gpu_index: 0,
        pid: 4242,
        process_name: 'python train.py --lr 0.1,0.2 --tags a,b',
        used_memory_mib: 3010,
      },
      { gpu_index: 1, pid: 4243, process_name: '/usr/bin/python3', used_memory_mib: 5120 },
      { gpu_index: 1, pid: 4244, process_name: null, used_memory_mib: null },
      { gpu_index: 1, pid: 4245, process_name: null, used_memory_mib: 16 },
    ],
    warnings: [],
  },
  'edge-compute-apps-unknown-uuid': {
    kind: 'compute-apps',
    gpusFrom: 'query-gpu-2x-mixed',
    processes: [
      { gpu_index: 1, pid: 4252, process_name: 'python', used_memory_mib: null },
      { gpu_index: 0, pid: 4253, process_name: 'trainer', used_memory_mib: 2048 },
    ],
    warnings: [
      /line 2: skipped pid 9999, GPU "GPU-ffffffff-0000-4000-8000-00000000dead" is not in the GPU list/,
      /line 3: skipped, pid "abc"/,
      /line 4: skipped, expected 4 columns/,
      /line 5: skipped pid 4251, GPU "\[N\/A\]"/,
      /line 6: pid 4252 used_gpu_memory "12 MiB" is not a number/,
    ],
  },
};

describe('nvidia-smi parser', () => {
  it('has a case for every recorded and edge fixture', () => {
    const onDisk = readdirSync(FIXTURES)
      .filter((file) => file.endsWith('.txt'))
      .map((file) => file.slice(0, -'.txt'.length))
      .sort();

    expect(Object.keys(CASES).sort()).toEqual(onDisk);
  });

  describe(parseQueryGpu.name, () => {
    const cases = Object.entries(CASES).flatMap(([name, c]) =>
      c.kind === 'query-gpu' ? [[name, c] as const] : [],
    );

    it.each(cases)('%s', (name, { gpus, warnings }) => {
      const sut = parseQueryGpu(fixture(name));

      expect(sut.gpus).toEqual(gpus);
      expect(sut.warnings).toHaveLength(warnings.length);
      warnings.forEach((pattern, i) => expect(sut.warnings[i]).toMatch(pattern));
    });

    it('never reports NaN', () => {
      for (const [name] of cases) {
        for (const gpu of parseQueryGpu(fixture(name)).gpus) {
          for (const value of Object.values(gpu)) expect(Number.isNaN(value)).toBe(false);
        }
      }
    });

    it.each([
      ['LF', '0, GPU-x, N, B, D, 1, 2, 3, 4, 5, 6, 7.5, 8, 9, P0, 10, M, 11\n'],
      ['CRLF', '0, GPU-x, N, B, D, 1, 2, 3, 4, 5, 6, 7.5, 8, 9, P0, 10, M, 11\r\n\r\n'],
      ['no trailing newline', '0,GPU-x,N,B,D,1,2,3,4,5,6,7.5,8,9,P0,10,M,11'],
      ['padded', '\n   0 ,GPU-x , N,B ,D,1,2,3,4,5,6,7.5,8,9,P0,10,M,11   \n\n'],
    ])('reads the same values with %s line endings and padding', (_label, text) => {
      const sut = parseQueryGpu(text);

      expect(sut.warnings).toEqual([]);
      expect(sut.gpus).toEqual([
        {
          index: 0,
          uuid: 'GPU-x',
          name: 'N',
          pci_bus_id: 'B',
          driver_version: 'D',
          utilization_gpu: 1,
          utilization_memory: 2,
          memory_total_mib: 3,
          memory_used_mib: 4,
          memory_free_mib: 5,
          temperature_c: 6,
          power_draw_w: 7.5,
          power_limit_w: 8,
          clocks_sm_mhz: 9,
          pstate: 'P0',
          fan_speed_percent: 10,
          mig_mode: 'M',
          ecc_errors_uncorrected: 11,
        },
      ]);
    });
  });

  describe(parseComputeApps.name, () => {
    const cases = Object.entries(CASES).flatMap(([name, c]) =>
      c.kind === 'compute-apps' ? [[name, c] as const] : [],
    );

    it.each(cases)('%s', (name, { gpusFrom, processes, warnings }) => {
      const { gpus } = parseQueryGpu(fixture(gpusFrom));

      const sut = parseComputeApps(fixture(name), gpus);

      expect(sut.processes).toEqual(processes);
      expect(sut.warnings).toHaveLength(warnings.length);
      warnings.forEach((pattern, i) => expect(sut.warnings[i]).toMatch(pattern));
    });

    it('skips every process when the GPU list is empty', () => {
      const sut = parseComputeApps(fixture('compute-apps-h100-busy'), []);

      expect(sut.processes).toEqual([]);
      expect(sut.warnings).toHaveLength(3);
    });
  });

  describe(parseListGpus.name, () => {
    const cases = Object.entries(CASES).flatMap(([name, c]) =>
      c.kind === 'list-gpus' ? [[name, c] as const] : [],
    );

    it.each(cases)('%s', (name, { gpus }) => {
      const sut = parseListGpus(fixture(name));

      expect(sut.gpus).toEqual(gpus);
      expect(sut.warnings).toEqual([]);
    });

    it('skips lines it cannot read, with a warning, and reads the rest (CRLF too)', () => {
      const sut = parseListGpus(
        'GPU 0: X (UUID: GPU-a)\r\n  MIG 1g.10gb Device 0: (UUID: MIG-b)\r\n  something else\r\n',
      );

      expect(sut.gpus).toEqual([{ index: 0, uuid: 'GPU-a', mig_devices: [mig(0, 0, '1g.10gb', 'MIG-b')] }]);
      expect(sut.warnings).toEqual([expect.stringMatching(/line 3 not understood: "something else"/)]);
    });

    it.each([
      ['1g.10gb', 10],
      ['1g.10gb+me', 10],
      ['7g.80gb', 80],
      ['odd', null],
    ])('profileMemoryGb(%j) → %j', (profile, gb) => {
      expect(profileMemoryGb(profile)).toBe(gb);
    });
  });

  describe(isAbsent.name, () => {
    it.each([
      ['[N/A]', true],
      ['N/A', true],
      ['[Not Supported]', true],
      ['[Insufficient Permissions]', true],
      ['[Unknown Error]', true],
      ['', true],
      ['   ', true],
      [' [N/A] ', true],
      ['[GPU is lost]', true],
      ['0', false],
      ['Disabled', false],
      ['NA', false],
    ])('%j → %s', (value, expected) => {
      expect(isAbsent(value)).toBe(expected);
    });
  });
});
