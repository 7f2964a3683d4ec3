import type { GpuProcess, GpuTelemetry, MigDevice } from '../gpu.types';

/** `--query-gpu` fields, in the order the parser expects the columns. */
export const QUERY_GPU_FIELDS = [
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'driver_version',
  'utilization.gpu',
  'utilization.memory',
  'memory.total',
  'memory.used',
  'memory.free',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'clocks.sm',
  'pstate',
  'fan.speed',
  'mig.mode.current',
  'ecc.errors.uncorrected.volatile.total',
] as const;

/** `--query-compute-apps` fields, in the order the parser expects the columns. */
export const COMPUTE_APPS_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_gpu_memory'] as const;

export interface QueryGpuParseResult {
  gpus: GpuTelemetry[];
  warnings: string[];
}

export interface ComputeAppsParseResult {
  processes: GpuProcess[];
  warnings: string[];
}

const NAME_COLUMN = 2;

const ABSENT_MARKERS = new Set([
  '',
  'N/A',
  '[N/A]',
  '[Not Supported]',
  '[Insufficient Permissions]',
  '[Unknown Error]',
]);
// nvidia-smi has more bracketed placeholders than the documented ones ("[GPU is lost]",
// "[Requires Reset]", ...); none of them is ever a real value.
const BRACKETED = /^\[.*\]$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const NON_NEGATIVE_INT = /^\d+$/;

/** Not a process line; tolerated in case a driver version prints it instead of nothing. */
const NO_PROCESSES = /^no running (compute )?processes found$/i;

export function isAbsent(raw: string): boolean {
  const value = raw.trim();
  return ABSENT_MARKERS.has(value) || BRACKETED.test(value);
}

/**
 * Splits on CR/LF, trims every line and drops blank ones (trailing newlines, CRLF captures);
 * keeps 1-based line numbers for warnings.
 */
function lines(text: string): Array<{ lineNo: number; line: string }> {
  return text
    .split(/\r\n|\r|\n/)
    .map((line, i) => ({ lineNo: i + 1, line: line.trim() }))
    .filter(({ line }) => line.length > 0);
}

function readString(raw: string): string | null {
  return isAbsent(raw) ? null : raw.trim();
}

/** `null` for absent markers and garbage alike, so NaN can never reach the API. */
function readNumber(raw: string, kind: 'int' | 'float'): { value: number | null; garbage: boolean } {
  const value = raw.trim();
  if (isAbsent(value)) return { value: null, garbage: false };
  if (!NUMBER.test(value)) return { value: null, garbage: true };
  const parsed = Number(value);
  // An integer column never carries a fraction in practice; round rather than leak one.
  return { value: kind === 'int' ? Math.round(parsed) : parsed, garbage: false };
}

