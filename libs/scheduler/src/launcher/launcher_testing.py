"""What the launcher's python tests share: where the binary is, and its request format."""

import os

LAUNCHER = os.environ.get('TRAINYARD_LAUNCHER', os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                                                             'dist', 'bin', 'trainyard-launcher'))


def monitor_request(req):
    """The monitor's request (see trainyard-monitor.c): fields each ended by a NUL byte."""
    env = ['%s=%s' % kv for kv in req['env'].items()]
    fields = [req['log'], req['exit'], str(req.get('log_cap') or ''), req['cwd'], str(len(req['argv'])),
              *req['argv'], str(len(env)), *env]
    return b''.join(field.encode() + b'\0' for field in fields)


def launch_request(job_id, req):
    """A launch request as the server writes it to the launcher (see trainyard-launcher.c)."""
    return b'launch\0' + job_id.encode() + b'\0' + monitor_request(req)
