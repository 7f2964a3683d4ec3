import { existsSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MIN_LOG_CAP_BYTES, parseByteSize } from '@trainyard/sdk';

import { StatePaths } from '../state-paths';
import { writeFileAtomic } from '../secure-files';
import { nearName } from '../near-names';
import { isLoopback } from '../net/local-address';
import { CONFIG_TEMPLATE } from './config-template';
import {
  envNameOf,
  FakeMigGpu,
  FLAGS,
  LIST_KINDS,
  LOG_LEVELS,
  PREEMPT_SIGNALS,
  SCHEDULING_POLICIES,
  ServerArgs,
  SETTING_KEYS,
  SETTINGS,
  settingDefaults,
  settingOf,
} from './settings';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';
/** Validated once at boot; nothing else in the server reads process.env. */
export interface ServerConfig extends ServerArgs {
  home: string;
  paths: StatePaths;
  config_file: string;
  sources: Record<keyof ServerArgs, ConfigSource>;
  /** CUDA_VISIBLE_DEVICES as it was when the server started (undefined = unset). */
  cuda_visible_devices: string | undefined;
  nvidia_smi: string;
  /** The server's environment at start less its own settings and secrets (see jobEnvironmentOf); every job's starts from it. */
  job_env: Record<string, string>;
  /** Raw `services:` and `job_types:` blocks, validated by the modules that own them. */
  services: unknown;
  job_types: unknown;
  warnings: string[];
}

// Defined with the SDK (a form checks the same numbers); the server's libraries take them from here.
export { MAX_KILL_GRACE_S, MAX_PRIORITY, MIN_LOG_CAP_BYTES } from '@trainyard/sdk';

export const SERVER_CONFIG = Symbol('SERVER_CONFIG');

/** The longest time limit a job, a job type or the server may set: one year, seconds. */
export const MAX_TIME_LIMIT_SECONDS = 366 * 24 * 3600;

export class ConfigError extends Error {}

/** Where the CLI looks when neither --server nor TRAINYARD_SERVER_URL says otherwise. */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8765';

export interface ParsedFlags {
  /** Repeatable options (`--allowed-host`, `--fs-root`) collect every value, in order. */
  values: Partial<Record<keyof ServerArgs, string | true | string[]>>;
  config?: string;
  help: boolean;
}

/** ` (did you mean X?)` for a word or flag near one of `candidates`, else ''. */
function near(word: string, candidates: readonly string[]): string {
  const meant = nearName(word, candidates);
  return meant ? ` (did you mean ${meant}?)` : '';
}

/** The words `trainyard server` takes besides options (the CLI runs them; a typo of one reaches here). */
const SERVER_COMMANDS = ['stop', 'restart'];

/**
 * `parseFlags`, then each value as its setting takes it (`--port abc` included): every error a
 * command line can have by itself, found before the state directory's lock or any file is touched
 * (with a server running, the lock's "in use" named the wrong problem).
 */
export function checkFlags(argv: readonly string[]): ParsedFlags {
  const flags = parseFlags(argv);
  for (const [key, value] of Object.entries(flags.values) as Array<[keyof ServerArgs, unknown]>)
    coerce(key, value, 'command line', settingOf(key).flag ?? key);
  return flags;
}

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const out: ParsedFlags = { values: {}, help: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const name = eq > 0 ? raw.slice(0, eq) : raw;
    const spec = FLAGS[name];
    // `trainyard server stpo`, `--port 8765 9000`: a word, not an option (the CLI takes the commands
    // `stop` and `restart` before this; said "unknown option stpo").
    if (!spec && !raw.startsWith('-'))
      throw new ConfigError(
        `unexpected word '${raw}'${near(raw, SERVER_COMMANDS)}: \`trainyard server\` takes options and the commands stop and restart`,
      );
    // (Where to look is said after every usage error: worker-protocol's usageErrorText.)
    if (!spec) throw new ConfigError(`unknown option ${name}${near(name, Object.keys(FLAGS))}`);
    let value: string | true = true;
    if (spec.takesValue) {
      const next = argv[i + 1];
      // The next word is another option: this one's value is missing (`--kill-grace --port 8765`
      // said "unknown option 8765", naming neither).
      const nextIsOption = next !== undefined && FLAGS[next.split('=')[0]] !== undefined;
      if (eq > 0) value = raw.slice(eq + 1);
      else if (next !== undefined && !nextIsOption) value = argv[++i];
      else
        throw new ConfigError(
          `option ${name} needs a value${nextIsOption ? ` (the next word is the option ${next.split('=')[0]})` : ''}`,
        );
    } else if (eq > 0) {
      throw new ConfigError(`option ${name} takes no value`);
    }
    if (spec.key === 'help') out.help = true;
    else if (spec.key === 'config') out.config = String(value);
    else if (LIST_KINDS.has(settingOf(spec.key).kind)) {
      const seen = out.values[spec.key];
      out.values[spec.key] = [...(Array.isArray(seen) ? seen : []), String(value)];
    } else out.values[spec.key] = value;
  }
  return out;
}

