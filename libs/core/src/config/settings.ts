/**
 * Every server setting, declared once. The `ServerArgs` type, the defaults, the flag parser's table,
 * `--help`, the config template's `args:` lines and README's flag table are all derived from
 * {@link SETTINGS}; parsing and validation per kind live in `coerce()` (server-config.ts).
 *
 * Adding a setting: one entry here (pick a kind, or add one to {@link KindValue} and `coerce()`),
 * then `npm run docs:settings` to rewrite README's table (a unit test fails until you do).
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** What the scheduler does when the top waiting job cannot fit (see placement.ts in libs/scheduler). */
export const SCHEDULING_POLICIES = ['strict', 'backfill', 'skip'] as const;
export type SchedulingPolicy = (typeof SCHEDULING_POLICIES)[number];
/** Signals a preempted job without a trainer control endpoint may be asked to checkpoint with. */
export const PREEMPT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
export type PreemptSignal = (typeof PREEMPT_SIGNALS)[number];

/** 1 GiB: a runaway job cannot fill the disk, and no sane training log comes near it. */
export const DEFAULT_LOG_CAP_BYTES = 1024 ** 3;

/** One fake GPU in MIG mode (`--fake-mig`): its index and the profiles of its MIG devices, in order. */
export interface FakeMigGpu {
  gpu_index: number;
  /** e.g. `1g.10gb`; repeated for several devices of one profile. */
  profiles: string[];
}

/** The value type each kind of setting parses to (null: unset). */
export interface KindValue {
  string: string;
  port: number;
  bool: boolean;
  level: LogLevel;
  count: number | null;
  seconds: number;
  scheduling: SchedulingPolicy;
  signal: PreemptSignal;
  rate: number;
  limit: number | null;
  hosts: string[];
  dirs: string[];
  name: string | null;
  urls: string[];
  /** An http(s) URL without a trailing slash; null: unset. */
  url: string | null;
  file: string | null;
  secret: string | null;
  ips: string[];
  size: number;
  dir: string | null;
  /** null: automatic; `off`; or an absolute cgroup v2 directory. */
  cgroup: string | null;
  mig: FakeMigGpu[];
}
export type Kind = keyof KindValue;

/** Kinds whose flag may be repeated (every value is kept, in order). */
export const LIST_KINDS: ReadonlySet<Kind> = new Set<Kind>(['hosts', 'dirs', 'urls', 'ips']);

export interface Setting<K extends Kind = Kind> {
  kind: K;
  default: KindValue[K];
  /** Long flag (`--log-level`); omitted for a setting that must never be on a command line (secrets). */
  flag?: `--${string}`;
  short?: `-${string}`;
  /** The value's placeholder in `--help` and README (`PORT`); bool flags take none. */
  metavar?: string;
  /** `--help` text, without the default (appended). */
  help: string;
  /** README's "Effect" cell (Markdown). */
  readme: string;
  /** How the default reads in `--help` and README when its value alone would not say it (`1G`, `standalone`). */
  shown?: string;
  /** The config template's commented example: `# key: value  # note`; omitted: no template line. */
  example?: { value: string; note?: string };
  /** Environment variable, when not `TRAINYARD_<KEY>`. */
  env?: string;
}

/** Checks that each entry's default fits its kind, keeping the literal kind for {@link ServerArgs}. */
function setting<K extends Kind>(spec: Setting<K>): Setting<K> {
  return spec;
}

