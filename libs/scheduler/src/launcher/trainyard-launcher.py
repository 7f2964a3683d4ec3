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

Per job, a monitor (a fork of this process):
- started with `--cgroup-parent DIR`, creates the cgroup v2 directory DIR/monitor-<its pid>-<its
  start time> (field 22 of /proc/self/stat: unique even when pids are reused) and
  moves the job's process into it after the fork and before it may run anything (it waits for its
  request from the monitor), so no process of the job can be outside it; when that fails the job
  still runs, tracked by its environment tag, and `cgroup_error` says why (a spare monitor does this
  ahead, before its job is known: see JobProcess);
- becomes a session leader and a child subreaper, so every process the job starts, including ones
  that call setsid or double-fork, stays its descendant and is reaped by it;
- owns the job's pseudo-terminal and runs the job's command in its own process group in the
  foreground: when the command exits nothing is hung up, so processes still shutting down keep
  their terminal and their output still reaches the log;
- copies the terminal's output to the log file as it comes, keeping it under `log_cap` bytes by
  dropping the oldest output (see CappedLog);
- writes the command's exit status to `exit` (0600, atomic rename) the moment the command ends,
  with a second line saying why when the command could not be run at all (for example
  `command not found: NAME`, NAME being argv[0] as given);
- exits (with that status) once the command and every other process holding the terminal or
  descending from it are gone.
Only the job's command gets the job's environment (PATH included, used to find argv[0]).
"""

import ctypes
import errno
import fcntl
import json
import os
import select
import signal
import sys
import termios

PR_SET_CHILD_SUBREAPER = 36
SPARE_AFTER_IDLE_S = 0.002
# Spare monitors kept ready (a burst of launches forks the rest directly). A replacement is forked
# only once no launch awaits its "launched": moving its process into a cgroup holds the kernel's
# cgroup lock for ~12 ms, and a launch renaming its spare's cgroup meanwhile would wait that out.
SPARES = 2
READ_CHUNK = 65536


# Looked up once, in the launcher: loading libc through ctypes costs ~0.2 ms in a fresh fork; each monitor
# (a fork) inherits this ready-made function instead of paying that again before its job starts.
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


def write_exit_file(path, code, why=''):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, ('%d\n%s' % (code, why + '\n' if why else '')).encode())
    finally:
        os.close(fd)
    os.rename(tmp, path)


LOG_BASE_SUFFIX = '.base'
LOG_BASE_GENERATIONS = 2


def read_log_base(path, ino):
    """(base, first) of the log generation with inode `ino`, from the sidecar; (0, 0) if not there."""
    try:
        with open(path + LOG_BASE_SUFFIX) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 3 and fields[0] == str(ino):
                    return int(fields[1]), int(fields[2])
    except FileNotFoundError:
        pass
    return 0, 0


def marker_line(dropped, cap):
    return ('[trainyard] %d bytes of earlier output dropped (log cap %d bytes)\r\n'
            % (dropped, cap)).encode()


class CappedLog:
    """The job's log file, appended to, and kept under `cap` bytes (None: no cap).

    Offsets that readers use are logical: byte N of the job's whole output keeps the number N however
    much was dropped. When the file passes `cap`, a new file replaces it (one rename, so a reader
    sees the old file or the new one, never a mix) holding a marker line and then the last cap/2 bytes
    from a line start. The sidecar PATH.base says, per file generation (by inode), `base` (the
    logical offset of the file's byte 0, the marker's) and `first` (that of the first kept byte):
    one line "INODE BASE FIRST" per generation, the last two kept, written (atomically) before the
    rename so a reader that finds a new file always finds its line. A file without a line is the
    original: base 0.
    """

    def __init__(self, path, cap):
        self.path = path
        self.cap = cap
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        st = os.fstat(self.fd)
        self.size = st.st_size
        self.ino = st.st_ino
        self.base, _ = read_log_base(path, st.st_ino)  # a requeued job's log continues

    def write(self, data):
        write_all(self.fd, data)
        self.size += len(data)
        if self.cap and self.size > self.cap:
            self.drop_oldest()

    def drop_oldest(self):
        keep = self.cap // 2
        with open(self.path, 'rb') as f:
            f.seek(max(0, self.size - keep))
            tail = f.read(keep)
        cut = tail.find(b'\n')
        if 0 <= cut < len(tail) - 1:
            tail = tail[cut + 1:]  # from a line start, unless that would leave nothing
        first = self.base + self.size - len(tail)  # logical offset of the first kept byte
        marker = marker_line(first, self.cap)
        base = first - len(marker)
        tmp = self.path + '.tmp'
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        try:
            write_all(fd, marker + tail)
            ino = os.fstat(fd).st_ino
            self.write_sidecar(ino, base, first)
            os.rename(tmp, self.path)
        except BaseException:
            os.close(fd)
            raise
        if os.fstat(2).st_ino == self.ino:
            os.dup2(fd, 2)  # the monitor's own last words follow the log
        os.close(self.fd)
        self.fd, self.ino, self.base, self.size = fd, ino, base, len(marker) + len(tail)

    def write_sidecar(self, ino, base, first):
        lines = []
        try:
            with open(self.path + LOG_BASE_SUFFIX) as f:
                lines = [line for line in f.read().splitlines() if line.strip()]
        except FileNotFoundError:
            pass
        lines = (lines + ['%d %d %d' % (ino, base, first)])[-LOG_BASE_GENERATIONS:]
        tmp = self.path + LOG_BASE_SUFFIX + '.tmp'
        with open(tmp, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        os.rename(tmp, self.path + LOG_BASE_SUFFIX)


def exec_failure(err, name):
    """Why exec failed, in a shell's words, and the shell's exit status for it."""
    if err.errno == errno.ENOENT:
        return 127, 'command not found: %s' % name
    if err.errno in (errno.EACCES, errno.ENOEXEC, errno.EISDIR):
        return 126, 'cannot execute %s: %s' % (name, err.strerror)
    return 127, 'cannot run %s: %s' % (name, err.strerror)


def exec_job(req, slave, why_w):
    """In the job's process: own process group in the foreground of the terminal, then exec.

    `why_w` is close-on-exec: a successful exec closes it unwritten; a failed one writes the reason.
    """
    os.setpgid(0, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.tcsetpgrp(slave, os.getpid())
    # Python ignores SIGPIPE and SIGXFSZ; a job must start with every default disposition.
    for sig in (signal.SIGTTOU, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD, signal.SIGTERM,
                signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.dup2(why_w, 3)
    os.set_inheritable(3, False)
    os.closerange(4, 65536)
    argv = req['argv']
    try:
        os.chdir(req['cwd'])
    except OSError as err:
        fail(1, 'cannot enter the working directory %s: %s' % (req['cwd'], err.strerror))
    try:
        os.execvpe(argv[0], argv, req['env'])
    except OSError as err:
        fail(*exec_failure(err, argv[0]))


def fail(code, why):
    """The job's process could not become the command: say why in the log and to the monitor."""
    os.write(2, ('trainyard: %s\n' % why).encode())
    try:
        os.write(3, why.encode()[:4000])
    except OSError:
        pass
    os._exit(code)