/**
 * `raw` as setting `key`'s kind; a bad value is a ConfigError naming `origin` (where it was given)
 * and the setting as it was given there: `name` (the flag on a command line, else the key).
 */
function coerce(
  key: keyof ServerArgs,
  raw: unknown,
  origin: string,
  name: string = key,
): ServerArgs[keyof ServerArgs] {
  const kind = settingOf(key).kind;
  const fail = (why: string) => new ConfigError(`${origin}: ${name} ${why} (got ${JSON.stringify(raw)})`);
  switch (kind) {
    case 'string':
      if (typeof raw !== 'string' || raw.trim() === '') throw fail('must be a non-empty string');
      return raw.trim();
    case 'port': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      // 0 asks the OS for a free port (tests, benchmarks).
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw fail('must be an integer 0..65535');
      return n;
    }
    case 'bool': {
      if (raw === true || raw === false) return raw;
      const s = typeof raw === 'string' ? raw.toLowerCase() : 'invalid';
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
      throw fail('must be true or false');
    }
    case 'level': {
      const s = typeof raw === 'string' ? raw.toLowerCase() : '';
      const level = LOG_LEVELS.find((l) => l === (s === 'warning' ? 'warn' : s));
      if (!level) throw fail('must be debug, info, warn or error');
      return level;
    }
    case 'count': {
      if (raw === null) return null;
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 256) throw fail('must be an integer 0..256');
      return n;
    }
    case 'seconds': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 3600) throw fail('must be a whole number of seconds 0..3600');
      return n;
    }
    case 'scheduling': {
      const s = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      const policy = SCHEDULING_POLICIES.find((p) => p === s);
      if (!policy) throw fail('must be strict, backfill or skip');
      return policy;
    }
    case 'signal': {
      const s = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
      const signal = PREEMPT_SIGNALS.find((p) => p === s || p === `SIG${s}`);
      if (!signal) throw fail(`must be one of ${PREEMPT_SIGNALS.join(', ')}`);
      return signal;
    }
    case 'rate': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < 0 || n > 1_000_000)
        throw fail('must be a number 0..1000000 (priority per hour)');
      return n;
    }
    case 'limit': {
      if (raw === null || raw === '' || raw === 'none') return null;
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > MAX_TIME_LIMIT_SECONDS)
        throw fail(`must be a whole number of seconds 1..${MAX_TIME_LIMIT_SECONDS}, or none`);
      return n;
    }
    case 'hosts': {
      const items: unknown[] | null = Array.isArray(raw)
        ? (raw as unknown[])
        : typeof raw === 'string'
          ? raw.split(',')
          : null;
      if (!items) throw fail('must be a host name or a list of them');
      const names = items
        .map((item) => (typeof item === 'string' ? item.trim() : item))
        .filter((i) => i !== '');
      for (const name of names) {
        if (typeof name !== 'string' || !HOST_NAME.test(name))
          throw fail(
            `must be host names like example.org or example.org:8443 (bad entry ${JSON.stringify(name)})`,
          );
      }
      return (names as string[]).map((n) => n.toLowerCase());
    }
    case 'name': {
      if (raw === null || raw === '') return null;
      // It names a KV bucket and a stream: NATS allows letters, digits, `_` and `-` there.
      if (typeof raw !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(raw.trim()))
        throw fail('must be 1-64 letters, digits, _ or -');
      return raw.trim();
    }
    case 'urls': {
      const items: unknown[] | null = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : null;
      if (!items) throw fail('must be a NATS URL or a list of them');
      const urls: string[] = [];
      for (const item of items) {
        if (typeof item !== 'string') throw fail(`must be NATS URLs (bad entry ${JSON.stringify(item)})`);
        for (const part of item.split(',').map((p) => p.trim())) {
          if (part === '') continue;
          if (!isNatsUrl(part))
            throw fail(`must be NATS URLs like nats://host:4222 (bad entry ${JSON.stringify(part)})`);
          urls.push(part);
        }
      }
      return urls;
    }
    case 'url': {
      if (raw === null || raw === '') return null;
      const url = typeof raw === 'string' ? httpUrl(raw.trim()) : null;
      if (!url) throw fail('must be an http:// or https:// URL, like https://gpu-box.lab.example');
      if (typeof url !== 'string') throw fail(url.problem);
      return url;
    }
    case 'file': {
      if (raw === null || raw === '') return null;
      if (typeof raw !== 'string') throw fail('must be a file path');
      const path = resolve(raw);
      if (!existsSync(path) || !statSync(path).isFile()) throw fail(`names no readable file (${path})`);
      return path;
    }
    case 'secret':
      if (raw === null || raw === '') return null;
      // Never echo the value: it may be a password.
      if (typeof raw !== 'string') throw new ConfigError(`${origin}: ${key} must be a string`);
      return raw;
    case 'ips': {
      const items: unknown[] | null = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw.split(',')
          : null;
      if (!items) throw fail('must be an IP address or a list of them');
      const ips: string[] = [];
      for (const item of items) {
        const ip = typeof item === 'string' ? item.trim() : item;
        if (ip === '') continue;
        if (typeof ip !== 'string' || isIP(ip) === 0)
          throw fail(`must be IP addresses (bad entry ${JSON.stringify(ip)})`);
        if (!ips.includes(ip)) ips.push(ip);
      }
      return ips;
    }
    case 'size': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? (parseByteSize(raw) ?? NaN) : NaN;
      if (!Number.isInteger(n) || (n !== 0 && n < MIN_LOG_CAP_BYTES) || n > Number.MAX_SAFE_INTEGER)
        throw fail(`must be 0 or a size of at least ${MIN_LOG_CAP_BYTES} bytes, like 65536, 64K, 500M or 1G`);
      return n;
    }
    case 'dir': {
      if (raw === null || raw === '') return null;
      if (typeof raw !== 'string' || !isAbsolute(raw)) throw fail('must be an absolute directory path');
      let real: string;
      try {
        real = realpathSync(raw);
      } catch {
        throw fail(`names a directory that does not exist (${raw})`);
      }
      if (!statSync(real).isDirectory()) throw fail(`names something that is not a directory (${raw})`);
      return real;
    }
    case 'cgroup': {
      if (raw === null || raw === '' || raw === 'auto') return null;
      if (raw === 'off') return 'off';
      if (typeof raw !== 'string' || !isAbsolute(raw))
        throw fail('must be an absolute cgroup v2 directory, auto or off');
      return raw.replace(/\/+$/, '') || '/';
    }
    case 'mig':
      return parseFakeMig(raw, fail);
    case 'dirs': {
      // A flag repeats; the environment uses PATH's separator; the file takes a path or a list.
      const items: unknown[] | null = Array.isArray(raw)
        ? (raw as unknown[])
        : typeof raw === 'string'
          ? origin.startsWith('environment')
            ? raw.split(':')
            : [raw]
          : null;
      if (!items) throw fail('must be an absolute directory path or a list of them');
      const dirs: string[] = [];
      for (const item of items) {
        if (item === '') continue;
        if (typeof item !== 'string' || !isAbsolute(item))
          throw fail(`must be absolute directory paths (bad entry ${JSON.stringify(item)})`);
        let real: string;
        try {
          real = realpathSync(item);
        } catch {
          throw fail(`names a directory that does not exist (${item})`);
        }
        if (!statSync(real).isDirectory()) throw fail(`names something that is not a directory (${item})`);
        // Confinement compares real paths, so a root reached through a symlink is stored resolved.
        if (!dirs.includes(real)) dirs.push(real);
      }
      return dirs;
    }
  }
}

