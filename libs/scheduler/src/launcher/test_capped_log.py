"""The monitor's log cap (trainyard-monitor.c), through real jobs (run by capped-log.spec.ts)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

from launcher_testing import LAUNCHER, monitor_request

# The job: writes its argv[1:] as chunks, one write each, so the monitor sees small terminal writes.
WRITER = 'import os, sys, time\nfor chunk in sys.argv[1:]:\n    os.write(1, chunk.encode())\n    time.sleep(0.0005)\n'


def numbered(start, count, end='\n'):
    return ''.join('line %06d%s' % (i, end) for i in range(start, start + count))


def read_log_base(path, ino):
    """(base, first) of the log generation with inode `ino`, from the sidecar; (0, 0) if not there."""
    try:
        with open(path + '.base') as f:
            for line in f:
                fields = line.split()
                if len(fields) == 3 and fields[0] == str(ino):
                    return int(fields[1]), int(fields[2])
    except FileNotFoundError:
        pass
    return 0, 0


def run_monitor(req, reports=None, on_report=None):
    """Runs one job under a monitor (`trainyard-launcher --monitor`); returns the monitor's exit status.
    Its reports after "launched" are appended to `reports` (a list) when given, and passed to
    `on_report` (parsed) as they come."""
    request_r, request_w = os.pipe()
    report_r, report_w = os.pipe()
    ends = [os.dup(request_r), os.dup(report_w)]
    pid = os.posix_spawn(LAUNCHER, [LAUNCHER, '--monitor'], {}, file_actions=[
        (os.POSIX_SPAWN_DUP2, ends[0], 3), (os.POSIX_SPAWN_DUP2, ends[1], 4)])
    for fd in [request_r, report_w] + ends:
        os.close(fd)
    os.write(request_w, monitor_request(req))
    os.close(request_w)
    with os.fdopen(report_r) as said:
        if '"launched"' not in said.readline():
            raise AssertionError('the monitor did not report the launch')
        later = []
        for line in said:
            later.append(line.rstrip('\n'))
            if on_report:
                on_report(json.loads(line))
    if reports is not None:
        reports.extend(later)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


class CappedLogTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, 'q.tty')

    def tearDown(self):
        self.dir.cleanup()

    def run_job(self, chunks, cap):
        """Runs the writer under a monitor logging to self.path; returns the monitor's exit status."""
        req = {'argv': [sys.executable, '-c', WRITER, *chunks], 'cwd': self.dir.name, 'env': {'PATH': '/usr/bin:/bin'},
               'log': self.path, 'exit': self.path + '.exit', 'log_cap': cap}
        return run_monitor(req)

    def read(self):
        with open(self.path, 'rb') as f:
            return f.read()

    def test_without_a_cap_everything_is_kept(self):
        self.assertEqual(self.run_job([numbered(0, 10000)], None), 0)
        self.assertEqual(self.read(), numbered(0, 10000, '\r\n').encode())
        self.assertFalse(os.path.exists(self.path + '.base'))

    def test_the_oldest_output_goes_and_offsets_stay_logical(self):
        cap = 4096
        self.run_job([numbered(i, 7) for i in range(0, 2000, 7)], cap)
        written = numbered(0, 2002, '\r\n').encode()
        data = self.read()
        self.assertLessEqual(len(data), cap)
        marker, rest = data.split(b'\r\n', 1)
        base, first = read_log_base(self.path, os.stat(self.path).st_ino)
        self.assertEqual(marker, b'[trainyard] %d bytes of earlier output dropped (log cap %d bytes)' % (first, cap))
        self.assertEqual(first, base + len(marker) + 2)
        # What is kept is the newest output, from a line start, at its logical offset.
        self.assertTrue(rest.startswith(b'line '))
        self.assertEqual(written[first:], rest)
        self.assertGreaterEqual(len(rest), cap // 2 - len(b'line 000000\r\n'))

    def test_a_line_longer_than_half_the_cap_is_cut_rather_than_kept_whole(self):
        self.run_job(['x' * 5000], 1000)
        data = self.read()
        self.assertLessEqual(len(data), 1000)
        self.assertTrue(data.endswith(b'x' * 500))

    def test_the_sidecar_keeps_the_last_two_generations(self):
        self.run_job([numbered(i * 100, 100) for i in range(5)], 1000)
        with open(self.path + '.base') as f:
            lines = f.read().split('\n')
        self.assertEqual(len([line for line in lines if line]), 2)
        self.assertEqual(lines[1].split()[0], str(os.stat(self.path).st_ino))

    def test_a_requeued_job_continues_at_its_logical_offset(self):
        self.run_job([numbered(0, 300)], 1000)
        base_before, _ = read_log_base(self.path, os.stat(self.path).st_ino)
        self.assertGreater(base_before, 0)
        self.run_job([numbered(300, 300)], 1000)
        base, first = read_log_base(self.path, os.stat(self.path).st_ino)
        self.assertGreater(base, base_before)
        everything = numbered(0, 600, '\r\n').encode()
        self.assertEqual(self.read()[first - base:], everything[first:])


# The job, for the full disk: fills the log to a page boundary (a further byte needs a new page),
# waits until that is in the log, fills the disk, writes "lost…", waits until the monitor has tried
# to write it (its write calls in /proc/PID/io count failed ones too); with "free", frees the disk
# and writes "after", else ends with the disk still full.
FILLER = """import os, sys, time
log, filler = sys.argv[1], sys.argv[2]
def monitor_writes():
    with open('/proc/%d/io' % os.getppid()) as f:
        return int(dict(line.split(': ') for line in f.read().splitlines())['syscw'])
os.write(1, b'b' * 4094 + b'\\n')  # 4,096 bytes in the log: the terminal writes the newline as CR LF
while os.path.getsize(log) < 4096:
    time.sleep(0.01)
fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
try:
    while True:
        os.write(fd, b'x' * 4096)
except OSError:
    pass
os.close(fd)
before = monitor_writes()
os.write(1, b'lost output, no newline')
while monitor_writes() == before:
    time.sleep(0.01)
if sys.argv[3:] == ['free']:
    os.remove(filler)
    os.write(1, b'after\\n')
"""


def tmpfs_unavailable():
    """Why a tmpfs cannot be mounted here (not root), or None."""
    if os.geteuid() != 0:
        return 'mounting a tmpfs needs root'
    return None


class FullDiskTest(unittest.TestCase):
    """The log says how much output a full disk cost, once there is room again (a real tmpfs)."""

    def setUp(self):
        why = tmpfs_unavailable()
        if why:
            self.skipTest(why)
        self.dir = tempfile.mkdtemp()
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', self.dir], check=True)
        self.path = os.path.join(self.dir, 'q.tty')

    def tearDown(self):
        subprocess.run(['umount', '-l', self.dir], check=True)
        os.rmdir(self.dir)

    def test_output_lost_to_a_full_disk_is_counted_in_the_log_when_there_is_room_again(self):
        req = {'argv': [sys.executable, '-c', FILLER, self.path, os.path.join(self.dir, 'filler'), 'free'],
               'cwd': self.dir, 'env': {'PATH': '/usr/bin:/bin'}, 'log': self.path, 'exit': self.path + '.exit'}
        self.assertEqual(run_monitor(req), 0)
        with open(self.path, 'rb') as f:
            log = f.read()
        lost = len(b'lost output, no newline')
        self.assertEqual(log, b'b' * 4094 + b'\r\n[trainyard] %d bytes of output lost: No space left on device\r\n'
                         b'after\r\n' % lost)
        with open(self.path + '.exit') as f:
            self.assertEqual(f.read(), '0\n')

    def test_output_lost_at_the_end_is_reported_when_the_log_has_no_room_to_say_so(self):
        req = {'argv': [sys.executable, '-c', FILLER, self.path, os.path.join(self.dir, 'filler')],
               'cwd': self.dir, 'env': {'PATH': '/usr/bin:/bin'}, 'log': self.path, 'exit': self.path + '.exit'}
        reports = []

        def free_once_reported(report):
            if report.get('op') == 'output_lost':
                os.remove(os.path.join(self.dir, 'filler'))

        self.assertEqual(run_monitor(req, reports, free_once_reported), 0)
        with open(self.path, 'rb') as f:
            self.assertEqual(f.read(), b'b' * 4094 + b'\r\n')
        lost = len(b'lost output, no newline')
        self.assertIn({'op': 'output_lost', 'bytes': lost, 'error': 'No space left on device'},
                      [json.loads(line) for line in reports])
        # The exit status had no room either: the monitor waited for some, rather than end without it
        # (the server may be gone meanwhile, and then this file is all that says how the job ended).
        with open(self.path + '.exit') as f:
            self.assertEqual(f.read(), '0\n')


if __name__ == '__main__':
    unittest.main()
