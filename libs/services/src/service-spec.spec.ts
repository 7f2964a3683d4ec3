import { JobTypeRegistry } from '@trainyard/queue';
import { API_FIELDS, configFields, entryToInput, jobSignature, validateService } from './service-spec';

const registry = JobTypeRegistry.withBuiltins();

function signature(type: string, args: Record<string, unknown>): string {
  const { spec, errors } = validateService(registry, { type, name: 'x', args });
  if (!spec) throw new Error(JSON.stringify(errors));
  return spec.signature;
}

describe('service signature', () => {
  const base = { model: '/models/llama', port: 8137 };
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['a quoted number and the number', { ...base, port: '8137' }, base],
    ['key order', { port: 8137, model: '/models/llama' }, base],
    ['an omitted default and the same default given', { ...base, host: '127.0.0.1', server: 'vllm' }, base],
    ['a quoted boolean and the boolean', { ...base, auth: 'true' }, base],
    ['an explicit null and an omitted value', { ...base, extra_args: null }, base],
  ])('is the same for %s', (_what, a, b) => {
    expect(signature('inference', a)).toBe(signature('inference', b));
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['another port', { ...base, port: 8138 }, base],
    ['a non-default value', { ...base, host: '0.0.0.0' }, base],
    ['list order', { ...base, extra_args: ['--a', '--b'] }, { ...base, extra_args: ['--b', '--a'] }],
  ])('differs for %s', (_what, a, b) => {
    expect(signature('inference', a)).not.toBe(signature('inference', b));
  });

  it('differs between types with the same params', () => {
    const inference = signature('inference', base);
    expect(signature('command', { argv: ['x'] })).not.toBe(inference);
  });

  it('leaves out operator keys and fields injected after submit', () => {
    const { spec } = validateService(
      registry,
      entryToInput('inference', 'big', {
        ...base,
        enabled: true,
        priority: 5,
        requested_gpus: 2,
        restart: 'always',
      }),
      configFields('inference', 'big'),
    );
    expect(spec!.signature).toBe(signature('inference', base));
    // A job as stored after dispatch (with fields a scheduler may add) still matches its service.
    const job = {
      job_type: 'inference',
      job_params: { ...base, host: '127.0.0.1', scheme: 'http', routable_host: 'h' },
    };
    expect(jobSignature(registry, job)).toBe(spec!.signature);
  });
});

describe('service validation', () => {
  it('defaults requested_gpus to 1 for inference and 0 for command, and keeps an explicit 0', () => {
    const gpus = (type: string, args: Record<string, unknown>, extra = {}) =>
      validateService(registry, { type, name: 'a', args, ...extra }).spec!.requested_gpus;
    expect(gpus('inference', { model: '/m', port: 1234 })).toBe(1);
    expect(gpus('inference', { model: '/m', port: 1234 }, { requested_gpus: 0 })).toBe(0);
    expect(gpus('command', { argv: ['x'] })).toBe(0);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a bad name', { type: 'command', name: 'a b', args: { argv: ['x'] } }, 'name'],
    ['an unknown type', { type: 'nope', name: 'a', args: {} }, 'type'],
    ['a batch type', { type: 'training', name: 'a', args: {} }, 'type'],
    ['a missing required arg', { type: 'command', name: 'a', args: {} }, 'args.argv'],
    ['an unknown arg', { type: 'command', name: 'a', args: { argv: ['x'], nope: 1 } }, 'args.nope'],
    [
      'a wrongly typed arg',
      { type: 'inference', name: 'a', args: { model: '/m', port: 'http' } },
      'args.port',
    ],
    [
      'a bad restart policy',
      { type: 'command', name: 'a', args: { argv: ['x'] }, restart: 'sometimes' },
      'restart',
    ],
    [
      'negative GPUs',
      { type: 'command', name: 'a', args: { argv: ['x'] }, requested_gpus: -1 },
      'requested_gpus',
    ],
    [
      'a health check without a port',
      { type: 'command', name: 'a', args: { argv: ['x'] }, health: { path: '/' } },
      'health.port',
    ],
    [
      'a negative start period',
      {
        type: 'command',
        name: 'a',
        args: { argv: ['x'] },
        health: { path: '/', port: 80, start_period_s: -1 },
      },
      'health.start_period_s',
    ],
  ])('names the field for %s', (_what, input, field) => {
    const { spec, errors } = validateService(registry, input as never, API_FIELDS);
    expect(spec).toBeNull();
    expect(errors.map((e) => e.field)).toContain(field);
  });

  it('takes the health port from the type’s port param', () => {
    const { spec } = validateService(registry, {
      type: 'inference',
      name: 'a',
      args: { model: '/m', port: '8137' },
      health: { path: '/health' },
    });
    expect(spec!.health).toEqual({ path: '/health', port: 8137, interval_s: 10, start_period_s: 600 });
  });
});