def join_cgroup(path, pid):
    """Creates cgroup `path` and moves `pid` into it; returns None, or why it could not."""
    try:
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        # No O_CREAT: in a directory that is not a cgroup this fails instead of making a file.
        fd = os.open(os.path.join(path, 'cgroup.procs'), os.O_WRONLY)
        try:
            os.write(fd, str(pid).encode())
        finally:
            os.close(fd)
        return None
    except OSError as err:
        return '%s: %s' % (path, err.strerror or err)


STOPS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def setup_monitor():
    """The half of a monitor that no job decides: session, subreaper, terminal, signals.

    Returns (master, slave, wake_r). A spare monitor does this before its job is known.
    """
    os.setsid()
    become_subreaper()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    wake_r, _ = wake_on_sigchld()
    for sig in STOPS:
        signal.signal(sig, signal.SIG_IGN)  # the server decides when the job is over
    return master, slave, wake_r


def read_request(fd):
    """One launch request line from pipe `fd` (then closed); None when the writer went away first."""
    data = b''
    while not data.endswith(b'\n'):
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:
            return None
        data += chunk
    os.close(fd)
    return json.loads(data)


class JobProcess:
    """The job's process, forked by its monitor before it runs anything: it waits for its launch
    request on a pipe (nothing the job does can come before the monitor has reported its pid), then
    becomes the command; EOF on the pipe instead makes it exit quietly.

    A spare monitor forks it ahead, while the launcher is idle, and moves it into the job's cgroup,
    `monitor-<monitor pid>-<monitor start time>` under the server's parent cgroup, named after the
    monitor because the job is not known yet (and cgroup v2 refuses renames): moving a process
    between cgroups costs ~12 ms (the kernel waits for an RCU grace period), which the launch path
    then never pays.
    """

    def __init__(self, ready, inherited=()):
        master, slave, _ = ready
        request_r, self.request_w = os.pipe()
        self.why_r, why_w = os.pipe()
        # Blocked across the fork: a stop sent to the job's process before it restores the default
        # dispositions stays pending (Linux never discards a blocked signal) instead of being
        # ignored, and kills it as soon as exec_job unblocks it, before the command runs.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                for fd in (master, self.request_w, self.why_r) + tuple(inherited):
                    os.close(fd)
                req = read_request(request_r)
                if req is None:
                    os._exit(0)  # no job came
                exec_job(req, slave, why_w)
            finally:
                os._exit(127)  # exec_job returns only by an exception
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
        os.close(request_r)
        os.close(why_w)
        os.close(slave)  # the master reads EIO once no process holds the terminal any more
        self.cgroup = None  # the job's cgroup once its process is in it; removed when the monitor ends
        self.cgroup_error = None

    def enter_cgroup(self, parent):
        """Moves the job's process into `<parent>/monitor-<our pid>-<our start time>` (no parent:
        none); on failure the job runs without, and `cgroup_error` says why."""
        if parent is None:
            return
        path = os.path.join(parent, 'monitor-%d-%s' % (os.getpid(), own_start_time()))
        self.cgroup_error = join_cgroup(path, self.pid)
        if self.cgroup_error is None:
            self.cgroup = path
        else:
            remove_cgroup(path)

    def start(self, req):
        """Hands the request to the job's process, which then runs the command."""
        try:
            write_all(self.request_w, (json.dumps(req) + '\n').encode())
        except OSError:
            pass  # it died meanwhile: the monitor reaps it and records how it ended
        os.close(self.request_w)

    def retire(self):
        """No job came: the process exits on EOF, and its cgroup goes with it."""
        os.close(self.request_w)
        os.waitpid(self.pid, 0)
        self.remove_cgroup()

    def remove_cgroup(self):
        """Once every process of the job is gone (the server removes it too, and at its next start)."""
        if self.cgroup is not None:
            remove_cgroup(self.cgroup)