export const SETTINGS = {
  host: setting({
    kind: 'string',
    default: '127.0.0.1',
    flag: '--host',
    short: '-H',
    metavar: 'HOST',
    help: 'bind address; non-loopback needs --insecure',
    readme:
      'Bind address. A non-loopback address is refused unless `--insecure` (the token would cross the network in cleartext; Trainyard has no native TLS — use an SSH tunnel or a TLS reverse proxy).',
    example: { value: '127.0.0.1', note: 'bind address; a non-loopback address also needs insecure: true' },
  }),
  port: setting({
    kind: 'port',
    default: 8765,
    flag: '--port',
    short: '-p',
    metavar: 'PORT',
    help: 'TCP port; 0 picks a free one',
    readme: 'TCP port (`0` picks a free one).',
    example: { value: '8765' },
  }),
  log_level: setting({
    kind: 'level',
    default: 'info',
    flag: '--log-level',
    short: '-l',
    metavar: 'LEVEL',
    help: 'debug | info | warn | error',
    readme: '`debug`, `info`, `warn`, `error`.',
    example: { value: 'info', note: 'debug | info | warn | error' },
  }),
  no_auth: setting({
    kind: 'bool',
    default: false,
    flag: '--no-auth',
    help: 'disable the auth gate (single trusted user only)',
    readme:
      'Disable credentials (the Host and Origin rules still apply). Only for a single trusted user on a host nobody else can log in to.',
    example: { value: 'false', note: 'disable the auth gate (single trusted user on this host only)' },
  }),
  regen_token: setting({
    kind: 'bool',
    default: false,
    flag: '--regen-token',
    help: 'rotate the bearer token at startup',
    readme: 'Rotate the bearer token at startup (old CLI tokens stop working).',
    example: { value: 'false', note: 'rotate the bearer token at every start' },
  }),
  persist_sessions: setting({
    kind: 'bool',
    default: false,
    flag: '--persist-sessions',
    help: 'keep browser sessions across restarts',
    readme:
      'Keep browser sessions across stops and crashes (stored as hashes in the database). A graceful restart keeps them either way.',
    example: { value: 'false', note: 'keep browser sessions across restarts' },
  }),
  fake_gpus: setting({
    kind: 'count',
    default: null,
    flag: '--fake-gpus',
    metavar: 'N',
    help: 'simulate N GPUs (machines without NVIDIA GPUs)',
    readme: 'Simulate N GPUs (for machines without NVIDIA GPUs, demos and tests).',
    shown: 'off',
    example: { value: '4', note: 'simulate GPUs on a machine without NVIDIA GPUs' },
  }),
  fake_mig: setting({
    kind: 'mig',
    default: [],
    flag: '--fake-mig',
    metavar: 'SPEC',
    help: 'with --fake-gpus: put fake GPUs in MIG mode, e.g. "1:1g.10gb,1g.10gb,2g.20gb" (GPU:profiles; ";" between GPUs)',
    readme:
      'With `--fake-gpus`: report these fake GPUs in MIG mode with these MIG devices, e.g. `1:1g.10gb,1g.10gb,2g.20gb` (GPU index `:` profiles; `;` between GPUs). Their UUIDs are stable across restarts.',
    example: { value: '"0:1g.10gb,1g.10gb,2g.20gb"', note: 'fake MIG devices (needs fake_gpus)' },
  }),
  insecure: setting({
    kind: 'bool',
    default: false,
    flag: '--insecure',
    help: 'allow a non-loopback bind without TLS, and a cluster NATS without credentials',
    readme:
      'Allow a non-loopback bind without TLS, and joining a cluster through a NATS without credentials (anyone who can connect to it could call this node).',
    example: { value: 'false', note: 'allow a non-loopback bind without TLS, or a NATS without credentials' },
  }),
  /** Extra names (`NAME` or `NAME:PORT`) the server answers to in the Host header, beyond the bind address and loopback. */
  allowed_host: setting({
    kind: 'hosts',
    default: [],
    flag: '--allowed-host',
    metavar: 'NAME',
    help: 'also answer to this Host name (NAME or NAME:PORT; repeatable; env and file: comma-separated or a list)',
    readme:
      'Also answer to this `Host` (`NAME` or `NAME:PORT`; repeatable; env/file: comma-separated or a list), e.g. a reverse proxy’s name. See Authentication.',
    example: {
      value: '[trainyard.lab.example]',
      note: 'more Host names to answer to (besides the bind address and loopback)',
    },
  }),
  /**
   * Directory trees every /api/fs operation is confined to (real paths, resolved at boot); empty =
   * no confinement (the original's behaviour).
   */
  fs_root: setting({
    kind: 'dirs',
    default: [],
    flag: '--fs-root',
    metavar: 'PATH',
    help: 'confine every /api/fs operation to this directory tree (repeatable; env: colon-separated like PATH; file: a path or a list)',
    readme:
      'Confine the Files API to this directory tree (real paths; 403 outside; the editor still opens the config file). Repeatable; env colon-separated, file a path or a list. See Files.',
    example: {
      value: '[/home/me/work, /data]',
      note: 'confine the Files API (browse, edit, copy...) to these trees',
    },
  }),
  /** Seconds between SIGTERM and SIGKILL when a job is stopped or leaves processes behind. */
  kill_grace_seconds: setting({
    kind: 'seconds',
    default: 10,
    flag: '--kill-grace',
    metavar: 'SECS',
    help: 'SIGTERM → SIGKILL grace when a job is stopped or leaves processes behind',
    readme:
      'Seconds between SIGTERM and SIGKILL when a job is stopped or leaves processes behind (per job: `kill_grace_s`).',
    example: {
      value: '10',
      note: 'SIGTERM → SIGKILL grace, seconds, when a job is stopped or leaves processes behind',
    },
  }),
  /**
   * Default cap on a job's log file, in bytes (0: no cap); a job's own `log_cap_bytes` wins. Beyond
   * it the oldest output is dropped, behind a marker line.
   */
  log_cap_bytes: setting({
    kind: 'size',
    default: DEFAULT_LOG_CAP_BYTES,
    flag: '--log-cap',
    metavar: 'SIZE',
    help: "a job's log keeps its newest SIZE bytes at most (e.g. 500M, 2G, 65536; 0 = no cap); a job's log_cap_bytes wins",
    readme:
      'Most a job’s log file keeps: beyond it the oldest output is dropped, the newest kept (see Logs). `65536`, `64K`, `500M`, `1G`; `0` = no cap; at least 4 KiB (per job: `log_cap_bytes`).',
    shown: '1G',
    example: { value: '1G', note: "a job's log keeps its newest output up to this size (0 = no cap)" },
  }),
  /** Cluster to join (`--cluster NAME`); null = standalone. Needs `nats`. */
  cluster: setting({
    kind: 'name',
    default: null,
    flag: '--cluster',
    metavar: 'NAME',
    help: 'join cluster NAME through NATS JetStream (needs --nats)',
    readme: 'Join cluster `NAME` through NATS JetStream (needs `--nats`). See Cluster.',
    shown: 'standalone',
    example: { value: 'lab', note: 'join cluster "lab" (needs nats:); standalone when unset' },
  }),
  /** NATS server URLs (`nats://host:4222`, `tls://…`); any of them may answer. */
  nats: setting({
    kind: 'urls',
    default: [],
    flag: '--nats',
    metavar: 'URL[,URL…]',
    help: 'NATS servers (nats://host:4222 or tls://host:4222; repeatable)',
    readme: 'NATS servers (`nats://host:4222`, `tls://…`; repeatable).',
    example: { value: '[nats://10.0.0.5:4222]', note: 'NATS JetStream server(s) the cluster meets on' },
  }),
  /** A NATS `.creds` file (JWT + nkey seed), absolute path. */
  nats_creds: setting({
    kind: 'file',
    default: null,
    flag: '--nats-creds',
    metavar: 'FILE',
    help: 'NATS credentials file (.creds)',
    readme: 'NATS credentials file (`.creds`: JWT and nkey seed).',
    example: { value: '/path/to/user.creds', note: 'or nats_user with nats_password' },
  }),
  /** NATS user; goes with `nats_password`. */
  nats_user: setting({
    kind: 'secret',
    default: null,
    flag: '--nats-user',
    metavar: 'USER',
    help: 'NATS user; the password comes from TRAINYARD_NATS_PASSWORD or the config file (nats_password), never from the command line',
    readme: 'NATS user; needs `nats_password`.',
    example: { value: 'trainyard', note: 'with nats_password' },
  }),
  /** NATS password: from the environment or the config file only, never a flag (argv is world-readable). */
  nats_password: setting({
    kind: 'secret',
    default: null,
    help: 'NATS password',
    readme: 'NATS password, with `nats_user`. Never a flag: the command line is visible to every local user.',
    example: { value: 'secret' },
  }),
  /** CA certificate (PEM) that signs the NATS servers' TLS certificates. */
  nats_tls_ca: setting({
    kind: 'file',
    default: null,
    flag: '--nats-tls-ca',
    metavar: 'FILE',
    help: 'CA certificate (PEM) for tls:// NATS servers',
    readme: 'CA certificate (PEM) for `tls://` NATS servers.',
    example: { value: '/etc/nats/ca.pem', note: 'CA for tls:// servers' },
  }),
  /** The addresses peers should dial to reach this node, first = preferred; empty = detected. */
  cluster_address: setting({
    kind: 'ips',
    default: [],
    flag: '--cluster-address',
    metavar: 'IP',
    help: 'address peers should dial to reach this node (repeatable)',
    readme: 'The address peers should dial to reach this node (repeatable; first = preferred).',
    shown: 'detected IPv4 addresses',
    example: { value: '[192.168.1.27]', note: 'what peers should dial (default: detected IPv4 addresses)' },
  }),
  /** The URL other nodes and consoles reach this server's API at; null = what it listens on. */
  advertise_url: setting({
    kind: 'url',
    default: null,
    flag: '--advertise-url',
    metavar: 'URL',
    help: 'the URL other cluster nodes and their consoles reach this server at (behind a reverse proxy or NAT); default: what it listens on',
    readme:
      'The URL other cluster nodes and consoles link to for this server (`http(s)://…`), e.g. a reverse proxy’s. Default: the listening address (loopback: other hosts cannot reach it).',
    shown: 'the listening address',
    example: {
      value: 'https://gpu-box.lab.example',
      note: 'what other nodes link to (default: the listening address)',
    },
  }),
  /** Restrict the inference proxy to loopback upstreams (127.0.0.0/8, localhost, ::1). */
  lock_inference_proxy: setting({
    kind: 'bool',
    default: false,
    flag: '--lock-inference-proxy',
    help: 'the inference proxy reaches loopback servers only (403 otherwise)',
    readme:
      'The inference proxy reaches loopback servers only (`127.0.0.0/8`, `localhost`, `::1`); others are refused 403. The http/https check applies regardless.',
    example: { value: 'false', note: 'true: the inference proxy reaches loopback servers only' },
  }),
  /** Seconds a proxied upstream may take to send its headers, or to send the next body chunk (0: no limit). */
  upstream_timeout_seconds: setting({
    kind: 'seconds',
    default: 300,
    flag: '--upstream-timeout',
    metavar: 'SECS',
    help: 'proxied upstreams: longest wait for headers or the next chunk (0 = none; timeout → 504)',
    readme:
      'Proxied servers (inference, TensorBoard, dataset_server): longest wait for the headers or for the next body chunk; then 504. `0` = no limit.',
    example: { value: '300', note: 'proxied servers: longest wait for headers or the next chunk (0 = none)' },
  }),
  /**
   * When the highest-priority waiting job cannot fit: `backfill` holds the GPUs it can use and lets
   * only jobs whose time limit ends before its earliest start use them; `strict` holds them; `skip`
   * holds nothing (the original's behaviour: big jobs may starve).
   */
  scheduling: setting({
    kind: 'scheduling',
    default: 'backfill',
    flag: '--scheduling',
    metavar: 'MODE',
    help: 'backfill | strict | skip: GPUs are held for the top waiting job (strict), and only jobs whose time limit ends first may use them (backfill); skip holds nothing',
    readme:
      '`backfill`, `strict` or `skip`: what happens when the top waiting job cannot fit (see Scheduling).',
    example: {
      value: 'backfill',
      note: 'backfill | strict | skip (see README: Scheduling)',
    },
  }),
  /** Priority points a queued job gains per hour waited (0: off). */
  priority_aging: setting({
    kind: 'rate',
    default: 0,
    flag: '--priority-aging',
    metavar: 'N',
    help: 'a queued job gains N priority per hour waited; 0 = off',
    readme: 'A queued job gains N priority per hour waited (order only; GPU gates read its own priority).',
    example: { value: '0', note: 'priority a queued job gains per hour waited' },
  }),
  /** Sent to a preempted job that has no trainer control endpoint (SIGKILL follows after the grace). */
  preempt_signal: setting({
    kind: 'signal',
    default: 'SIGTERM',
    flag: '--preempt-signal',
    metavar: 'SIG',
    help: `asks a preempted job without a trainer endpoint to checkpoint (${PREEMPT_SIGNALS.join(', ')})`,
    readme:
      'Signal that asks a preempted job without a trainer control endpoint to checkpoint (SIGKILL follows after the grace period; see Scheduling).',
    example: { value: 'SIGTERM', note: 'asks a preempted job without a trainer endpoint to checkpoint' },
  }),
  /** A job is preempted at most once per this many seconds (no preemption storm). */
  preemption_cooldown_seconds: setting({
    kind: 'seconds',
    default: 600,
    flag: '--preemption-cooldown',
    metavar: 'SECS',
    help: 'a job is preempted at most once per SECS',
    readme: 'A job is preempted at most once per this many seconds, so preemption cannot storm.',
    example: { value: '600', note: 'a job is preempted at most once per this many seconds' },
  }),
  /** Time limit of jobs submitted without one and whose job type sets none, seconds; null: none. */
  default_time_limit_seconds: setting({
    kind: 'limit',
    default: null,
    flag: '--default-time-limit',
    metavar: 'SECS',
    help: 'time limit of jobs submitted without one',
    readme:
      'Time limit, in seconds, of jobs submitted without one whose job type sets none (see Scheduling).',
    example: { value: '86400', note: 'time limit of jobs submitted without one (default: none)' },
  }),
  /**
   * Where job cgroups go: null = a `trainyard-<hash>` cgroup under the server's own (found through
   * /proc/self/mountinfo and /proc/self/cgroup); an absolute cgroup v2 directory to create it under
   * instead; `off` = track jobs by their environment tag only.
   */
  cgroup_root: setting({
    kind: 'cgroup',
    default: null,
    flag: '--cgroup-root',
    metavar: 'DIR|off',
    shown: 'auto',
    help: "cgroup v2 directory under which each job gets a cgroup (default: the server's own cgroup; off: environment tag only)",
    readme:
      "Where each job gets a cgroup v2 (`monitor-<pid>-<start time>` of its monitor); default: under the server's own cgroup; `off`: environment tag only. See [How a job is launched](#how-a-job-is-launched).",
    example: { value: 'off', note: 'job cgroups: a cgroup v2 directory, or off (default: automatic)' },
  }),
  /**
   * A goodseed home (real path): its run files `DIR/projects/<project>/runs/<run_id>.sqlite` are listed
   * read-only beside Trainyard's own runs; null = none.
   */
  goodseed_dir: setting({
    kind: 'dir',
    default: null,
    flag: '--goodseed-dir',
    metavar: 'DIR',
    help: "list goodseed run files (DIR/projects/<project>/runs/*.sqlite) read-only beside Trainyard's runs",
    readme:
      'List goodseed runs (`DIR/projects/<project>/runs/<run_id>.sqlite`) read-only beside Trainyard’s runs (see [Run tracking](#run-tracking)).',
    example: {
      value: '/home/me/.goodseed',
      note: 'list goodseed runs (projects/<project>/runs/*.sqlite) read-only',
    },
  }),
};

