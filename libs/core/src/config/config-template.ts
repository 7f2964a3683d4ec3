/** Written on first boot so every setting is visible; uncomment to change. */
export const CONFIG_TEMPLATE = `# Trainyard server configuration.
#
# Precedence: command-line flag > TRAINYARD_* environment variable > this file > default.
# Keys use snake_case (dashes are accepted). Unknown keys are reported at startup and ignored.
# Restart the server (console footer, or POST /api/server/restart) to apply changes;
# running jobs are not interrupted by a restart.

args:
  # host: 127.0.0.1          # bind address; a non-loopback address also needs insecure: true
  # port: 8765
  # log_level: info          # debug | info | warn | error
  # no_auth: false           # disable the auth gate (single trusted user on this host only)
  # regen_token: false       # rotate the bearer token at every start
  # persist_sessions: false  # keep browser sessions across restarts
  # fake_gpus: 4             # simulate GPUs on a machine without NVIDIA GPUs
  # insecure: false          # allow a non-loopback bind without TLS
  # scheduling: backfill     # backfill | strict | skip: hold GPUs for the top waiting job (strict);
  #                          # let jobs whose time limit ends first use them (backfill); skip holds none
  # priority_aging: 0        # priority a queued job gains per hour waited
  # preempt_signal: SIGTERM  # asks a preempted job without a trainer endpoint to checkpoint
  # preemption_cooldown_seconds: 600  # a job is preempted at most once per this many seconds
  # default_time_limit_seconds: 86400  # time limit of jobs submitted without one (default: none)
  # allowed_host: [trainyard.lab.example]  # more Host names to answer to (besides the bind address and loopback)
  # fs_root: [/home/me/work, /data]        # confine the Files API (browse, edit, copy...) to these trees
  # cluster: lab                            # join cluster "lab" (needs nats:); standalone when unset
  # nats: [nats://10.0.0.5:4222]            # NATS JetStream server(s) the cluster meets on
  # nats_user: trainyard                    # with nats_password (or use nats_creds: /path/to/user.creds)
  # nats_password: secret
  # nats_tls_ca: /etc/nats/ca.pem           # CA for tls:// servers
  # cluster_address: [192.168.1.27]         # what peers should dial (default: detected IPv4 addresses)
  # lock_inference_proxy: false  # true: the inference proxy reaches loopback servers only
  # upstream_timeout_seconds: 300  # proxied servers: longest wait for headers or the next chunk (0 = none)
  # log_cap_bytes: 1G        # a job's log keeps its newest output up to this size (0 = no cap)
  # goodseed_dir: /home/me/.goodseed  # list goodseed runs (projects/<project>/runs/*.sqlite) read-only

# services:                  # long-lived jobs started on boot (deduplicated by signature)
#   tensorboard:
#     runs:
#       enabled: true
#       logdir: /mnt/runs
#       port: 6006

# job_types:                 # user-defined job types (argv templates, no shell)
#   - name: sweep
#     description: Hyper-parameter sweep step
#     argv: ["python", "{script}", "--lr", "{lr}", "{args...}"]
#     params:
#       - { name: script, type: path, required: true }
#       - { name: lr, type: number, default: 0.001 }
#       - { name: args, type: string_list }
`;
