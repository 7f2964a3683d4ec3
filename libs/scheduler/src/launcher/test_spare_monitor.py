"""The launcher's spare monitors (trainyard-launcher.c; run by spare-monitor.spec.ts: python3 -m unittest)."""

import json
import os
import subprocess
import tempfile
import time
import unittest

from launcher_testing import LAUNCHER, launch_request


def children(pid):
    with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
        return [int(p) for p in f.read().split()]


def wait_for(check, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError('timed out waiting for ' + what)


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(') ')[1][0] != 'Z'
    except FileNotFoundError:
        return False


class SpareMonitorTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.launcher = subprocess.Popen([LAUNCHER], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env={'PATH': os.environ['PATH']})

    def tearDown(self):
        if self.launcher.poll() is None:
            self.launcher.stdin.close()
            self.launcher.wait(5)
        self.launcher.stdout.close()
        self.dir.cleanup()

    def launch(self, job_id, argv):
        path = os.path.join(self.dir.name, job_id)
        req = {'argv': argv, 'cwd': self.dir.name, 'env': {'PATH': os.environ['PATH']}, 'log': path + '.tty',
               'exit': path + '.exit', 'log_cap': None}
        self.launcher.stdin.write(launch_request(job_id, req))
        self.launcher.stdin.flush()
        messages = []
        while not messages or messages[-1]['op'] != 'exited':
            messages.append(json.loads(self.launcher.stdout.readline()))
        return messages, path

    def spares(self):
        return wait_for(lambda: len(children(self.launcher.pid)) == 2 and children(self.launcher.pid),
                        'two spare monitors')

    def test_an_idle_launcher_hands_the_next_job_to_the_monitor_it_forked_ahead(self):
        spare = self.spares()
        messages, path = self.launch('q1', ['sh', '-c', 'echo hello; exit 3'])
        self.assertEqual([m['op'] for m in messages], ['launched', 'main_exited', 'exited'])
        self.assertIn(messages[0]['monitor_pid'], spare)  # no fork on the launch's path
        self.assertEqual([messages[1]['status'], messages[2]['status']], [3, 3])
        with open(path + '.tty', 'rb') as f:
            self.assertEqual(f.read(), b'hello\r\n')
        with open(path + '.exit') as f:
            self.assertEqual(f.read(), '3\n')
        # A new spare is forked once the launcher is idle again.
        wait_for(lambda: len([p for p in children(self.launcher.pid) if p not in spare]) == 1, 'a new spare')

    def test_a_launch_right_after_another_also_gets_a_spare_forked_ahead(self):
        spare = self.spares()
        first, _ = self.launch('q1', ['true'])
        second, _ = self.launch('q2', ['true'])
        self.assertEqual(sorted([first[0]['monitor_pid'], second[0]['monitor_pid']]), sorted(spare))

    def test_the_spares_exit_with_the_launcher(self):
        spare = self.spares()
        self.launcher.stdin.close()
        self.launcher.wait(5)
        wait_for(lambda: not any(alive(pid) for pid in spare), 'the spares to exit')

    def test_after_its_server_goes_it_stays_for_its_jobs_and_records_a_command_whose_monitor_is_killed(self):
        path = os.path.join(self.dir.name, 'q1')
        req = {'argv': ['sh', '-c', 'trap "" HUP; sleep 0.5; exit 5'], 'cwd': self.dir.name,
               'env': {'PATH': os.environ['PATH']}, 'log': path + '.tty', 'exit': path + '.exit', 'log_cap': None}
        self.launcher.stdin.write(launch_request('q1', req))
        self.launcher.stdin.flush()
        launched = json.loads(self.launcher.stdout.readline())
        self.assertEqual(launched['op'], 'launched')
        self.launcher.stdin.close()  # the server is gone, the job runs on
        time.sleep(0.1)
        self.assertIsNone(self.launcher.poll())
        os.kill(launched['monitor_pid'], 9)  # the command is ours now, as its subreaper
        # Written by the launcher: the monitor died before the command.
        wait_for(lambda: os.path.exists(path + '.exit'), 'the command\'s exit status')
        with open(path + '.exit') as f:
            self.assertEqual(f.read(), '5\n')
        self.launcher.wait(5)  # and then it goes

    def test_a_spare_that_died_is_replaced_and_the_launch_still_runs(self):
        spare = self.spares()[0]
        os.kill(spare, 9)
        wait_for(lambda: spare not in children(self.launcher.pid), 'the launcher to reap it')
        messages, _ = self.launch('q2', ['true'])
        self.assertEqual([m['op'] for m in messages], ['launched', 'main_exited', 'exited'])
        self.assertNotEqual(messages[0]['monitor_pid'], spare)
        self.assertEqual(messages[2]['status'], 0)


if __name__ == '__main__':
    unittest.main()