def own_start_time():
    """This process's start time, field 22 of /proc/self/stat (clock ticks since boot, as text): with
    the pid it names the process for good. Reported by the monitor itself, because the job may kill
    its monitor before the server could read it."""
    with open('/proc/self/stat') as f:
        return f.read().rsplit(')', 1)[1].split()[19]


def remove_cgroup(path):
    try:
        os.rmdir(path)
    except OSError:
        pass  # gone already, or still populated (removed at the server's next start)


def monitor(req, report_fd, ready, job=None, cgroup_parent=None):
    """Runs in the monitor process, set up by setup_monitor (`ready`); never returns.

    `job`: the JobProcess a spare monitor forked ahead (already in its cgroup); without it, the job's
    process is forked now and moved into its cgroup under `cgroup_parent`.
    """
    master, slave, wake_r = ready
    log = CappedLog(req['log'], req.get('log_cap'))
    os.dup2(log.fd, 2)  # our own last words go to the job's log
    if job is None:
        job = JobProcess(ready, (report_fd,))
        # The job's process is still waiting for its request: inside its cgroup before it can fork
        # anything, while the monitor itself stays outside (cgroup.kill never reaches it).
        job.enter_cgroup(cgroup_parent)
    pid, why_r = job.pid, job.why_r
    report(report_fd, {'op': 'launched', 'pid': pid, 'monitor_start_time': own_start_time(), 'cgroup': job.cgroup,
                       'cgroup_error': job.cgroup_error})
    job.start(req)
    main_status = None
    terminal_open = True
    while True:
        # Reap everything that ended: the command, and orphans re-parented to us (subreaper).
        children_left = True
        while True:
            try:
                child, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children_left = False
                break
            if child == 0:
                break
            if child == pid:
                main_status = status_of(wait_status)
                why = read_why(why_r)
                try:
                    write_exit_file(req['exit'], main_status if main_status is not None else 1, why)
                except OSError as err:
                    os.write(2, ('trainyard: cannot record the exit status: %s\n' % err).encode())
                report(report_fd, {'op': 'main_exited', 'status': main_status})
        if not children_left and not terminal_open:
            break
        fds = [wake_r] + ([master] if terminal_open else [])
        try:
            ready, _, _ = select.select(fds, [], [], None if terminal_open else 0.5)
        except InterruptedError:
            continue
        if wake_r in ready:
            drain(wake_r)
        if master in ready:
            try:
                data = os.read(master, READ_CHUNK)
            except OSError as err:
                if err.errno != errno.EIO:
                    raise
                data = b''
            if data:
                log.write(data)
            else:
                terminal_open = False
    job.remove_cgroup()
    os._exit(main_status if main_status is not None else 1)