export type SettingKey = keyof typeof SETTINGS;

/** The settings that can come from a flag, a TRAINYARD_* variable or the `args:` block. */
export type ServerArgs = { [K in SettingKey]: KindValue[(typeof SETTINGS)[K]['kind']] };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** Widened view of one entry, for code that walks the table. */
export function settingOf(key: SettingKey): Setting {
  return SETTINGS[key];
}

export function envNameOf(key: SettingKey): string {
  return settingOf(key).env ?? `TRAINYARD_${key.toUpperCase()}`;
}

/** Every setting's default, as one object (each call a fresh copy: lists are not shared). */
export function settingDefaults(): ServerArgs {
  const out = {} as Record<SettingKey, unknown>;
  for (const key of SETTING_KEYS) {
    const value = settingOf(key).default;
    out[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return out as ServerArgs;
}

/** Flags that are not settings: they choose the config file or print help. */
interface MetaFlag {
  key: 'config' | 'help';
  flag: `--${string}`;
  short?: `-${string}`;
  metavar?: string;
  help: string;
  shown?: string;
  /** README row, or none. */
  readme?: { env: string; effect: string };
}
const META_FLAGS: readonly MetaFlag[] = [
  {
    key: 'config',
    flag: '--config',
    metavar: 'PATH',
    help: 'server_config.yaml',
    shown: '$TRAINYARD_HOME/server_config.yaml',
    readme: {
      env: 'TRAINYARD_CONFIG',
      effect:
        'Config file. The default one is created with a commented template on first boot. One reached through a symbolic link is used (read, edited, written) by its real path, so the link stays.',
    },
  },
  { key: 'help', flag: '--help', short: '-h', help: 'show this help' },
];

export interface FlagSpec {
  key: SettingKey | MetaFlag['key'];
  takesValue: boolean;
}

/** The flag parser's table: every spelling (`-p`, `--port`) → the setting it sets. */
export const FLAGS: Readonly<Record<string, FlagSpec>> = (() => {
  // No prototype: a word such as `constructor` or `toString` is no flag of ours.
  const flags: Record<string, FlagSpec> = Object.create(null) as Record<string, FlagSpec>;
  const add = (spec: FlagSpec, ...names: (string | undefined)[]) => {
    for (const name of names) if (name) flags[name] = spec;
  };
  for (const key of SETTING_KEYS) {
    const s = settingOf(key);
    if (s.flag) add({ key, takesValue: s.kind !== 'bool' }, s.flag, s.short);
  }
  for (const m of META_FLAGS) add({ key: m.key, takesValue: m.metavar !== undefined }, m.flag, m.short);
  return flags;
})();

/** How a default reads to a person; undefined when it is "nothing" (false, null, empty). */
function defaultText(s: { default?: KindValue[Kind]; shown?: string }): string | undefined {
  if (s.shown !== undefined) return s.shown;
  const v = s.default;
  if (v === null || v === undefined || v === false || (Array.isArray(v) && v.length === 0)) return undefined;
  if (!Array.isArray(v)) return String(v);
  return v.map((x) => (typeof x === 'string' ? x : `${x.gpu_index}:${x.profiles.join(',')}`)).join(',');
}

const USAGE_WIDTH = 100;
const USAGE_INDENT = 25;

function wrap(text: string, first: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  let room = width - first;
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = width - USAGE_INDENT;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

function usageEntry(
  s: {
    flag: string;
    short?: string;
    metavar?: string;
    help: string;
    shown?: string;
    default?: KindValue[Kind];
  },
  order: string[],
): void {
  const left = `  ${s.short ? `${s.short}, ` : '    '}${s.flag}${s.metavar ? ` ${s.metavar}` : ''}`;
  const shown = defaultText(s);
  const help = shown === undefined ? s.help : `${s.help} (default ${shown})`;
  const head = left.length + 1 < USAGE_INDENT ? left.padEnd(USAGE_INDENT - 1) : `${left} `;
  const [first, ...rest] = wrap(help, head.length + 1, USAGE_WIDTH);
  order.push(`${head} ${first}`, ...rest.map((l) => ' '.repeat(USAGE_INDENT) + l));
}

/** `trainyard server --help`. */
export const USAGE: string = (() => {
  const lines: string[] = [];
  for (const m of META_FLAGS.filter((f) => f.key === 'config')) usageEntry(m, lines);
  for (const key of SETTING_KEYS) {
    const s = settingOf(key);
    if (s.flag) usageEntry({ ...s, flag: s.flag }, lines);
  }
  for (const m of META_FLAGS.filter((f) => f.key === 'help')) usageEntry(m, lines);
  const secrets = SETTING_KEYS.filter((k) => !settingOf(k).flag).map((k) => `${envNameOf(k)} (${k})`);
  return [
    'Usage: trainyard server [options]',
    '',
    ...lines,
    '',
    'Commands (each with --help):',
    '  trainyard server stop     stop the server of TRAINYARD_HOME as Ctrl-C would (jobs keep running)',
    '  trainyard server restart  restart the server you talk to in place (jobs keep running)',
    '',
    'Every option can also be set in the environment, as TRAINYARD_ and its config file key in',
    'capitals (TRAINYARD_PORT=9000; --kill-grace: TRAINYARD_KILL_GRACE_SECONDS), or in the config',
    "file's args: block under that key (log_level: debug, kill_grace_seconds: 30).",
    'Flags win over env, env over file.',
    `Only from the environment or the file, never a flag: ${secrets.join(', ')}.`,
  ].join('\n');
})();

/** The commented `args:` block of the config template written on first boot. */
export function templateArgsLines(): string {
  const lines = ['args:'];
  for (const key of SETTING_KEYS) {
    const example = settingOf(key).example;
    if (!example) continue;
    const body = `  # ${key}: ${example.value}`;
    lines.push(example.note ? `${body.padEnd(Math.max(body.length + 2, 36))}# ${example.note}` : body);
  }
  return lines.join('\n');
}

const README_HEADER = ['Flag', 'Environment, file key', 'Default', 'Effect'];

/** README's "Server flags" table, one row per flag or setting (cells, Markdown). */
export function settingsReadmeRows(): string[][] {
  const code = (t: string) => `\`${t}\``;
  const flagCell = (f: { flag?: string; short?: string; metavar?: string }) =>
    f.flag
      ? [f.short, `${f.flag}${f.metavar ? ` ${f.metavar}` : ''}`]
          .filter((x): x is string => x !== undefined)
          .map(code)
          .join(', ')
      : 'none (env or file only)';
  const rows: string[][] = [];
  for (const m of META_FLAGS) {
    if (!m.readme) continue;
    rows.push([flagCell(m), code(m.readme.env), code(m.shown ?? ''), m.readme.effect]);
  }
  for (const key of SETTING_KEYS) {
    const s = settingOf(key);
    const shown = defaultText(s);
    // A value is code; a `shown` phrase in words ("standalone") is prose.
    const defaultCell =
      shown === undefined
        ? s.kind === 'bool'
          ? 'off'
          : 'none'
        : s.shown !== undefined && (/\s/.test(shown) || /^[a-z]+$/.test(shown))
          ? shown
          : code(shown);
    rows.push([flagCell(s), `${code(envNameOf(key))}, file ${code(key)}`, defaultCell, s.readme]);
  }
  return rows;
}

/** The table as Markdown (unaligned: the docs script runs prettier over it, as over the rest of README). */
export function settingsReadmeTable(): string {
  const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [row(README_HEADER), row(README_HEADER.map(() => '---')), ...settingsReadmeRows().map(row)].join(
    '\n',
  );
}

export const SETTINGS_START = '<!-- settings:start -->';
export const SETTINGS_END = '<!-- settings:end -->';

/** README with the text between the settings markers replaced by {@link settingsReadmeTable}. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(SETTINGS_START);
  const end = readme.indexOf(SETTINGS_END);
  if (start < 0 || end < start) throw new Error(`README has no ${SETTINGS_START} … ${SETTINGS_END} section`);
  return `${readme.slice(0, start + SETTINGS_START.length)}\n\n${settingsReadmeTable()}\n\n${readme.slice(end)}`;
}

/** The rows of a Markdown table (cells trimmed, separator row dropped), to compare tables whatever their padding. */
export function markdownTableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.trim().startsWith('|'))
    .map((l) =>
      l
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    )
    .filter((cells) => !cells.every((c) => /^:?-+:?$/.test(c)));
}
