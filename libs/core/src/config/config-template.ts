import { templateArgsLines } from './settings';

/** Written on first boot so every setting is visible; uncomment to change. The `args:` lines come from SETTINGS. */
export const CONFIG_TEMPLATE = `# Trainyard server configuration.
#
# Precedence: command-line flag > TRAINYARD_* environment variable > this file > default.
# Keys use snake_case (dashes are accepted). Unknown keys are reported at startup and ignored.
# Restart the server (console footer, or POST /api/server/restart) to apply changes;
# running jobs are not interrupted by a restart.

${templateArgsLines()}

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
#       - { name: script, type: path, path_kind: file, required: true }  # path_kind: file or dir (what Browse… offers)
#       - { name: lr, type: number, default: 0.001 }
#       - { name: args, type: string_list }
`;
