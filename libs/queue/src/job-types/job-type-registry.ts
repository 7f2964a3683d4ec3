import { BUILTIN_JOB_TYPES } from './builtin-job-types';
import { JobTypeDefinition, UserJobTypeConfig } from './job-type';
import { compileUserJobType, JobTypeConfigError } from './user-job-type';

export class JobTypeRegistry {
  private readonly types = new Map<string, JobTypeDefinition>();
  private readonly origins = new Map<string, 'builtin' | 'user'>();

  /**
   * Built-ins plus the `job_types:` block of server_config.yaml. Throws JobTypeConfigError listing
   * every bad entry, so the server can refuse to boot with the whole picture at once.
   */
  static withBuiltins(userTypes?: readonly UserJobTypeConfig[]): JobTypeRegistry {
    const registry = new JobTypeRegistry();
    for (const def of BUILTIN_JOB_TYPES) registry.register(def);
    for (const name of registry.types.keys()) registry.origins.set(name, 'builtin');
    if (userTypes === undefined || userTypes === null) return registry;
    if (!Array.isArray(userTypes))
      throw new JobTypeConfigError('job_types: must be a list of job type definitions');

    const errors: string[] = [];
    userTypes.forEach((config: unknown, i) => {
      try {
        const def = compileUserJobType(config, `job_types[${i}]`, registry.origins);
        registry.register(def);
        registry.origins.set(def.name, 'user');
      } catch (err) {
        if (!(err instanceof JobTypeConfigError)) throw err;
        errors.push(err.message);
        // Later duplicates of a rejected name still deserve their own message.
        const name = (config as { name?: unknown } | null)?.name;
        if (typeof name === 'string' && !registry.origins.has(name)) registry.origins.set(name, 'user');
      }
    });
    if (errors.length > 0)
      throw new JobTypeConfigError(`invalid job_types in server_config.yaml:\n  ${errors.join('\n  ')}`);
    return registry;
  }

  register(def: JobTypeDefinition): void {
    if (this.types.has(def.name))
      throw new JobTypeConfigError(`job type "${def.name}" is already registered`);
    this.types.set(def.name, def);
  }

  get(name: string): JobTypeDefinition | undefined {
    return this.types.get(name);
  }

  /** In registration order: built-ins first. */
  list(): JobTypeDefinition[] {
    return [...this.types.values()];
  }
}
