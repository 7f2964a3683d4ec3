import type { Command } from 'commander';
import { listServices, setServiceEnabled, type ServiceDto } from '@trainyard/sdk';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { Cell, formatDuration, renderTable, truncate } from '../format';
import type { CommandRunner } from './runner';

/**
 * A service's state, coloured: up green, on its way cyan, down dim, failing red. A service waiting
 * to start again says after how many failures in a row, and when: `crash_loop (3 failures; next
 * try in 12s)`.
 */
function stateCell(ctx: CliContext, s: ServiceDto, now: number): Cell {
  const style =
    s.state === 'running'
      ? s.health === 'unhealthy'
        ? ctx.colors.red
        : ctx.colors.green
      : ['queued', 'starting', 'stopping'].includes(s.state)
        ? ctx.colors.cyan
        : ['backoff', 'crash_loop', 'invalid', 'refused'].includes(s.state)
          ? ctx.colors.red
          : ctx.colors.dim;
  const waiting = (s.state === 'backoff' || s.state === 'crash_loop') && s.next_attempt_at;
  if (!waiting) return { text: s.state, style };
  const failures = `${s.consecutive_failures} failure${s.consecutive_failures === 1 ? '' : 's'}`;
  const next = formatDuration(Math.max(0, Math.ceil((Date.parse(waiting) - now) / 1000)));
  return { text: `${s.state} (${failures}; next try in ${next})`, style };
}

function lastExit(s: ServiceDto): string {
  const exit = s.last_exit;
  if (!exit) return '-';
  const how = exit.termination_reason ?? exit.status;
  return `${exit.queue_id} ${how}${exit.exit_code === null ? '' : ` (${exit.exit_code})`}`;
}

/**
 * Why its last instance failed (`last instance q_… failed: command not found: x`), or what its failing
 * health probe got (`health probe: GET /nope → HTTP 404`), or null.
 */
function lastError(s: ServiceDto): string | null {
  const exit = s.last_exit;
  if (s.last_probe && !s.last_probe.ok) return `health probe: ${s.last_probe.result}`;
  return exit?.status === 'failed' && exit.error
    ? `last instance ${exit.queue_id} failed: ${exit.error}`
    : null;
}

/**
 * The services table (`SERVICE STATE HEALTH INSTANCE RESTARTS LAST EXIT`), then one line per
 * service with an error (an invalid entry, a start that failed, a failing health probe, why its
 * last instance failed).
 */
export function renderServices(ctx: CliContext, services: ServiceDto[], now = Date.now()): string {
  const table = renderTable(
    [
      { header: 'SERVICE' },
      { header: 'STATE' },
      { header: 'HEALTH' },
      { header: 'INSTANCE' },
      { header: 'RESTARTS', align: 'right' },
      { header: 'LAST EXIT' },
    ],
    services.map((s) => [
      truncate(`${s.type}/${s.name}`, 40),
      stateCell(ctx, s, now),
      s.health ?? '-',
      s.queue_id ?? '-',
      String(s.restarts),
      lastExit(s),
    ]),
  );
  const errors = services
    .map((s) => [s, s.error ?? lastError(s)] as const)
    .filter(([, error]) => error)
    .map(([s, error]) => `${s.type}/${s.name}: ${error}\n`);
  return table + errors.join('');
}

/** `type/name`, or a bare name that one service has. */
async function findService(ctx: CliContext, ref: string): Promise<ServiceDto> {
  const { data } = await listServices({ client: ctx.client });
  const matches = data.filter((s) => (ref.includes('/') ? `${s.type}/${s.name}` === ref : s.name === ref));
  if (matches.length === 1) return matches[0];
  if (!matches.length)
    throw new CliError(`no service ${ref} (\`trainyard service list\` shows them)`, EXIT.notFound);
  const names = matches.map((s) => `${s.type}/${s.name}`).join(', ');
  throw new CliError(`${ref} names more than one service (${names}): write it as type/name`, EXIT.invalid);
}

async function setEnabled(ctx: CliContext, ref: string, enabled: boolean): Promise<void> {
  const found = await findService(ctx, ref);
  const { data } = await setServiceEnabled({
    client: ctx.client,
    path: { type: found.type, name: found.name },
    body: { enabled },
  });
  ctx.output(
    data,
    () => `${data.type}/${data.name}: ${data.state}${data.queue_id ? ` (${data.queue_id})` : ''}`,
  );
}

export function registerService(program: Command, run: CommandRunner): void {
  const service = program
    .command('service')
    .summary('long-lived services (inference servers, TensorBoard…)')
    .description('Services declared in server_config.yaml (README "Services").');

  service
    .command('list')
    .description('every service: state, health, its running instance, restarts and last exit')
    .action(
      run(async (ctx) => {
        const { data } = await listServices({ client: ctx.client });
        // Nothing to list is a note (stderr); with --json, `[]`.
        if (data.length || ctx.json) ctx.output(data, () => renderServices(ctx, data));
        else ctx.note('no services (declare them under `services:` in server_config.yaml)');
      }),
    );

  service
    .command('enable')
    .description('enable a service: it starts now (unless an instance is live) and at every boot')
    .argument('<service>', 'type/name, or a name only one service has')
    .action(run(async (ctx, ref: string) => setEnabled(ctx, ref, true)));

  service
    .command('disable')
    .description('disable a service: its instance is stopped (SIGTERM, then SIGKILL after the grace)')
    .argument('<service>', 'type/name, or a name only one service has')
    .action(run(async (ctx, ref: string) => setEnabled(ctx, ref, false)));
}
