#!/usr/bin/python3
"""The table helper (scripts/cimsim_tools/table.py), the one module that writes and reads the
sweep CSV and lays tables out as text: exact bytes written (quoting, line ends, no temporary
file left), rows read back, finished points kept, and every bad CSV a one-line InputError
naming the file (and line)."""
import os
import re
import shutil
import tempfile
import unittest

import sweep_support  # noqa: F401  (puts scripts/ on sys.path)

from cimsim_tools.common import InputError
from cimsim_tools.table import Table, markdown_table, text_table, write_csv


class TableTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cimsim-table-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        return path

    def assertBad(self, path, pattern):
        """Reading path fails with one line: the path, then pattern (a regex)."""
        with self.assertRaises(InputError) as ctx:
            Table(path)
        self.assertNotIn("\n", str(ctx.exception))
        self.assertRegex(str(ctx.exception), "^" + re.escape(path) + pattern)


class WriteCsv(TableTestCase):
    def test_bytes_written(self):
        path = os.path.join(self.tmp, "out.csv")
        write_csv(path, ["point", "status", "note"],
                  [["a", "ok", "x,y"], ["b", "failed", 'say "hi"'], ["c", "ok", ""]])
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b'point,status,note\na,ok,"x,y"\nb,failed,"say ""hi"""\n'
                                       b"c,ok,\n")
        self.assertEqual(os.listdir(self.tmp), ["out.csv"])  # no temporary file left

    def test_round_trip_keeps_finished_rows(self):
        path = os.path.join(self.tmp, "out.csv")
        write_csv(path, ["point", "status", "prompt", "isaac.seconds"],
                  [["a", "ok", "16", "0.5"], ["b", "failed", "32", ""], ["c", "ok", "64", "2e-3"]])
        table = Table(path)
        self.assertEqual(table.header, ["point", "status", "prompt", "isaac.seconds"])
        self.assertEqual([r["point"] for r in table.rows], ["a", "c"])
        self.assertEqual(table.skipped, 1)
        self.assertEqual(table.numbers(table.rows, "isaac.seconds"), [0.5, 0.002])
        self.assertEqual(table.params(), ["prompt"])


class ReadCsv(TableTestCase):
    def test_without_status_every_row_counts(self):
        table = Table(self.write("t.csv", "prompt,seconds\n1,2\n3,\n"))
        self.assertEqual(table.rows, [{"prompt": "1", "seconds": "2"},
                                      {"prompt": "3", "seconds": ""}])
        self.assertEqual(table.numbers(table.rows, "seconds"), [2.0, None])

    def test_bad_csvs(self):
        missing = os.path.join(self.tmp, "missing.csv")
        self.assertBad(missing, r": not found; expected a sweep CSV")
        ragged = self.write("ragged.csv", "point,status,prompt\na,ok,1\nb,ok\n")
        self.assertBad(ragged, r":3: expected 3 fields like the header, got 2")
        twice = self.write("twice.csv", "point,prompt,prompt\na,1,2\n")
        self.assertBad(twice, r": column 'prompt' appears twice in the header")
        empty = self.write("empty.csv", "")
        self.assertBad(empty, r": empty CSV \(no header line\)")
        header = self.write("header.csv", "point,status\n")
        self.assertBad(header, r": no data rows \(only a header\)")
        failed = self.write("failed.csv", "point,status\na,failed\nb,pending\n")
        self.assertBad(failed, r": no finished points \(status ok\) among 2 rows")
        latin1 = self.write("latin1.csv", b"point,status\nca\xe9,ok\n")
        self.assertBad(latin1, r": not UTF-8 text \(byte 15\)")  # 13 bytes of header, then "ca"
        words = self.write("words.csv", "point,seconds\na,fast\n")
        with self.assertRaises(InputError) as ctx:
            table = Table(words)
            table.numbers(table.rows, "seconds")
        self.assertEqual(str(ctx.exception),
                         "%s: column 'seconds': expected numbers, got 'fast' (point a)" % words)


class TextTables(unittest.TestCase):
    def test_text_table(self):
        self.assertEqual(text_table(["#", "status", "prompt"],
                                    [["0", "ok", "16"], ["10", "pending", "4096"]]),
                         ["#   status   prompt",
                          "0   ok       16",
                          "10  pending  4096"])

    def test_markdown_table(self):
        self.assertEqual(markdown_table(["length", "a", "b"], [["64", "1 ms", "-"]]),
                         ["| length | a | b |", "|---|---|---|", "| 64 | 1 ms | - |"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
