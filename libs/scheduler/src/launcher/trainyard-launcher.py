#!/usr/bin/env python3
"""Trainyard's job launcher: a small long-lived process that starts jobs for the server.

Why a separate process: forking from the server's large Node process blocks its event loop for
milliseconds per job; forking this small one does not, and its per-job monitors keep every job's
guarantees even when the server, this launcher or the supervisor dies.

Protocol, one JSON object per line. The server writes requests on our stdin:
  {"op": "launch", "id": ID, "argv": [...], "cwd": DIR, "env": {...}, "log": PATH, "exit": PATH,
   "log_cap": BYTES or null}
and we answer on stdout:
  {"op": "launched", "id": ID, "monitor_pid": N, "monitor_start_time": TICKS, "pid": N, "cgroup": DIR or null,
   "cgroup_error": TEXT or null}
  {"op": "launch_failed", "id": ID, "error": TEXT}
  {"op": "main_exited", "id": ID, "status": CODE}       the job's command ended (others may remain)
  {"op": "exited", "id": ID, "monitor_pid": N, "status": CODE or null}   every process is gone
CODE is a shell-style exit status (128+N for signal N). When stdin closes the launcher exits;
monitors and jobs keep running, and the next server re-attaches them.

Per job, a monitor: trainyard-monitor (trainyard-monitor.c, built by scripts/build-monitor.js), which
owns the job's session, terminal, cgroup, log and exit file; its header says what it guarantees.
The launcher starts SPARES of them ahead while idle (each sets itself up and starts the job's
process in the job's cgroup, then waits), hands each launch to the oldest, relays their reports
with the job's id, and, as the child subreaper above them, records a command's exit status when
its monitor was killed.
"""

import ctypes
import fcntl
import json
import os
import select
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36
SPARE_AFTER_IDLE_S = 0.002
# Spare monitors kept ready (a burst of launches starts the rest directly). A replacement is started
# only once no launch awaits its "launched", so starting one never holds up a launch.
SPARES = 2
REQUEST_FD, REPORT_FD = 3, 4  # the monitor's ends of its pipes (see trainyard-monitor.c)

_prctl = ctypes.CDLL(None, use_errno=True).prctl
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
_prctl.restype = ctypes.c_int


def become_subreaper():
    """Orphans among our descendants are re-parented to us, not to init."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def status_of(wait_status):
    if os.WIFEXITED(wait_status):
        return os.WEXITSTATUS(wait_status)
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return None


def write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[n:]


def write_exit_file(path, code):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, b'%d\n' % code)
    finally:
        os.close(fd)
    os.rename(tmp, path)


def monitor_request(req):
    """The launch request as trainyard-monitor reads it: fields each ended by a NUL byte."""
    argv, env = req['argv'], ['%s=%s' % kv for kv in req['env'].items()]
    fields = [req['log'], req['exit'], str(req.get('log_cap') or ''), req['cwd'], str(len(argv)), *argv,
              str(len(env)), *env]
    if any('\0' in field for field in fields):
        raise ValueError('the command, its environment and its paths cannot contain a NUL byte')
    return b''.join(field.encode('utf-8', 'surrogateescape') + b'\0' for field in fields)


def wake_on_sigchld():
    """A pipe that becomes readable whenever a child ends, for select(); returns (read, write) fds."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    return wake_r, wake_w


def drain(fd):
    try:
        os.read(fd, 512)
    except BlockingIOError:
        pass


