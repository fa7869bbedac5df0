#!/usr/bin/python3
"""scripts/cimsim_tools/common.py's atomic_write: a file appears whole or not at all, and a
device (/dev/null) is written in place rather than replaced by a rename."""
import os
import shutil
import stat
import tempfile
import unittest

import sweep_support  # noqa: F401  (puts scripts/ on sys.path)

from cimsim_tools.common import atomic_write  # noqa: E402


class AtomicWrite(unittest.TestCase):
    def test_file_is_written_whole_and_leaves_no_temporary(self):
        tmp = tempfile.mkdtemp(prefix="cimsim-common-test-")
        try:
            path = os.path.join(tmp, "out.txt")
            atomic_write(path, "first\n")
            atomic_write(path, "second\n")
            with open(path) as f:
                self.assertEqual(f.read(), "second\n")
            self.assertEqual(os.listdir(tmp), ["out.txt"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_device_keeps_its_node(self):
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode))
        atomic_write("/dev/null", "discarded\n")
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode))


if __name__ == "__main__":
    unittest.main(verbosity=2)