function excerpt(line: string): string {
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** Parses `--query-gpu=<QUERY_GPU_FIELDS> --format=csv,noheader,nounits` output. */
export function parseQueryGpu(text: string): QueryGpuParseResult {
  const gpus: GpuTelemetry[] = [];
  const warnings: string[] = [];
  const seen = new Set<number>();

  for (const { lineNo, line } of lines(text)) {
    let fields = line.split(',');
    const expected = QUERY_GPU_FIELDS.length;
    if (fields.length > expected) {
      // Only the product name is free text; fold the surplus back into it rather than shift
      // every later column.
      const surplus = fields.length - expected;
      fields = [
        ...fields.slice(0, NAME_COLUMN),
        fields.slice(NAME_COLUMN, NAME_COLUMN + surplus + 1).join(','),
        ...fields.slice(NAME_COLUMN + surplus + 1),
      ];
    }

    const rawIndex = fields[0].trim();
    if (!NON_NEGATIVE_INT.test(rawIndex)) {
      warnings.push(`query-gpu line ${lineNo}: skipped, index "${excerpt(rawIndex)}" is not a GPU index`);
      continue;
    }
    const index = Number(rawIndex);
    if (seen.has(index)) {
      warnings.push(`query-gpu line ${lineNo}: skipped, GPU index ${index} was already reported`);
      continue;
    }
    seen.add(index);

    if (fields.length < expected) {
      warnings.push(
        `query-gpu line ${lineNo}: GPU ${index} has ${fields.length} of ${expected} columns; the missing ones are null`,
      );
    }

    const str = (column: number): string | null => readString(fields[column] ?? '');
    const num = (column: number, kind: 'int' | 'float'): number | null => {
      const raw = fields[column] ?? '';
      const { value, garbage } = readNumber(raw, kind);
      if (garbage) {
        const field = QUERY_GPU_FIELDS[column];
        warnings.push(
          `query-gpu line ${lineNo}: GPU ${index} ${field} "${excerpt(raw.trim())}" is not a number`,
        );
      }
      return value;
    };
    const gpu: GpuTelemetry = {
      index,
      uuid: str(1),
      name: str(2),
      pci_bus_id: str(3),
      driver_version: str(4),
      utilization_gpu: num(5, 'int'),
      utilization_memory: num(6, 'int'),
      memory_total_mib: num(7, 'int'),
      memory_used_mib: num(8, 'int'),
      memory_free_mib: num(9, 'int'),
      temperature_c: num(10, 'int'),
      power_draw_w: num(11, 'float'),
      power_limit_w: num(12, 'float'),
      clocks_sm_mhz: num(13, 'int'),
      pstate: str(14),
      fan_speed_percent: num(15, 'int'),
      mig_mode: str(16),
      ecc_errors_uncorrected: num(17, 'int'),
    };
    gpus.push(gpu);
  }

  return { gpus, warnings };
}

/**
 * Parses `--query-compute-apps=<COMPUTE_APPS_FIELDS> --format=csv,noheader,nounits` output.
 * nvidia-smi reports processes by GPU UUID only, so `gpus` (from {@link parseQueryGpu}) maps them
 * to indices.
 */
export function parseComputeApps(
  text: string,
  gpus: ReadonlyArray<Pick<GpuTelemetry, 'index' | 'uuid'>>,
): ComputeAppsParseResult {
  const processes: GpuProcess[] = [];
  const warnings: string[] = [];
  const indexByUuid = new Map<string, number>();
  for (const gpu of gpus) {
    if (gpu.uuid !== null) indexByUuid.set(gpu.uuid.toLowerCase(), gpu.index);
  }

  for (const { lineNo, line } of lines(text)) {
    if (NO_PROCESSES.test(line)) continue;
    // The process name is free text and may hold commas: uuid and pid are the first two
    // columns, memory the last, the name is everything between, verbatim.
    const first = line.indexOf(',');
    const second = first < 0 ? -1 : line.indexOf(',', first + 1);
    const last = line.lastIndexOf(',');
    if (second < 0 || last <= second) {
      warnings.push(`compute-apps line ${lineNo}: skipped, expected 4 columns in "${excerpt(line)}"`);
      continue;
    }
    const uuid = line.slice(0, first).trim();
    const rawPid = line.slice(first + 1, second).trim();
    const rawName = line.slice(second + 1, last);
    const rawMemory = line.slice(last + 1);

    if (!NON_NEGATIVE_INT.test(rawPid) || Number(rawPid) === 0) {
      warnings.push(`compute-apps line ${lineNo}: skipped, pid "${excerpt(rawPid)}" is not a process id`);
      continue;
    }
    const pid = Number(rawPid);
    const gpuIndex = isAbsent(uuid) ? undefined : indexByUuid.get(uuid.toLowerCase());
    if (gpuIndex === undefined) {
      warnings.push(
        `compute-apps line ${lineNo}: skipped pid ${pid}, GPU "${excerpt(uuid)}" is not in the GPU list`,
      );
      continue;
    }
    const memory = readNumber(rawMemory, 'int');
    if (memory.garbage) {
      warnings.push(
        `compute-apps line ${lineNo}: pid ${pid} used_gpu_memory "${excerpt(rawMemory.trim())}" is not a number`,
      );
    }
    processes.push({
      gpu_index: gpuIndex,
      pid,
      process_name: readString(rawName),
      used_memory_mib: memory.value,
    });
  }

  return { processes, warnings };
}

/** nvidia-smi's `mig.mode.current` says `Enabled` (null/absent on GPUs and drivers without MIG). */
export function isMigEnabled(gpu: Pick<GpuTelemetry, 'mig_mode'>): boolean {
  return gpu.mig_mode?.toLowerCase() === 'enabled';
}

/** What `nvidia-smi -L` says of one GPU: its index and UUID, and its MIG devices (empty without MIG). */
export interface ListedGpu {
  index: number;
  uuid: string;
  mig_devices: MigDevice[];
}

export interface ListGpusParseResult {
  gpus: ListedGpu[];
  warnings: string[];
}

// `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5b...)`
const LIST_GPU_LINE = /^GPU\s+(\d+):.*\(UUID:\s*(\S+?)\)\s*$/;
// `  MIG 1g.5gb     Device  0: (UUID: MIG-c6d4...)` (R470+), or on older drivers
// `  MIG 1g.5gb Device 0: (UUID: MIG-GPU-5d5b.../7/0)`: the same shape, another UUID form.
const LIST_MIG_LINE = /^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-\S+?)\)\s*$/;
const PROFILE_MEMORY = /^\d+g\.(\d+)gb(?:\+\w+)?$/i;

/** The memory a MIG profile names, GB (`1g.10gb` → 10, `1g.10gb+me` → 10); null when it names none. */
export function profileMemoryGb(profile: string): number | null {
  const match = PROFILE_MEMORY.exec(profile);
  return match ? Number(match[1]) : null;
}

/**
 * Parses `nvidia-smi -L`: one `GPU N: <name> (UUID: ...)` line per GPU, each followed by its MIG
 * devices when it is in MIG mode. Lines it cannot read are skipped with a warning.
 */
export function parseListGpus(stdout: string): ListGpusParseResult {
  const gpus: ListedGpu[] = [];
  const warnings: string[] = [];
  stdout.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const gpu = LIST_GPU_LINE.exec(line);
    if (gpu) {
      gpus.push({ index: Number(gpu[1]), uuid: gpu[2], mig_devices: [] });
      return;
    }
    const mig = LIST_MIG_LINE.exec(line);
    const parent = gpus[gpus.length - 1];
    if (mig && parent) {
      parent.mig_devices.push({
        gpu_index: parent.index,
        device_index: Number(mig[2]),
        profile: mig[1],
        uuid: mig[3],
        memory_gb: profileMemoryGb(mig[1]),
      });
      return;
    }
    warnings.push(`nvidia-smi -L line ${i + 1} not understood: ${JSON.stringify(line.trim().slice(0, 120))}`);
  });
  return { gpus, warnings };
}
