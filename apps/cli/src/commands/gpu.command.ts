import type { Command } from 'commander';
import {
  describeGpuKill,
  killGpuProcesses,
  listGpus,
  setGpuPolicy,
  type GpuDto,
  type GpuListDto,
} from '@trainyard/sdk';
import { parseInteger, parsePriority } from '../args';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { Cell, renderTable, truncate } from '../format';
import { requireYes, type CommandRunner } from './runner';

const num = (value: number | null, unit = '') => (value === null ? '-' : `${Math.round(value)}${unit}`);

/**
 * `idle`, `busy <job>`, `disabled`, `excluded`, `used outside Trainyard (N processes)`, or a
 * combination (`disabled, busy q_…`). A GPU in MIG mode is never placed whole: its state says how many
 * of its MIG devices are held (`MIG 1/3 busy`). Processes Trainyard did not start do not keep the
 * scheduler off a GPU (`gpu disable` does), but a GPU they use is not called idle.
 */
export function gpuState(ctx: CliContext, gpu: GpuDto): Cell {
  const held = gpu.mig_devices.filter((d) => d.reserved_by !== null).length;
  const outside = gpu.processes.filter((p) => p.job_id === null).length;
  const parts = [
    ...(gpu.excluded ? ['excluded'] : []),
    ...(gpu.disabled ? ['disabled'] : []),
    ...(gpu.mig_enabled ? [`MIG ${held}/${gpu.mig_devices.length} busy`] : []),
    ...(gpu.reserved_by ? [`busy ${gpu.reserved_by}`] : []),
    ...(outside ? [`used outside Trainyard (${outside} process${outside === 1 ? '' : 'es'})`] : []),
  ];
  const text = parts.join(', ') || 'idle';
  const style = gpu.excluded
    ? ctx.colors.dim
    : gpu.disabled || (outside && !gpu.reserved_by)
      ? ctx.colors.yellow
      : gpu.reserved_by || held > 0
        ? ctx.colors.cyan
        : ctx.colors.green;
  return { text, style };
}

/** A row per MIG device under its GPU's (`1/0  MIG 1g.10gb  busy q_…  10 GB`), as nvidia-smi -L lists them. */
function migRows(ctx: CliContext, gpu: GpuDto): Cell[][] {
  return gpu.mig_devices.map((d) => [
    `${gpu.index}/${d.device_index}`,
    `  MIG ${d.profile}`,
    d.reserved_by
      ? { text: `busy ${d.reserved_by}`, style: ctx.colors.cyan }
      : { text: 'idle', style: ctx.colors.green },
    '',
    '',
    d.memory_gb === null ? '-' : `${d.memory_gb} GB`,
    '',
    '',
    '',
  ]);
}

export function renderGpus(ctx: CliContext, list: GpuListDto): string {
  let text = '';
  if (list.state !== 'ok' || list.message) {
    text += `${list.provider}: ${list.state}${list.message ? ` — ${list.message}` : ''}\n`;
  }
  if (!list.gpus.length) return `${text}no GPUs\n`;
  const rows: Cell[][] = list.gpus.flatMap((gpu) => [
    [
      String(gpu.index),
      truncate(gpu.name ?? '-', 28),
      gpuState(ctx, gpu),
      gpu.min_priority === null ? '-' : `≥ ${gpu.min_priority}`,
      num(gpu.utilization_gpu, '%'),
      gpu.memory_total_mib === null ? '-' : `${num(gpu.memory_used_mib)}/${num(gpu.memory_total_mib)} MiB`,
      num(gpu.temperature_c, '°C'),
      num(gpu.power_draw_w, ' W'),
      gpu.processes.map((p) => p.pid).join(',') || '-',
    ],
    ...migRows(ctx, gpu),
  ]);
  return (
    text +
    renderTable(
      [
        { header: 'GPU', align: 'right' },
        { header: 'NAME' },
        { header: 'STATE' },
        { header: 'GATE', align: 'right' },
        { header: 'UTIL', align: 'right' },
        { header: 'MEMORY', align: 'right' },
        { header: 'TEMP', align: 'right' },
        { header: 'POWER', align: 'right' },
        { header: 'PIDS' },
      ],
      rows,
    )
  );
}

async function setPolicy(
  ctx: CliContext,
  indexText: string,
  body: { disabled?: boolean; min_priority?: number | null },
): Promise<void> {
  const index = parseInteger(indexText, '<index>', { min: 0 });
  const { data } = await setGpuPolicy({ client: ctx.client, path: { index }, body });
  ctx.output({ index, ...data }, () => {
    const state = data.disabled ? 'disabled' : 'enabled';
    const gate = data.min_priority === null ? 'no priority gate' : `priority ≥ ${data.min_priority}`;
    return `GPU ${index}: ${state}, ${gate}`;
  });
}

export function registerGpu(program: Command, run: CommandRunner): void {
  const gpu = program.command('gpu').summary('GPUs and their scheduling policy').description('GPUs.');

  gpu
    .command('status')
    .description('every GPU: state, policy, utilisation, memory, temperature, power, processes')
    .action(
      run(async (ctx) => {
        const { data } = await listGpus({ client: ctx.client });
        ctx.output(data, () => renderGpus(ctx, data));
      }),
    );

  gpu
    .command('disable')
    .description('place no new jobs on this GPU (running ones go on)')
    .argument('<index>', 'GPU index')
    .action(run(async (ctx, index: string) => setPolicy(ctx, index, { disabled: true })));

  gpu
    .command('enable')
    .description('let the scheduler use this GPU again')
    .argument('<index>', 'GPU index')
    .action(run(async (ctx, index: string) => setPolicy(ctx, index, { disabled: false })));

  gpu
    .command('priority')
    .description('gate the GPU: only place jobs with at least this priority on it (see clear-gate)')
    .argument('<index>', 'GPU index')
    .argument('<n>', 'minimum priority (may be negative)')
    .action(
      run(async (ctx, index: string, n: string) =>
        setPolicy(ctx, index, { min_priority: parsePriority(n, '<n>') }),
      ),
    );

  gpu
    .command('clear-gate')
    .description('remove the priority gate: jobs of every priority, negative ones included, may use the GPU')
    .argument('<index>', 'GPU index')
    .action(run(async (ctx, index: string) => setPolicy(ctx, index, { min_priority: null })));

  gpu
    .command('kill')
    .description(
      "SIGKILL every process on the GPU, Trainyard jobs included (needs --yes); other users' only with --force",
    )
    .argument('<index>', 'GPU index')
    .option('-y, --yes', 'confirm: the processes are killed without warning')
    .option('--force', "also kill other users' processes on the GPU (default: listed as not killed)")
    .action(
      run(async (ctx, indexText: string, options: { yes?: boolean; force?: boolean }) => {
        const index = parseInteger(indexText, '<index>', { min: 0 });
        requireYes(options.yes, `killing every process on GPU ${index}`);
        const { data } = await killGpuProcesses({
          client: ctx.client,
          path: { index },
          body: { confirmed: true, force: options.force === true },
        });
        ctx.output(data, () => describeGpuKill(index, data).lines.join('\n'));
        if (data.failed.length)
          throw new CliError(`${data.failed.length} process(es) on GPU ${index} not killed`);
      }),
    );
}
