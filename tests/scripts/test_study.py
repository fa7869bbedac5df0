#!/usr/bin/python3
"""scripts/study.py's table and fit code on a small hand-written results CSV (not the study
itself): per-token costs read from the CSV, the length exponents (least squares on log-log)
against exponents computed by hand, and the summary's tables and sentences."""
import math
import os
import shutil
import tempfile
import unittest

import sweep_support  # noqa: F401  (puts scripts/ on sys.path)

import study  # scripts/study.py

GPU, CIM = "a100/standard", "isaac/digital"
# Seconds per point (2 generated tokens each). Per token, at 64, 128, 256 tokens:
#   GPU decoder 1, 4, 8 ms   -> by hand: log2 lengths 6, 7, 8 (mean 7), log2 costs 0, 2, 3 (+c,
#                               mean 5/3): slope = (-1 * -5/3 + 1 * 4/3) / ((-1)^2 + 1^2) = 1.5
#   GPU ENTP    10, 40, 160 ms -> exactly length^2
#   CIM decoder 5, 5, 5 ms   -> length^0
#   CIM ENTP    2, 4, 8 ms   -> length^1
# The failed row (prompt 512) has numbers that would change every fit if it were read.
CSV = """point,status,exit_code,mode,prompt,generate,{g}.seconds,{g}.energy_j,\
{g}.hbm_read_bytes,{g}.hbm_write_bytes,{c}.seconds,{c}.energy_j,{c}.hbm_read_bytes,\
{c}.hbm_write_bytes,error
p1,ok,0,decoder,64,2,0.002,0.2,1000,200,0.01,0.02,10,0,
p2,ok,0,decoder,128,2,0.008,0.4,2000,400,0.01,0.02,10,0,
p3,ok,0,decoder,256,2,0.016,0.8,4000,800,0.01,0.02,10,0,
p4,ok,0,entp,64,2,0.02,2,1000,0,0.004,0.04,20,0,
p5,ok,0,entp,128,2,0.08,8,2000,0,0.008,0.08,20,0,
p6,ok,0,entp,256,2,0.32,32,4000,0,0.016,0.16,20,0,
p7,failed,2,entp,512,2,99,99,1,1,99,99,1,1,cimsim: error: x
""".format(g=GPU, c=CIM)


class StudyTables(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cimsim-study-test-")
        cls.csv = os.path.join(cls.tmp, "results.csv")
        with open(cls.csv, "w") as f:
            f.write(CSV)
        cls.data = study.load_rows(cls.csv, [GPU, CIM], 2)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_per_token_costs(self):
        self.assertEqual(len(self.data), 2 * 2 * 3)  # the failed row is left out
        self.assertEqual(self.data[(GPU, "decoder", 128)],
                         {"s_per_token": 0.004, "j_per_token": 0.2, "hbm_per_token": 1200.0})
        self.assertEqual(self.data[(CIM, "entp", 256)],
                         {"s_per_token": 0.008, "j_per_token": 0.08, "hbm_per_token": 10.0})

    def test_length_exponents(self):
        def exponent(name, mode):
            return study.length_exponent([(n, self.data[(name, mode, n)]["s_per_token"])
                                          for n in (64, 128, 256)])
        self.assertAlmostEqual(exponent(GPU, "decoder"), 1.5, places=12)
        self.assertAlmostEqual(exponent(GPU, "entp"), 2.0, places=12)
        self.assertAlmostEqual(exponent(CIM, "decoder"), 0.0, places=12)
        self.assertAlmostEqual(exponent(CIM, "entp"), 1.0, places=12)
        # Non-positive costs cannot be on a log axis; one length gives no slope.
        self.assertAlmostEqual(study.length_exponent([(1, 1), (2, 0), (4, 4)]), 1.0, places=12)
        self.assertTrue(math.isnan(study.length_exponent([(64, 1.0), (64, 2.0)])))
        self.assertTrue(math.isnan(study.length_exponent([])))

    def test_summary(self):
        lines = study.summary(self.data, [GPU, CIM], [64, 128, 256], 2, False).splitlines()
        table = lines.index("## Time per generated token") + 2
        self.assertEqual(lines[table:table + 5], [
            "| length | %s decoder | %s ENTP | %s decoder | %s ENTP |" % (GPU, GPU, CIM, CIM),
            "|---|---|---|---|---|",
            "| 64 | 1 ms | 10 ms | 5 ms | 2 ms |",
            "| 128 | 4 ms | 40 ms | 5 ms | 4 ms |",
            "| 256 | 8 ms | 160 ms | 5 ms | 8 ms |"])
        self.assertIn("- **%s**: time per token grows as length^1.50 for the decoder and "
                      "length^2.00 for ENTP; at 256 tokens ENTP costs 20x the decoder's time "
                      "and 40x its energy per token." % GPU, lines)
        self.assertIn("- **%s**: time per token grows as length^0.00 for the decoder and "
                      "length^1.00 for ENTP; at 256 tokens ENTP costs 1.6x the decoder's time "
                      "and 8x its energy per token." % CIM, lines)
        self.assertNotIn("Some points failed; see the sweep's results.csv `error` column.", lines)

    def test_equal_terms(self):
        # GPU as the reference: decoder at 64 tokens 1 ms and 0.1 J per token against CIM's
        # 5 ms and 0.01 J: 0.2x the speed, 0.1x the energy; ENTP at 256: 160 ms, 16 J against
        # 8 ms, 0.08 J: 20x, 0.005x.
        saved = study.BASELINE
        study.BASELINE = GPU
        try:
            lines = study.equal_terms(self.data, [CIM], [64, 128, 256])
        finally:
            study.BASELINE = saved
        self.assertIn("| mode | length | %s |" % CIM, lines)
        self.assertIn("| decoder | 64 | 0.2x / 0.1x |", lines)
        self.assertIn("| ENTP | 256 | 20x / 0.005x |", lines)
        # Without the reference in the data there is no section.
        self.assertEqual(study.equal_terms(self.data, [CIM], [64]) if study.BASELINE != GPU
                         else [], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
