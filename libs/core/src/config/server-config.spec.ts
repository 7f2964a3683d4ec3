import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadServerConfig, parseFlags } from './server-config';

describe(loadServerConfig.name, () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'ty-config-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const load = (argv: string[], env: Record<string, string> = {}) =>
    loadServerConfig({ argv, env: { TRAINYARD_HOME: home, ...env } });
  const writeConfig = (yaml: string) => writeFileSync(join(home, 'server_config.yaml'), yaml);

  it('refuses a non-loopback bind, saying how to allow it the way the host was given', () => {
    expect(() => load(['--host', '0.0.0.0'])).toThrow(/or pass --insecure\.$/);
    expect(() => load([], { TRAINYARD_HOST: '0.0.0.0' })).toThrow(/or set TRAINYARD_INSECURE=1\.$/);
    writeConfig('args:\n  host: 0.0.0.0\n');
    expect(() => load([])).toThrow(`or set insecure: true in ${join(home, 'server_config.yaml')}.`);
  });

  it('warns about a misspelt setting variable or file key, naming the one meant; other TRAINYARD_* pass', () => {
    writeConfig('args:\n  kill_grace: 5\n  kill_grace_secs: 5\n');
    const sut = load([], {
      TRAINYARD_PORTT: '9000',
      TRAINYARD_KILL_GRACE: 'abc',
      TRAINYARD_KILL_GRACE_SECS: '5',
      // The CLI's, set in the same shell, and those of a job it was started from.
      ...Object.fromEntries(
        [
          'SERVER_URL',
          'SERVER_TOKEN',
          'JOB_ID',
          'NODE_ID',
          'CONTROL_DIR',
          'RESTART_COUNT',
          'ARRAY_ID',
          'ARRAY_INDEX',
          'RUN_ID',
          'URL',
          'RUN_TOKEN_FILE',
        ].map((name) => [`TRAINYARD_${name}`, 'x']),
      ),
    });
    expect(sut.port).toBe(8765);
    const file = join(home, 'server_config.yaml');
    expect(sut.warnings).toEqual([
      `${file}: unknown key args.kill_grace ignored; did you mean kill_grace_seconds?`,
      `${file}: unknown key args.kill_grace_secs ignored; did you mean kill_grace_seconds?`,
      'environment TRAINYARD_PORTT is not a setting and is ignored; did you mean TRAINYARD_PORT?',
      'environment TRAINYARD_KILL_GRACE is not a setting and is ignored; did you mean TRAINYARD_KILL_GRACE_SECONDS?',
      'environment TRAINYARD_KILL_GRACE_SECS is not a setting and is ignored; did you mean TRAINYARD_KILL_GRACE_SECONDS?',
    ]);
  });

  it("keeps the server's own settings and secrets out of the environment jobs inherit", () => {
    const sut = load([], {
      PATH: '/usr/bin',
      HF_HOME: '/data/hf',
      TRAINYARD_NATS_USER: 'u',
      TRAINYARD_NATS_PASSWORD: 's3cret',
      TRAINYARD_SERVER_TOKEN: 'abc123',
      TRAINYARD_PORT: '9005',
    });
    expect(sut.port).toBe(9005); // read by the server all the same
    expect(sut.job_env).toEqual({ PATH: '/usr/bin', HF_HOME: '/data/hf', TRAINYARD_HOME: home });
  });

  it('defaults to 127.0.0.1:8765 and writes a commented template on first boot', () => {
    const sut = load([]);
    expect(sut.host).toBe('127.0.0.1');
    expect(sut.port).toBe(8765);
    expect(sut.sources.port).toBe('default');
    const template = readFileSync(join(home, 'server_config.yaml'), 'utf8');
    expect(template).toContain('# port: 8765');
    expect(statSync(join(home, 'server_config.yaml')).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
  });

  it.each([
    ['file only', [], {}, 'args:\n  port: 9001\n', 9001, 'file'],
    ['env beats file', [], { TRAINYARD_PORT: '9002' }, 'args:\n  port: 9001\n', 9002, 'env'],
    [
      'flag beats env and file',
      ['-p', '9003'],
      { TRAINYARD_PORT: '9002' },
      'args:\n  port: 9001\n',
      9003,
      'flag',
    ],
    ['--port=N form', ['--port=9004'], {}, '', 9004, 'flag'],
  ])('precedence: %s', (_name, argv, env, yaml, port, source) => {
    writeConfig(yaml);
    const sut = load(argv, env);
    expect(sut.port).toBe(port);
    expect(sut.sources.port).toBe(source);
  });

  it('accepts dashed keys in the file and booleans from env and flags', () => {
    writeConfig('args:\n  log-level: DEBUG\n  persist_sessions: true\n');
    const sut = load(['--no-auth'], { TRAINYARD_FAKE_GPUS: '4' });
    expect(sut.log_level).toBe('debug');
    expect(sut.persist_sessions).toBe(true);
    expect(sut.no_auth).toBe(true);
    expect(sut.fake_gpus).toBe(4);
  });

  it('reads the scheduling policy, priority aging and default time limit from flags, env and file', () => {
    expect(load([])).toMatchObject({
      scheduling: 'backfill',
      priority_aging: 0,
      default_time_limit_seconds: null,
    });

    writeConfig('args:\n  scheduling: strict\n  priority-aging: 0.5\n  default_time_limit_seconds: 3600\n');
    expect(load([])).toMatchObject({
      scheduling: 'strict',
      priority_aging: 0.5,
      default_time_limit_seconds: 3600,
    });
    expect(
      load([], {
        TRAINYARD_SCHEDULING: 'Skip',
        TRAINYARD_PRIORITY_AGING: '2',
        TRAINYARD_DEFAULT_TIME_LIMIT_SECONDS: '60',
      }),
    ).toMatchObject({ scheduling: 'skip', priority_aging: 2, default_time_limit_seconds: 60 });
    expect(
      load(['--scheduling', 'backfill', '--priority-aging=1', '--default-time-limit', 'none']),
    ).toMatchObject({ scheduling: 'backfill', priority_aging: 1, default_time_limit_seconds: null });
  });

  it('reads the preempt signal and cooldown (SIGTERM and 600 s by default)', () => {
    expect(load([])).toMatchObject({ preempt_signal: 'SIGTERM', preemption_cooldown_seconds: 600 });
    expect(load(['--preempt-signal', 'usr1', '--preemption-cooldown', '60'])).toMatchObject({
      preempt_signal: 'SIGUSR1',
      preemption_cooldown_seconds: 60,
    });
    expect(load([], { TRAINYARD_PREEMPT_SIGNAL: 'SIGINT' }).preempt_signal).toBe('SIGINT');
  });

  it('reads where job cgroups go: automatic by default, off, or an absolute directory', () => {
    expect(load([]).cgroup_root).toBeNull();
    expect(load(['--cgroup-root', 'off']).cgroup_root).toBe('off');
    expect(load(['--cgroup-root', '/sys/fs/cgroup/jobs/']).cgroup_root).toBe('/sys/fs/cgroup/jobs');
    expect(load([], { TRAINYARD_CGROUP_ROOT: 'auto' }).cgroup_root).toBeNull();
  });

  it.each([
    [['--cgroup-root', 'jobs'], /--cgroup-root must be an absolute cgroup v2 directory, auto or off/],
    [['--preempt-signal', 'SIGKILL'], /--preempt-signal must be one of SIGTERM/],
    [['--scheduling', 'fifo'], /scheduling must be strict, backfill or skip/],
    [['--priority-aging', '-1'], /--priority-aging must be a number/],
    [['--default-time-limit', '2h'], /--default-time-limit must be a whole number of seconds/],
    [['--default-time-limit', '0'], /--default-time-limit must be a whole number of seconds/],
  ])('rejects %j', (argv, message) => {
    expect(() => load(argv)).toThrow(message);
  });

  it('warns at start when cgroup_root names a directory that is not a cgroup v2 one', () => {
    expect(load(['--cgroup-root', home]).warnings).toEqual([
      `cgroup_root ${home} is not a cgroup v2 directory (no cgroup.procs): job processes are tracked by their environment tag only`,
    ]);
    expect(load(['--cgroup-root', 'off']).warnings).toEqual([]);
    expect(load([]).warnings).toEqual([]);
  });

  it('replaces a token other users could read, and says which files they could read', () => {
    // Before: a 0644 auth_token in a 0755 directory was made 0600 and kept, with no word of it.
    chmodSync(home, 0o755);
    writeFileSync(join(home, 'auth_token'), `${'a'.repeat(64)}\n`, { mode: 0o644 });
    writeFileSync(join(home, 'password_hash'), 'x', { mode: 0o644 });
    const config = load([]);
    expect(existsSync(join(home, 'auth_token'))).toBe(false); // the server makes a new one
    expect(config.warnings).toEqual([
      'other users could read auth_token, password_hash in the state directory (now 0600); auth_token was ' +
        'replaced with a new token, the old one no longer works; set a new browser password',
    ]);
    expect(statSync(join(home, 'password_hash')).mode & 0o777).toBe(0o600);
    // Closed now: the next start keeps the token it finds.
    writeFileSync(join(home, 'auth_token'), `${'b'.repeat(64)}\n`, { mode: 0o600 });
    expect(load([]).warnings).toEqual([]);
    expect(existsSync(join(home, 'auth_token'))).toBe(true);
  });

  it('warns about unknown keys instead of failing', () => {
    writeConfig('args:\n  prot: 1\nextra: true\n');
    expect(load([]).warnings).toEqual([
      expect.stringContaining('unknown top-level key "extra"'),
      expect.stringContaining('unknown key args.prot'),
    ]);
  });

  it.each([
    [['--port', 'abc'], /port must be an integer/],
    [['--port', '70000'], /port must be an integer/],
    [['--log-level', 'loud'], /--log-level must be/],
    [['--fake-gpus', '-1'], /--fake-gpus must be/],
    [['--bogus'], /^unknown option --bogus$/],
    // Near a flag or a command: which one (`server` alone had no "did you mean", unlike the CLI's).
    [['--fake-gpu', '2'], /^unknown option --fake-gpu \(did you mean --fake-gpus\?\)$/],
    [['--kill-grace-secs', '2'], /^unknown option --kill-grace-secs \(did you mean --kill-grace\?\)/],
    [['stp'], /^unexpected word 'stp' \(did you mean stop\?\): `trainyard server` takes options/],
    // A word is not an option (said "unknown option stpo").
    [
      ['stpo'],
      /^unexpected word 'stpo' \(did you mean stop\?\): `trainyard server` takes options and the commands stop and restart$/,
    ],
    [['--port', '8765', '9000'], /^unexpected word '9000'/],
    // A name every object has is no flag (it was looked up on the prototype: a crash).
    [['toString'], /^unexpected word 'toString'/],
    [['--port', 'constructor'], /port must be an integer/],
    [['--port'], /needs a value/],
    [
      ['--kill-grace', '--port', '18705'],
      /^option --kill-grace needs a value \(the next word is the option --port\)$/,
    ],
    [
      ['--port', '--fake-gpus', '4'],
      /^option --port needs a value \(the next word is the option --fake-gpus\)$/,
    ],
    [['-H', '0.0.0.0'], /refusing to bind 0.0.0.0/],
  ])('rejects %j with a message naming the setting', (argv, message) => {
    expect(() => load(argv)).toThrow(ConfigError);
    expect(() => load(argv)).toThrow(message);
  });

  it('reads --fake-mig as GPU:profiles, ";" between GPUs, from flag, env or a file list', () => {
    expect(load([]).fake_mig).toEqual([]);
    expect(load(['--fake-gpus', '2', '--fake-mig', '1:1g.10gb, 1g.10gb,2g.20gb']).fake_mig).toEqual([
      { gpu_index: 1, profiles: ['1g.10gb', '1g.10gb', '2g.20gb'] },
    ]);
    expect(
      load([], { TRAINYARD_FAKE_GPUS: '2', TRAINYARD_FAKE_MIG: '0:3g.40gb;1:7g.80gb' }).fake_mig,
    ).toEqual([
      { gpu_index: 0, profiles: ['3g.40gb'] },
      { gpu_index: 1, profiles: ['7g.80gb'] },
    ]);
    writeConfig('args:\n  fake_gpus: 1\n  fake_mig: ["0:1g.10gb+me"]\n');
    expect(load([]).fake_mig).toEqual([{ gpu_index: 0, profiles: ['1g.10gb+me'] }]);
  });

  it.each([
    [['--fake-gpus', '2', '--fake-mig', '1'], /--fake-mig must be GPU:profiles/],
    [['--fake-gpus', '2', '--fake-mig', '1:10gb'], /--fake-mig has "10gb" for GPU 1: MIG profiles look like/],
    [['--fake-gpus', '2', '--fake-mig', '1:1g.10gb;1:2g.20gb'], /--fake-mig names GPU 1 twice/],
    [['--fake-gpus', '2', '--fake-mig', '2:1g.10gb'], /fake_mig names GPU 2, but --fake-gpus is 2/],
    [['--fake-mig', '0:1g.10gb'], /fake_mig names GPU 0, but --fake-gpus is not set/],
  ])('rejects --fake-mig %j with a clear message', (argv, message) => {
    expect(() => load(argv)).toThrow(ConfigError);
    expect(() => load(argv)).toThrow(message);
  });

  it('collects --allowed-host from repeated flags, a comma-separated env value or a file list', () => {
    expect(load([]).allowed_host).toEqual([]);
    expect(load(['--allowed-host', 'Lab.Example', '--allowed-host=box:8443']).allowed_host).toEqual([
      'lab.example',
      'box:8443',
    ]);
    expect(load([], { TRAINYARD_ALLOWED_HOST: 'a.example, [fd00::1]:9000' }).allowed_host).toEqual([
      'a.example',
      '[fd00::1]:9000',
    ]);
    writeConfig('args:\n  allowed_host: [gpu-box, gpu-box.lab.example]\n');
    const sut = load([]);
    expect(sut.allowed_host).toEqual(['gpu-box', 'gpu-box.lab.example']);
    expect(sut.sources.allowed_host).toBe('file');
  });

  it.each(['http://lab.example', 'lab.example/path', 'a b', 'user@host', '*.example'])(
    'rejects --allowed-host %j naming the bad entry',
    (name) => {
      expect(() => load(['--allowed-host', name])).toThrow(/--allowed-host must be host names/);
    },
  );

  it('collects --fs-root from repeated flags, a colon-separated env value or a file list, as real paths', () => {
    const a = join(home, 'a');
    const b = join(home, 'b');
    mkdirSync(a);
    mkdirSync(b);
    symlinkSync(b, join(home, 'link-to-b'));
    expect(load([]).fs_root).toEqual([]);
    expect(load(['--fs-root', a, `--fs-root=${join(home, 'link-to-b')}`]).fs_root).toEqual([a, b]);
    expect(load([], { TRAINYARD_FS_ROOT: `${a}:${b}` }).fs_root).toEqual([a, b]);
    writeConfig(`args:\n  fs_root: [${a}]\n`);
    const sut = load([]);
    expect(sut.fs_root).toEqual([a]);
    expect(sut.sources.fs_root).toBe('file');
    writeConfig(`args:\n  fs_root: ${b}\n`);
    expect(load([]).fs_root).toEqual([b]);
  });

  it.each([
    ['relative', 'rel/dir', /--fs-root must be absolute/],
    ['missing', '/no/such/trainyard/dir', /does not exist/],
    ['non-directory', '/etc/hostname', /not a directory/],
  ])('rejects a %s --fs-root at boot', (_name, path, why) => {
    expect(() => load(['--fs-root', path])).toThrow(why);
  });

  it('is standalone by default and joins a cluster with --cluster NAME --nats URL[,URL...]', () => {
    expect(load([])).toMatchObject({ cluster: null, nats: [], cluster_address: [] });
    const sut = load(
      [
        '--cluster',
        'lab',
        '--nats',
        'nats://10.0.0.5:4222,tls://10.0.0.6:4222',
        '--nats',
        '10.0.0.7:4222',
        '--cluster-address',
        '192.168.1.27',
        '--cluster-address',
        'fd00::1',
        '--nats-user',
        'ty',
      ],
      { TRAINYARD_NATS_PASSWORD: 'pw' },
    );
    expect(sut.cluster).toBe('lab');
    expect(sut.nats).toEqual(['nats://10.0.0.5:4222', 'tls://10.0.0.6:4222', '10.0.0.7:4222']);
    expect(sut.cluster_address).toEqual(['192.168.1.27', 'fd00::1']);
    writeConfig(
      'args:\n  cluster: lab\n  nats: [nats://n1:4222]\n  nats_user: ty\n  nats_password: s3cret\n',
    );
    expect(load([])).toMatchObject({
      cluster: 'lab',
      nats: ['nats://n1:4222'],
      nats_user: 'ty',
      nats_password: 's3cret',
    });
  });

  it('takes --advertise-url (flag, environment or file) as an http(s) URL and refuses anything else, naming it', () => {
    expect(load([]).advertise_url).toBeNull();
    expect(load(['--advertise-url', 'https://gpu-box.lab.example/ty/']).advertise_url).toBe(
      'https://gpu-box.lab.example/ty',
    );
    expect(load([], { TRAINYARD_ADVERTISE_URL: 'http://10.0.0.5:8765' }).advertise_url).toBe(
      'http://10.0.0.5:8765',
    );
    expect(() => load(['--advertise-url', 'gpu-box:8765'])).toThrow(
      /command line: --advertise-url must be an http:\/\/ or https:\/\/ URL.*\(got "gpu-box:8765"\)/,
    );
    expect(() => load([], { TRAINYARD_ADVERTISE_URL: 'ftp://gpu-box' })).toThrow(
      /environment TRAINYARD_ADVERTISE_URL: advertise_url must be an http:\/\/ or https:\/\/ URL/,
    );
    writeConfig('args:\n  advertise_url: nats://gpu-box:4222\n');
    expect(() => load([])).toThrow(/advertise_url must be an http:\/\/ or https:\/\/ URL/);
    writeConfig('args: {}\n');
    // Before: accepted, and the password went into every member's api_url and peer-session links.
    expect(() => load(['--advertise-url', 'https://user:secretpw@gpu-box.example'])).toThrow(
      /--advertise-url must not carry a user or password/,
    );
    // Before: "must be an http:// or https:// URL" for what is one.
    expect(() => load(['--advertise-url', 'http://gpu-box.example/?a=b'])).toThrow(
      /--advertise-url must be a base URL, without a query/,
    );
  });

  it.each([
    [['--cluster', 'lab'], /--cluster needs --nats/],
    [['--nats', 'nats://n1:4222'], /--nats is only used with --cluster/],
    [['--cluster', 'my lab', '--nats', 'nats://n1'], /cluster must be 1-64 letters/],
    [['--cluster', 'lab', '--nats', 'http://n1:4222'], /bad entry "http:\/\/n1:4222"/],
    [['--cluster', 'lab', '--nats', 'n1', '--cluster-address', 'not-an-ip'], /bad entry "not-an-ip"/],
    [['--cluster', 'lab', '--nats', 'n1', '--nats-creds', '/nonexistent/u.creds'], /names no readable file/],
    [['--cluster', 'lab', '--nats', 'n1', '--nats-password', 'x'], /unknown option --nats-password/],
    [['--cluster', 'lab', '--nats', 'n1', '--nats-user', 'ty'], /nats_user and nats_password go together/],
  ])('refuses %j with a message naming the setting', (argv, message) => {
    expect(() => load(argv)).toThrow(ConfigError);
    expect(() => load(argv)).toThrow(message);
  });

  it('refuses to join a cluster through a NATS without credentials unless --insecure', () => {
    // Anyone who can connect to the cluster's NATS may call every node (found by a trial).
    expect(() => load(['--cluster', 'lab', '--nats', 'n1'])).toThrow(
      /refusing to join cluster lab through a NATS without credentials: .*--nats-user with TRAINYARD_NATS_PASSWORD, or --nats-creds FILE; or pass --insecure\.$/,
    );
    expect(load(['--cluster', 'lab', '--nats', 'n1', '--insecure']).cluster).toBe('lab');
    const creds = join(home, 'u.creds');
    writeFileSync(creds, 'creds\n', { mode: 0o600 });
    expect(load(['--cluster', 'lab', '--nats', 'n1', '--nats-creds', creds]).nats_creds).toBe(creds);
  });

  it('takes the NATS password from the environment and never echoes it in an error', () => {
    const sut = load(['--cluster', 'lab', '--nats', 'n1', '--nats-user', 'ty'], {
      TRAINYARD_NATS_PASSWORD: 'pw',
    });
    expect(sut.nats_password).toBe('pw');
    writeConfig('args:\n  nats_password: [hunter2]\n');
    expect(() => load([])).toThrow(/nats_password must be a string/);
    expect(() => load([])).not.toThrow(/hunter2/);
  });

  it('takes lock_inference_proxy and upstream_timeout_seconds from a flag, the environment or the file', () => {
    expect(load([])).toMatchObject({ lock_inference_proxy: false, upstream_timeout_seconds: 300 });
    expect(load(['--lock-inference-proxy', '--upstream-timeout', '5'])).toMatchObject({
      lock_inference_proxy: true,
      upstream_timeout_seconds: 5,
      sources: { lock_inference_proxy: 'flag', upstream_timeout_seconds: 'flag' },
    });
    expect(load([], { TRAINYARD_LOCK_INFERENCE_PROXY: '1' }).lock_inference_proxy).toBe(true);
    writeConfig('args:\n  lock-inference-proxy: true\n  upstream_timeout_seconds: 0\n');
    expect(load([])).toMatchObject({ lock_inference_proxy: true, upstream_timeout_seconds: 0 });
    expect(() => load(['--upstream-timeout', '-1'])).toThrow(/--upstream-timeout must be/);
  });

  it('takes log_cap_bytes as a size from a flag, the environment or the file, 1 GiB by default', () => {
    expect(load([]).log_cap_bytes).toBe(1024 ** 3);
    expect(load(['--log-cap', '500M'])).toMatchObject({
      log_cap_bytes: 500 * 1024 ** 2,
      sources: { log_cap_bytes: 'flag' },
    });
    expect(load([], { TRAINYARD_LOG_CAP_BYTES: '64KiB' }).log_cap_bytes).toBe(65536);
    writeConfig('args:\n  log-cap-bytes: 0\n');
    expect(load([]).log_cap_bytes).toBe(0);
    writeConfig('args:\n  log_cap_bytes: 1.5g\n');
    expect(load([]).log_cap_bytes).toBe(1.5 * 1024 ** 3);
    for (const bad of ['1000', '-1', '12X', 'lots'])
      expect(() => load(['--log-cap', bad])).toThrow(/--log-cap must be 0 or a size of at least 4096 bytes/);
  });

  it('takes goodseed_dir from a flag, the environment or the file, as a real directory', () => {
    const dir = join(home, 'gs');
    mkdirSync(dir, { recursive: true });
    expect(load([]).goodseed_dir).toBeNull();
    expect(load(['--goodseed-dir', dir])).toMatchObject({
      goodseed_dir: dir,
      sources: { goodseed_dir: 'flag' },
    });
    expect(load([], { TRAINYARD_GOODSEED_DIR: dir }).goodseed_dir).toBe(dir);
    writeConfig(`args:\n  goodseed-dir: ${dir}\n`);
    expect(load([])).toMatchObject({ goodseed_dir: dir, sources: { goodseed_dir: 'file' } });
    expect(() => load(['--goodseed-dir', 'rel'])).toThrow(
      /--goodseed-dir must be an absolute directory path/,
    );
    expect(() => load(['--goodseed-dir', join(home, 'missing')])).toThrow(/--goodseed-dir names a directory/);
  });

  it('allows a non-loopback bind with --insecure', () => {
    expect(load(['-H', '0.0.0.0', '--insecure']).host).toBe('0.0.0.0');
  });

  it('rejects a broken YAML file with its path', () => {
    writeConfig('args: [unclosed');
    expect(() => load([])).toThrow(/server_config.yaml: not valid YAML/);
  });

  it('fails when an explicit --config file is missing', () => {
    expect(() => load(['--config', join(home, 'nope.yaml')])).toThrow(/does not exist/);
  });

  it('keeps CUDA_VISIBLE_DEVICES as it was at start, distinguishing unset from empty', () => {
    expect(load([]).cuda_visible_devices).toBeUndefined();
    expect(load([], { CUDA_VISIBLE_DEVICES: '' }).cuda_visible_devices).toBe('');
  });
});

describe(parseFlags.name, () => {
  it('parses short and long forms', () => {
    expect(parseFlags(['-H', '127.0.0.2', '--port=1', '--regen-token']).values).toEqual({
      host: '127.0.0.2',
      port: '1',
      regen_token: true,
    });
  });
});