def read_why(fd):
    """What the job's process wrote before its exec failed; '' when the exec happened."""
    try:
        data = os.read(fd, 4096)  # the writer has exited: this never blocks
    except OSError:
        data = b''
    os.close(fd)
    return ' '.join(data.decode('utf-8', 'replace').split())


def report(fd, message):
    if fd is None:
        return
    try:
        write_all(fd, (json.dumps(message) + '\n').encode())
    except OSError:
        pass  # the launcher is gone: the job goes on, the exit file still tells how it ended


class Launcher:
    def __init__(self, cgroup_parent=None):
        self.cgroup_parent = cgroup_parent  # where spare monitors put the job process they fork ahead
        self.out = sys.stdout.buffer
        self.monitors = {}  # monitor pid -> job id
        self.commands = {}  # job command pid -> (job id, exit path), while its monitor lives
        self.by_report_fd = {}  # report fd -> [job id, monitor pid, buffer]
        self.wake = ()
        self.spares = []  # (pid, request fd, report fd) of monitors forked ahead, oldest first
        self.starting = set()  # monitor pids of launches not yet reported "launched"

    def send(self, message):
        self.out.write((json.dumps(message) + '\n').encode())
        self.out.flush()

    def fork_monitor(self, ahead=False):
        """Forks a monitor that sets itself up, then waits for its job's request on a pipe; `ahead`
        (a spare): it also forks the job's process ahead and moves it into the job's cgroup.

        Returns (pid, request fd, report fd); raises OSError when it cannot fork.
        """
        request_r, request_w = os.pipe()
        report_r, report_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (request_r, request_w, report_r, report_w):
                os.close(fd)
            raise
        if pid == 0:
            try:
                os.close(report_r)
                os.close(request_w)
                signal.set_wakeup_fd(-1)
                for fd in list(self.by_report_fd) + list(self.wake) + [fd for s in self.spares for fd in s[1:]]:
                    os.close(fd)
                ready = setup_monitor()
                job = None
                if ahead:
                    job = JobProcess(ready, (request_r, report_w))
                    job.enter_cgroup(self.cgroup_parent)
                req = read_request(request_r)
                if req is None:  # the launcher went away first
                    if job is not None:
                        job.retire()
                    os._exit(0)
                monitor(req, report_w, ready, job, self.cgroup_parent)
            except BaseException as err:  # never fall back into the launcher's loop
                report(report_w, {'op': 'launch_failed', 'error': str(err)})
                os._exit(127)
        os.close(request_r)
        os.close(report_w)
        return pid, request_w, report_r

    def launch(self, req):
        """Hands the request to the oldest spare monitor (forked while we were idle), or to a new one."""
        job_id = req['id']
        line = (json.dumps(req) + '\n').encode()
        while True:
            spare = self.spares.pop(0) if self.spares else None
            try:
                pid, request_w, report_r = spare or self.fork_monitor()
            except OSError as err:
                self.send({'op': 'launch_failed', 'id': job_id, 'error': 'fork: %s' % err.strerror})
                return
            try:
                write_all(request_w, line)
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
                os.close(spare[1])  # a spare that died without a job: another is forked when idle
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
            # Idle with fewer than SPARES spare monitors and no launch under way: fork one, so the next
            # launch skips the fork and the monitor's setup.
            try:
                ready, _, _ = select.select(
                    [stdin, wake_r] + list(self.by_report_fd), [], [],
                    None if len(self.spares) >= SPARES or self.starting else SPARE_AFTER_IDLE_S)
            except InterruptedError:
                continue
            if not ready:
                try:
                    self.spares.append(self.fork_monitor(ahead=True))
                except OSError:
                    pass  # tried again at the next idle moment; launches fork their own meanwhile
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
    # trainyard-launcher.py [--cgroup-parent DIR]: the server's parent cgroup, each job's cgroup in it (see JobProcess)
    args = sys.argv[1:]
    Launcher(args[1] if args[:1] == ['--cgroup-parent'] and len(args) > 1 else None).run()
