"""Unit tests of the launcher's log cap (run by capped-log.spec.ts: python3 -m unittest)."""

import importlib.util
import os
import tempfile
import unittest

_spec = importlib.util.spec_from_file_location(
    'trainyard_launcher', os.path.join(os.path.dirname(__file__), 'trainyard-launcher.py'))
launcher = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launcher)


def numbered(start, count):
    return b''.join(b'line %06d\n' % i for i in range(start, start + count))


class CappedLogTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, 'q.tty')

    def tearDown(self):
        self.dir.cleanup()

    def read(self):
        with open(self.path, 'rb') as f:
            return f.read()

    def test_without_a_cap_everything_is_kept(self):
        log = launcher.CappedLog(self.path, None)
        log.write(numbered(0, 10000))
        self.assertEqual(self.read(), numbered(0, 10000))
        self.assertFalse(os.path.exists(self.path + '.base'))

    def test_the_oldest_output_goes_and_offsets_stay_logical(self):
        cap = 4096
        log = launcher.CappedLog(self.path, cap)
        written = b''
        for i in range(0, 2000, 7):  # small writes, like a terminal's
            chunk = numbered(i, 7)
            log.write(chunk)
            written += chunk
            self.assertLessEqual(os.path.getsize(self.path), cap)
        data = self.read()
        marker, rest = data.split(b'\r\n', 1)
        base, first = launcher.read_log_base(self.path, os.stat(self.path).st_ino)
        self.assertEqual(marker + b'\r\n', launcher.marker_line(first, cap))
        self.assertEqual(first, base + len(marker) + 2)
        # What is kept is the newest output, from a line start, at its logical offset.
        self.assertTrue(rest.startswith(b'line '))
        self.assertEqual(written[first:], rest)
        self.assertTrue(written.endswith(rest))
        self.assertGreaterEqual(len(rest), cap // 2 - len(b'line 000000\n'))

    def test_a_line_longer_than_half_the_cap_is_cut_rather_than_kept_whole(self):
        log = launcher.CappedLog(self.path, 1000)
        log.write(b'x' * 5000)
        data = self.read()
        self.assertLessEqual(len(data), 1000)
        self.assertTrue(data.endswith(b'x' * 500))

    def test_the_sidecar_keeps_the_last_two_generations(self):
        log = launcher.CappedLog(self.path, 1000)
        inos = []
        for i in range(5):
            log.write(numbered(i * 100, 100))
            inos.append(os.stat(self.path).st_ino)
        with open(self.path + '.base') as f:
            lines = f.read().split('\n')
        self.assertEqual(len([line for line in lines if line]), 2)
        self.assertEqual(lines[1].split()[0], str(inos[-1]))

    def test_a_requeued_job_continues_at_its_logical_offset(self):
        log = launcher.CappedLog(self.path, 1000)
        log.write(numbered(0, 300))
        again = launcher.CappedLog(self.path, 1000)
        self.assertEqual(again.base, log.base)
        self.assertGreater(again.base, 0)
        again.write(numbered(300, 300))
        base, first = launcher.read_log_base(self.path, os.stat(self.path).st_ino)
        everything = numbered(0, 600)
        self.assertEqual(self.read()[first - base:], everything[first:])


if __name__ == '__main__':
    unittest.main()