/** A Host header value: a DNS name, an IPv4 address or a bracketed IPv6 address, optionally `:port`. */
export const HOST_NAME = /^(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?\.?)(:\d{1,5})?$/i;

/**
 * `text` as an http(s) URL with a host, without its trailing slash; null when it is not one; a
 * problem for one that carries credentials (it is published to every node and console), a query or
 * a fragment (a base URL has neither).
 */
function httpUrl(text: string): string | { problem: string } | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.hostname === '') return null;
  if (url.username || url.password)
    return { problem: 'must not carry a user or password: it is shown to every node and console' };
  if (url.search || url.hash) return { problem: 'must be a base URL, without a query (?…) or fragment (#…)' };
  return url.href.replace(/\/+$/, '');
}

/** A NATS server URL: `nats://`, `tls://`, `ws://` or `wss://`, or a bare `host:port`. */
function isNatsUrl(text: string): boolean {
  try {
    const url = new URL(text.includes('://') ? text : `nats://${text}`);
    return (
      ['nats:', 'tls:', 'ws:', 'wss:'].includes(url.protocol) &&
      url.hostname !== '' &&
      /^\/?$/.test(url.pathname)
    );
  } catch {
    return false;
  }
}

interface FileContents {
  args: Record<string, unknown>;
  services: unknown;
  job_types: unknown;
  warnings: string[];
}