class Launcher:
    def __init__(self, cgroup_parent=None):
        self.cgroup_parent = cgroup_parent  # where each monitor makes its job's cgroup
        self.out = sys.stdout.buffer
        self.monitors = {}  # monitor pid -> job id
        self.commands = {}  # job command pid -> (job id, exit path), while its monitor lives
        self.by_report_fd = {}  # report fd -> [job id, monitor pid, buffer]
        self.wake = ()
        self.spares = []  # (pid, request fd, report fd) of monitors started ahead, oldest first
        self.starting = set()  # monitor pids of launches not yet reported "launched"

    def send(self, message):
        self.out.write((json.dumps(message) + '\n').encode())
        self.out.flush()

    def start_monitor(self):
        """Starts a trainyard-monitor, which sets itself up, then waits for its job's request.

        Returns (pid, request fd, report fd); raises OSError when it cannot be started.
        """
        request_r, request_w = os.pipe()
        report_r, report_w = os.pipe()
        # Copies above the monitor's fd numbers, so one dup2 never overwrites the other's source.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (request_r, report_w)]
        os.close(request_r)
        os.close(report_w)
        argv = [MONITOR] + (['--cgroup-parent', self.cgroup_parent] if self.cgroup_parent else [])
        try:
            # posix_spawn (vfork and exec): nothing of this process is copied.
            pid = os.posix_spawn(MONITOR, argv, {}, file_actions=[
                (os.POSIX_SPAWN_DUP2, ends[0], REQUEST_FD), (os.POSIX_SPAWN_DUP2, ends[1], REPORT_FD)])
        except OSError:
            os.close(request_w)
            os.close(report_r)
            raise
        finally:
            for fd in ends:
                os.close(fd)
        return pid, request_w, report_r

    def launch(self, req):
        """Hands the request to the oldest spare monitor (started while we were idle), or to a new one."""
        job_id = req['id']
        try:
            request = monitor_request(req)
        except ValueError as err:
            self.send({'op': 'launch_failed', 'id': job_id, 'error': str(err)})
            return
        while True:
            spare = self.spares.pop(0) if self.spares else None
            try:
                pid, request_w, report_r = spare or self.start_monitor()
            except OSError as err:
                self.send({'op': 'launch_failed', 'id': job_id, 'error': 'monitor: %s' % err.strerror})
                return
            try:
                write_all(request_w, request)
                break
            except OSError as err:  # it died before it got its job
                os.close(request_w)
                os.close(report_r)
                if spare is None:
                    self.send({'op': 'launch_failed', 'id': job_id, 'error': 'monitor: %s' % err.strerror})
                    return
        os.close(request_w)
        os.set_blocking(report_r, False)
        self.monitors[pid] = job_id
        self.starting.add(pid)
        self.by_report_fd[report_r] = [job_id, pid, b'', req['exit']]

    def on_report(self, fd):
        entry = self.by_report_fd[fd]
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not data:
            os.close(fd)
            del self.by_report_fd[fd]
            return
        entry[2] += data
        *lines, entry[2] = entry[2].split(b'\n')
        for line in lines:
            message = json.loads(line)
            message['id'] = entry[0]
            if message['op'] in ('launched', 'launch_failed'):
                self.starting.discard(entry[1])
            if message['op'] == 'launched':
                message['monitor_pid'] = entry[1]
                self.commands[message['pid']] = (entry[0], entry[3])
            elif message['op'] == 'main_exited':
                # The monitor reaped its command: that pid is no longer this job's.
                for pid, (job_id, _) in list(self.commands.items()):
                    if job_id == entry[0]:
                        del self.commands[pid]
            self.send(message)

    def reap(self):
        while True:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            spare = next((s for s in self.spares if s[0] == pid), None)
            if spare is not None:
                os.close(spare[1])  # a spare that died without a job: another is started when idle
                os.close(spare[2])
                self.spares.remove(spare)
                continue
            command = self.commands.pop(pid, None)
            if command is not None:
                # Its monitor was killed and we, the subreaper above it, inherited the command:
                # its real exit status is still recorded.
                job_id, exit_path = command
                code = status_of(wait_status)
                try:
                    write_exit_file(exit_path, code if code is not None else 1)
                except OSError:
                    pass
                self.send({'op': 'main_exited', 'id': job_id, 'status': code})
                continue
            job_id = self.monitors.pop(pid, None)
            self.starting.discard(pid)
            if job_id is None:
                continue  # an orphan of a killed monitor
            # Drain what the monitor said before it ended (its end of the pipe is closed now), so
            # "launched" and "main_exited" always precede "exited".
            for fd, entry in list(self.by_report_fd.items()):
                if entry[1] == pid:
                    os.set_blocking(fd, True)
                    while fd in self.by_report_fd:
                        self.on_report(fd)
            self.send({'op': 'exited', 'id': job_id, 'monitor_pid': pid, 'status': status_of(wait_status)})
            # Its command is no longer ours to reap unless it outlived the monitor (re-parented to us).

    def run(self):
        # Orphans of a killed monitor come to us, so a job command's status is never lost to init.
        become_subreaper()
        stdin = sys.stdin.buffer.raw
        wake_r, _ = self.wake = wake_on_sigchld()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the server's terminal is the server's
        buffer = b''
        while True:
            # Idle with fewer than SPARES spare monitors and no launch under way: start one, so the
            # next launch skips the monitor's start and setup.
            try:
                ready, _, _ = select.select(
                    [stdin, wake_r] + list(self.by_report_fd), [], [],
                    None if len(self.spares) >= SPARES or self.starting else SPARE_AFTER_IDLE_S)
            except InterruptedError:
                continue
            if not ready:
                try:
                    self.spares.append(self.start_monitor())
                except OSError:
                    pass  # tried again at the next idle moment; launches start their own meanwhile
                continue
            if wake_r in ready:
                drain(wake_r)
                self.reap()
            for fd in ready:
                if fd in self.by_report_fd:
                    self.on_report(fd)
            if stdin in ready:
                data = os.read(stdin.fileno(), 1 << 20)
                if not data:
                    return
                buffer += data
                *lines, buffer = buffer.split(b'\n')
                for line in lines:
                    if line.strip():
                        self.launch(json.loads(line))


if __name__ == '__main__':
    # trainyard-launcher.py MONITOR [--cgroup-parent DIR]: MONITOR is the trainyard-monitor binary;
    # DIR the server's parent cgroup, each job's cgroup in it (see trainyard-monitor.c)
    MONITOR, args = sys.argv[1], sys.argv[2:]
    Launcher(args[1] if args[:1] == ['--cgroup-parent'] and len(args) > 1 else None).run()