function readConfigFile(path: string): FileContents {
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  const warnings: string[] = [];
  if (doc === null || doc === undefined)
    return { args: {}, services: undefined, job_types: undefined, warnings };
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${path}: top level must be a mapping`);
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!['args', 'services', 'job_types'].includes(key))
      warnings.push(`${path}: unknown top-level key "${key}" ignored`);
  }
  const args: Record<string, unknown> = {};
  const rawArgs = top.args ?? {};
  if (typeof rawArgs !== 'object' || rawArgs === null || Array.isArray(rawArgs)) {
    throw new ConfigError(`${path}: args must be a mapping`);
  }
  for (const [rawKey, value] of Object.entries(rawArgs)) {
    const key = rawKey.replace(/-/g, '_');
    if (Object.hasOwn(SETTINGS, key)) args[key] = value;
    else warnings.push(`${path}: unknown key args.${rawKey} ignored${didYouMean(key, SETTING_KEYS)}`);
  }
  return { args, services: top.services, job_types: top.job_types, warnings };
}

export interface LoadConfigOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Write the commented template when the default config file is missing (on by default). */
  writeTemplate?: boolean;
}

export function resolveHome(env: NodeJS.ProcessEnv): string {
  return resolve(env.TRAINYARD_HOME || join(homedir(), '.config', 'trainyard'));
}

/** Precedence: CLI flag > TRAINYARD_* env > server_config.yaml `args:` > default. */
export function loadServerConfig(options: LoadConfigOptions): ServerConfig {
  const { argv, env } = options;
  const flags = parseFlags(argv);
  const home = resolveHome(env);
  const paths = new StatePaths(home);
  const exposed = paths.ensure();

  const explicitConfig = flags.config ?? env.TRAINYARD_CONFIG;
  const given = resolve(explicitConfig ?? paths.defaultConfigFile);
  if (!existsSync(given)) {
    if (explicitConfig) throw new ConfigError(`config file ${given} does not exist`);
    if (options.writeTemplate !== false) writeFileAtomic(given, CONFIG_TEMPLATE, 0o600);
  }
  // A config file reached through a symbolic link (kept in a dotfiles repository, say) is used by
  // its real path: a services change writes it as temp file + rename, which replaced the link with
  // a copy, and the editor (⚙) opens no path through a link.
  const configFile = existsSync(given) ? realpathSync(given) : given;
  const file = existsSync(configFile)
    ? readConfigFile(configFile)
    : { args: {}, services: undefined, job_types: undefined, warnings: [] };

  const values = settingDefaults() as Record<keyof ServerArgs, unknown>;
  const sources = {} as Record<keyof ServerArgs, ConfigSource>;
  for (const key of SETTING_KEYS) {
    sources[key] = 'default';
    if (key in file.args) {
      values[key] = coerce(key, file.args[key], configFile);
      sources[key] = 'file';
    }
    const fromEnv = env[envNameOf(key)];
    if (fromEnv !== undefined) {
      values[key] = coerce(key, fromEnv, `environment ${envNameOf(key)}`);
      sources[key] = 'env';
    }
    const fromFlag = flags.values[key];
    if (fromFlag !== undefined) {
      values[key] = coerce(key, fromFlag, 'command line', settingOf(key).flag ?? key);
      sources[key] = 'flag';
    }
  }
  const args = values as unknown as ServerArgs;
  if (args.cluster && args.nats.length === 0)
    throw new ConfigError('--cluster needs --nats URL (the NATS JetStream server(s) the cluster meets on)');
  if (!args.cluster && args.nats.length > 0)
    throw new ConfigError(
      '--nats is only used with --cluster NAME (standalone servers do not connect to NATS)',
    );
  if (Boolean(args.nats_user) !== Boolean(args.nats_password))
    throw new ConfigError('nats_user and nats_password go together (set both, or neither)');
  if (args.cluster && !args.nats_creds && !args.nats_user && !args.insecure) {
    // Whoever can publish on the cluster's NATS may call every node (start jobs, get a sign-in
    // link): a NATS anyone can connect to would be an open door, as a non-loopback bind would.
    throw new ConfigError(
      `refusing to join cluster ${args.cluster} through a NATS without credentials: anyone who can ` +
        'connect to it could call this node (run jobs, get a sign-in link). Run nats-server with ' +
        '--user/--pass (or accounts) and give --nats-user with TRAINYARD_NATS_PASSWORD, or --nats-creds FILE; ' +
        'or pass --insecure.',
    );
  }
  for (const { gpu_index } of args.fake_mig) {
    if (args.fake_gpus === null || gpu_index >= args.fake_gpus)
      throw new ConfigError(
        `fake_mig names GPU ${gpu_index}, but ${args.fake_gpus === null ? '--fake-gpus is not set' : `--fake-gpus is ${args.fake_gpus} (GPUs 0..${args.fake_gpus - 1})`}`,
      );
  }
  if (!isLoopback(args.host) && !args.insecure) {
    // Said the way the host was given: a flag, a variable, or a key of the config file.
    const insecure = {
      flag: 'pass --insecure',
      env: `set ${envNameOf('insecure')}=1`,
      file: `set insecure: true in ${configFile}`,
      default: 'pass --insecure',
    }[sources.host];
    throw new ConfigError(
      `refusing to bind ${args.host}: the bearer token would cross the network in cleartext (Trainyard has no ` +
        `native TLS). Bind 127.0.0.1 and use an SSH tunnel or a TLS-terminating reverse proxy, or ${insecure}.`,
    );
  }
  // A token other users could read may have been copied: it is revoked, and the server makes a new
  // one as for a missing file (which also ends the sessions opened under the old one).
  const tokenExposed = exposed.includes(relative(home, paths.authToken));
  if (tokenExposed) rmSync(paths.authToken, { force: true });
  return {
    ...args,
    home,
    paths,
    config_file: configFile,
    sources,
    cuda_visible_devices: env.CUDA_VISIBLE_DEVICES,
    nvidia_smi: env.TRAINYARD_NVIDIA_SMI || 'nvidia-smi',
    job_env: jobEnvironmentOf(env),
    services: file.services,
    job_types: file.job_types,
    warnings: [
      ...exposedStateWarnings(exposed, tokenExposed),
      ...file.warnings,
      ...misspeltSettingVariables(env),
      ...cgroupRootWarnings(args.cgroup_root),
    ],
  };
}

/** Files of the state directory other users could read until this start made them 0600. */
function exposedStateWarnings(exposed: readonly string[], tokenExposed: boolean): string[] {
  if (!exposed.length) return [];
  const shown = exposed.length > 8 ? [...exposed.slice(0, 8), `${exposed.length - 8} more`] : exposed;
  return [
    `other users could read ${shown.join(', ')} in the state directory (now 0600)` +
      (tokenExposed ? '; auth_token was replaced with a new token, the old one no longer works' : '') +
      (exposed.includes('password_hash') ? '; set a new browser password' : ''),
  ];
}

/**
 * A cgroup_root set to a directory that is not a cgroup v2 one: jobs are then tracked by their
 * environment tag only (a process that clears its environment escapes), which someone who chose
 * the directory should see at start, not only in the log.
 */
function cgroupRootWarnings(root: string | null): string[] {
  if (root === null || root === 'off' || existsSync(join(root, 'cgroup.procs'))) return [];
  return [
    `cgroup_root ${root} is not a cgroup v2 directory (no cgroup.procs): job processes are tracked by their environment tag only`,
  ];
}

/**
 * What every job inherits from the server's environment: all of it except the server's own settings
 * and credentials — every `TRAINYARD_*` variable (`TRAINYARD_NATS_PASSWORD`, `TRAINYARD_SERVER_TOKEN`,
 * `TRAINYARD_PORT`, …) but `TRAINYARD_HOME`, where the CLI in a job finds this server. A job's own
 * `TRAINYARD_*` variables are set per job (see buildJobEnvironment).
 */
export function jobEnvironmentOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined && (!e[0].startsWith('TRAINYARD_') || e[0] === 'TRAINYARD_HOME'),
    ),
  );
}

/** What the server reads besides its settings (README "Other environment variables"), and its supervisor sets. */
const OTHER_SERVER_VARIABLES = [
  'TRAINYARD_HOME',
  'TRAINYARD_CONFIG',
  'TRAINYARD_NVIDIA_SMI',
  'TRAINYARD_WORKER_PORT',
  'TRAINYARD_WORKER_RESTARTED',
];

/**
 * `TRAINYARD_*` variables that look like a misspelt setting (`TRAINYARD_PORTT`, `TRAINYARD_KILL_GRACE`
 * for `TRAINYARD_KILL_GRACE_SECONDS`): ignored, so the start says so. Variables merely unknown are
 * left alone: the CLI's, a job's and tools' own `TRAINYARD_*` may be set in the same shell.
 */
export function misspeltSettingVariables(env: NodeJS.ProcessEnv): string[] {
  const names = SETTING_KEYS.map(envNameOf);
  const read = new Set([...names, ...OTHER_SERVER_VARIABLES]);
  return Object.keys(env)
    .filter((name) => name.startsWith('TRAINYARD_') && !read.has(name))
    .flatMap((name) => {
      const hint = didYouMean(name, names);
      return hint ? [`environment ${name} is not a setting and is ignored${hint}`] : [];
    });
}

/** `; did you mean X?` for {@link nearName}, else ''. */
function didYouMean(name: string, candidates: readonly string[]): string {
  const near = nearName(name, candidates);
  return near ? `; did you mean ${near}?` : '';
}

export function isHelpRequested(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** A MIG profile name as nvidia-smi prints it: slices and memory, e.g. `1g.10gb`, `3g.40gb`, `1g.10gb+me`. */
const MIG_PROFILE = /^[1-7]g\.\d+gb(\+me)?$/;

/** `--fake-mig` (`GPU:profile,profile;GPU:...`, or the file's list of such strings) → one entry per GPU. */
function parseFakeMig(raw: unknown, fail: (why: string) => ConfigError): FakeMigGpu[] {
  if (raw === null || raw === '') return [];
  const parts: unknown[] | null = Array.isArray(raw)
    ? (raw as unknown[])
    : typeof raw === 'string'
      ? raw.split(';')
      : null;
  if (!parts) throw fail('must be like "1:1g.10gb,1g.10gb,2g.20gb"');
  const out: FakeMigGpu[] = [];
  for (const part of parts) {
    if (typeof part !== 'string')
      throw fail(`must be strings like "1:1g.10gb,2g.20gb" (bad entry ${JSON.stringify(part)})`);
    if (part.trim() === '') continue;
    const match = /^\s*(\d+)\s*:(.*)$/.exec(part);
    if (!match)
      throw fail(`must be GPU:profiles like "1:1g.10gb,2g.20gb" (bad entry ${JSON.stringify(part)})`);
    const gpu_index = Number(match[1]);
    const profiles = match[2].split(',').map((p) => p.trim());
    const bad = profiles.find((p) => !MIG_PROFILE.test(p));
    if (bad !== undefined)
      throw fail(
        `has ${JSON.stringify(bad)} for GPU ${gpu_index}: MIG profiles look like 1g.10gb or 3g.40gb`,
      );
    if (out.some((g) => g.gpu_index === gpu_index)) throw fail(`names GPU ${gpu_index} twice`);
    out.push({ gpu_index, profiles });
  }
  return out;
}
