#!/usr/bin/python3
"""scripts/plot.py: every plot kind writes non-empty PNG and SVG files from a report (made by
the fake cimsim) and from a sweep CSV (made by sweep.py with the fake); bad input is one line
on stderr naming the file and what was expected, exit 2, and no file (nor directory) written.
With CIMSIM_REAL set (ctest sets it to build/cimsim) a report of the real binary is drawn too,
so the plots follow the report format as cimsim writes it, not only as the fake does."""
import contextlib
import errno
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from unittest import mock

from sweep_support import FAKE, PLOT, PY, SWEEP, env_for, run_tool, write_spec

import plot as plot_tool  # scripts/plot.py, on sys.path through sweep_support

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class PlotTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cimsim-plot-test-")
        cls.report = os.path.join(cls.tmp, "report.json")
        subprocess.run([PY, FAKE, "run", "--machine", "a100-sxm4-80gb", "--machine", "isaac",
                        "--workload", "gpt2-small", "--prompt", "64", "--generate", "8",
                        "--out", cls.report, "--quiet"], check=True, env=env_for())
        spec = write_spec(cls.tmp, {
            "name": "seq", "machines": ["a100-sxm4-80gb", "isaac"], "workload": "gpt2-small",
            "args": {"generate": 8},
            "grid": {"mode": ["decoder", "entp"], "prompt": [16, 64, 256],
                     "machine.crossbar.rows": [64, 128]}})
        cls.sweep_dir = os.path.join(cls.tmp, "sweep")
        res = run_tool(SWEEP, [spec, "-o", cls.sweep_dir, "-j", "2", "-q"], env_for())
        assert res.returncode == 0, res.stdout + res.stderr
        cls.csv = os.path.join(cls.sweep_dir, "results.csv")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out_dir(self, name):
        d = os.path.join(self.tmp, "plots-" + name)
        shutil.rmtree(d, ignore_errors=True)
        return d

    def plot(self, *args):
        """plot.py main() in this process (matplotlib is imported once for all the tests);
        test_command_line runs the script itself."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = plot_tool.main(list(args))
        return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())

    def assertPlots(self, res, out, stems):
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        want = sorted("%s.%s" % (s, ext) for s in stems for ext in ("png", "svg"))
        self.assertEqual(sorted(os.listdir(out)), want)
        for s in stems:
            with open(os.path.join(out, s + ".png"), "rb") as f:
                data = f.read()
            self.assertTrue(data.startswith(PNG_MAGIC), s)
            self.assertGreater(len(data), 5000, s)
            with open(os.path.join(out, s + ".svg"), "rb") as f:
                data = f.read()
            self.assertIn(b"<svg", data[:2000], s)
            self.assertGreater(len(data), 5000, s)
        self.assertEqual(sorted(l for l in res.stdout.splitlines()),
                         sorted(os.path.join(out, w) for w in want))


class ReportPlots(PlotTestCase):
    def test_report_plots(self):
        for kind in ("energy", "bytes"):
            with self.subTest(kind):
                out = self.out_dir(kind)
                res = self.plot(kind, self.report, "--out-dir", out, "--format", "png,svg")
                self.assertPlots(res, out, [kind])

    def test_report_kind_draws_all_three(self):
        out = self.out_dir("all")
        res = self.plot("report", self.report, "--out-dir", out, "--format", "svg,png",
                        "--relative")
        self.assertPlots(res, out, ["energy", "bytes", "roofline"])

    def test_command_line(self):
        out = self.out_dir("cli")
        res = run_tool(PLOT, ["roofline", self.report, "--out-dir", out, "--format", "png,svg"],
                       env_for())
        self.assertPlots(res, out, ["roofline"])
        res = run_tool(PLOT, ["roofline", self.csv, "--out-dir", out], env_for())
        self.assertEqual(res.returncode, 2)
        self.assertRegex(res.stderr, r"^plot: error: .*reads a report")
        self.assertEqual(len(os.listdir(out)), 2)

    def test_failed_write_leaves_nothing(self):
        """The disk fills up at the second file: the first is removed too, and the directory
        the tool made."""
        from matplotlib.figure import Figure
        real_savefig, calls = Figure.savefig, []

        def savefig(fig, path, **kw):
            calls.append(path)
            if len(calls) == 2:
                with open(path, "wb") as f:
                    f.write(b"half a file")
                raise OSError(errno.ENOSPC, "No space left on device", path)
            return real_savefig(fig, path, **kw)

        out = os.path.join(self.out_dir("full-disk"), "sub")
        with mock.patch.object(Figure, "savefig", savefig):
            res = self.plot("report", self.report, "--out-dir", out, "--format", "png,svg")
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertRegex(res.stderr, r"^plot: error: cannot write the plot: No space left on "
                                     r"device: .*\n$")
        self.assertEqual(res.stdout, "")
        self.assertEqual(len(calls), 2)
        self.assertFalse(os.path.exists(out), os.listdir(out) if os.path.exists(out) else "")

    def test_svg_is_reproducible(self):
        outs = []
        for i in (1, 2):
            out = self.out_dir("repro%d" % i)
            res = self.plot("energy", self.report, "--out-dir", out, "--format", "svg")
            self.assertEqual(res.returncode, 0, res.stderr)
            with open(os.path.join(out, "energy.svg"), "rb") as f:
                outs.append(f.read())
        self.assertEqual(outs[0], outs[1])

    def test_roofline_with_per_type_peaks(self):
        """The von Neumann machine reports peak FLOP/s per data type and names the trace's
        type in compute_utilization_dtype; the roofline takes that type's roof."""
        with open(self.report) as f:
            doc = json.load(f)
        for m in doc["machines"]:
            if m["type"] == "von_neumann":
                peak = m["metrics"].pop("peak_flops")
                m["metrics"]["peak_flops_per_s"] = {"fp32": peak / 2, "fp16": peak,
                                                    "int8": peak * 2}
                m["metrics"]["compute_utilization_dtype"] = "fp16"
        path = os.path.join(self.tmp, "per-type.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = self.out_dir("per-type")
        res = self.plot("roofline", path, "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["roofline"])
        with open(os.path.join(out, "roofline.svg")) as f:
            self.assertIn("(fp16)", f.read())

    def test_many_machines_of_any_type(self):
        """Four machines, two of each type, wrap into rows of panels; names come from the
        report."""
        path = os.path.join(self.tmp, "four.json")
        subprocess.run([PY, FAKE, "run", "--machine", "a100-sxm4-80gb", "--machine", "isaac",
                        "--machine", "h100-gpu", "--machine", "isaac-big", "--workload",
                        "gpt2-small", "--prompt", "64", "--generate", "8", "--out", path,
                        "--quiet"], check=True, env=env_for())
        out = self.out_dir("four")
        res = self.plot("report", path, "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["energy", "bytes", "roofline"])
        with open(os.path.join(out, "bytes.svg")) as f:
            svg = f.read()
        for name in ("isaac-big (cim)", "h100-gpu (von_neumann)"):
            self.assertIn(name, svg)

    def test_many_components_end_in_one_rest_segment(self):
        with open(self.report) as f:
            doc = json.load(f)
        m = doc["machines"][0]
        m["components"] = [{"name": "part%02d" % i, "energy_j": 1e-3 * (i + 1)}
                           for i in range(20)]
        path = os.path.join(self.tmp, "twenty.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = self.out_dir("twenty")
        res = self.plot("energy", path, "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["energy"])
        with open(os.path.join(out, "energy.svg")) as f:
            svg = f.read()
        self.assertIn("part19", svg)          # the largest are drawn by name
        self.assertFalse("<!-- part00 -->" in svg)  # the smallest are in the rest
        self.assertTrue(re.search(r"rest: \d+ components, each ≤ [\d.]+%", svg))

    def test_real_cimsim_report(self):
        real = os.environ.get("CIMSIM_REAL")
        if not real:
            self.skipTest("CIMSIM_REAL not set (ctest sets it to build/cimsim)")
        path = os.path.join(self.tmp, "real.json")
        subprocess.run([real, "run", "--machine", "a100-sxm4-80gb", "--machine", "h100-sxm5",
                        "--workload", "gpt2-small", "--prompt", "16", "--generate", "2",
                        "--out", path, "--quiet"], check=True, timeout=120)
        out = self.out_dir("real")
        res = self.plot("report", path, "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["energy", "bytes", "roofline"])  # roofline: roofs found
        self.assertEqual(res.stderr, "")

    def test_roofline_peaks_from_flags_when_metrics_lack_them(self):
        with open(self.report) as f:
            doc = json.load(f)
        for m in doc["machines"]:
            m["metrics"] = {}
        path = os.path.join(self.tmp, "no-peaks.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = self.out_dir("peaks")
        res = self.plot("roofline", path, "--out-dir", out, "--peak-flops", "312e12",
                        "--peak-bw", "2.039e12", "--format", "png,svg")
        self.assertPlots(res, out, ["roofline"])
        # The report kind leaves the roofline out (with a note) instead of failing.
        out = self.out_dir("peaks-all")
        res = self.plot("report", path, "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["energy", "bytes"])
        self.assertIn("no roofline", res.stderr)


class SweepPlots(PlotTestCase):
    def test_line(self):
        out = self.out_dir("line")
        res = self.plot("line", self.csv, "--x", "prompt", "--y", "seconds", "--logx", "--logy",
                        "--where", "machine.crossbar.rows=128", "--out-dir", out,
                        "--format", "png,svg")
        self.assertPlots(res, out, ["line-seconds-vs-prompt"])

    def test_line_with_named_columns_and_series(self):
        out = self.out_dir("line2")
        res = self.plot("line", self.csv, "--x", "machine.crossbar.rows", "--y",
                        "isaac.energy_j,a100-sxm4-80gb.energy_j", "--by", "mode",
                        "--where", "prompt=64", "--out-dir", out, "--format", "png,svg",
                        "--name", "energy-vs-rows")
        self.assertPlots(res, out, ["energy-vs-rows"])

    def test_heatmap(self):
        out = self.out_dir("heatmap")
        res = self.plot("heatmap", self.csv, "--x", "prompt", "--y", "machine.crossbar.rows",
                        "--z", "isaac.energy_j", "--where", "mode=entp", "--log",
                        "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["heatmap-isaac.energy_j-prompt-machine.crossbar.rows"])

    def test_line_of_two_units_draws_a_panel_each(self):
        out = self.out_dir("line-units")
        res = self.plot("line", self.csv, "--x", "prompt", "--y", "energy_j,seconds", "--logx",
                        "--where", "machine.crossbar.rows=128", "--where", "mode=entp",
                        "--out-dir", out, "--format", "png,svg", "--name", "two-units")
        self.assertPlots(res, out, ["two-units"])
        with open(os.path.join(out, "two-units.svg")) as f:
            svg = f.read()
        self.assertIn("energy (J)", svg)
        self.assertIn("latency (s)", svg)

    def test_seq_latency(self):
        out = self.out_dir("seq")
        res = self.plot("seq-latency", self.csv, "--where", "machine.crossbar.rows=64",
                        "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["seq-latency-seconds"])

    def test_default_out_dir_is_next_to_the_input(self):
        res = self.plot("seq-latency", self.csv, "--where", "machine.crossbar.rows=64",
                        "--metric", "time_to_first_token_s")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(os.path.getsize(os.path.join(self.sweep_dir,
                                                     "seq-latency-time_to_first_token_s.png")))


def serving_report(machines):
    """A serving report (cimsim serve --out) with the sections the serving plots read."""
    def section(name, kind, scale):
        lat = {k: {"mean": scale * f, "p50": scale * f, "p90": 2 * scale * f,
                   "p99": 3 * scale * f, "max": 4 * scale * f, "count": 10}
               for k, f in (("ttft", 1e-2), ("tpot", 1e-3), ("e2e", 1e-1))}
        return {"name": name, "type": kind, "serving": {
            "latency_s": lat, "throughput": {"output_tokens_per_s": 1000 / scale},
            "energy": {"per_output_token_j": 0.01 * scale}}}
    return {"schema_version": 1, "kind": "serving", "requests": {"count": 10},
            "machines": [section(n, k, sc) for n, k, sc in machines]}


class ServingPlots(PlotTestCase):
    def test_latency_and_throughput(self):
        path = os.path.join(self.tmp, "serving.json")
        with open(path, "w") as f:
            json.dump(serving_report([("a100-sxm4-80gb", "von_neumann", 1.0),
                                      ("isaac", "cim", 100.0)]), f)
        out = self.out_dir("serving")
        res = self.plot("serving", path, "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["latency", "throughput"])

    def test_real_cimsim_serving_report(self):
        real = os.environ.get("CIMSIM_REAL")
        if not real:
            self.skipTest("CIMSIM_REAL not set (ctest sets it to build/cimsim)")
        path = os.path.join(self.tmp, "real-serving.json")
        subprocess.run([real, "serve", "--machine", "a100-sxm4-80gb", "--workload", "gpt2-small",
                        "--generate", '{"count": 3, "rate_per_s": 100}', "--out", path,
                        "--quiet"], check=True, timeout=300)
        out = self.out_dir("real-serving")
        res = self.plot("latency", path, "--out-dir", out, "--format", "png,svg")
        self.assertPlots(res, out, ["latency"])

    def test_a_run_report_is_not_a_serving_report(self):
        out = self.out_dir("serving-bad")
        res = self.plot("latency", self.report, "--out-dir", out)
        self.assertEqual(res.returncode, 2)
        self.assertRegex(res.stderr, r'^plot: error: .*kind: expected "serving"')
        self.assertFalse(os.path.exists(out))


class BadInput(PlotTestCase):
    def bad(self, args, pattern, name):
        out = self.out_dir("bad-" + name)
        fmt = [] if "--format" in args else ["--format", "png,svg"]
        res = self.plot(*args, "--out-dir", out, *fmt)
        self.assertEqual(res.returncode, 2, res.stdout + res.stderr)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertRegex(lines[0], r"^plot: error: .*" + pattern)
        self.assertFalse(os.path.exists(out), "output written: %s" % out)
        self.assertEqual(res.stdout, "")
        return lines[0]

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_bad_inputs(self):
        with open(self.report) as f:
            doc = json.load(f)
        no_components = json.loads(json.dumps(doc))
        for m in no_components["machines"]:
            del m["components"]
        no_components = self.write("no-components.json", json.dumps(no_components))
        no_peaks = json.loads(json.dumps(doc))
        for m in no_peaks["machines"]:
            m["metrics"] = {"utilisation": 0.5}
        no_peaks = self.write("no-peaks2.json", json.dumps(no_peaks))
        cim_only = json.loads(json.dumps(doc))
        cim_only["machines"] = [m for m in cim_only["machines"] if m["type"] == "cim"]
        cim_only = self.write("cim-only.json", json.dumps(cim_only))
        empty = self.write("empty.csv", "")
        header_only = self.write("header.csv", "point,status,prompt,isaac.seconds\n")
        all_failed = self.write("failed.csv", "point,status,prompt,isaac.seconds\n"
                                              "a,failed,16,\nb,failed,64,\n")
        not_report = self.write("not-report.json", '{"hello": 1}')
        not_json = self.write("not-json.json", "energy,seconds\n1,2\n")
        not_json_any_name = self.write("report.txt", "<html>a web page</html>\n")
        no_metrics = self.write("no-metrics.csv", "point,status,prompt,batch\na,ok,16,1\n")
        no_mode = self.write("no-mode.csv", "point,status,prompt,isaac.seconds\na,ok,16,0.1\n")
        ragged = self.write("ragged.csv", "point,status,prompt,isaac.seconds\na,ok,16\n")
        with open(os.path.join(self.tmp, "latin1.csv"), "wb") as f:
            f.write(b"point,status,prompt,isaac.seconds\na,ok,16,0.1 \xb5s\n")
        latin1 = os.path.join(self.tmp, "latin1.csv")
        missing_csv = os.path.join(self.tmp, "missing.csv")
        expect_report = r"; expected a cimsim report \(the JSON that `cimsim run --out` writes\)$"
        expect_csv = r"; expected a sweep CSV \(the results\.csv of scripts/sweep\.py"
        cases = [
            (("line", self.csv, "--x", "nope", "--y", "seconds"), r"no --x column 'nope'",
             "missing-x"),
            (("line", self.csv, "--x", "prompt", "--y", "watts"),
             r"--y 'watts' matches no column \(metrics: seconds", "missing-y"),
            (("heatmap", self.csv, "--x", "prompt", "--y", "mode", "--z", "energy_j"),
             r"--z 'energy_j' matches 2 columns", "ambiguous-z"),
            (("heatmap", self.csv, "--x", "prompt", "--y", "mode", "--z", "isaac.energy_j"),
             r"two rows for prompt=16, mode=decoder \(they differ in machine\.crossbar\.rows\)",
             "duplicate-cells"),
            (("seq-latency", self.csv), r"besides prompt and mode, machine\.crossbar\.rows vary",
             "seq-other-params"),
            (("line", empty, "--x", "prompt", "--y", "seconds"),
             re.escape(empty) + r": empty CSV \(no header line\)" + expect_csv, "empty"),
            (("line", header_only, "--x", "prompt", "--y", "seconds"), r"no data rows",
             "header-only"),
            (("line", all_failed, "--x", "prompt", "--y", "seconds"),
             r"no finished points \(status ok\)", "all-failed"),
            (("energy", no_components), r"machines\[0\] \(a100-sxm4-80gb\)\.components: "
                                        r"expected a non-empty array", "no-components"),
            (("roofline", no_peaks), r"metrics: no compute roof .*give --peak-flops",
             "no-peaks"),
            (("roofline", cim_only), r"no von_neumann machine", "cim-only"),
            (("bytes", not_report), re.escape(not_report) + r": not a cimsim report "
                                    r"\(no schema_version\)" + expect_report, "not-report"),
            (("energy", os.path.join(self.tmp, "missing.json")),
             re.escape(os.path.join(self.tmp, "missing.json")) + r": not found" + expect_report,
             "missing"),
            (("energy", not_json), re.escape(not_json) + r":1:1: invalid JSON: .*" +
             expect_report, "not-json"),
            (("report", not_json_any_name), re.escape(not_json_any_name) + r":1:1: invalid "
                                            r"JSON: .*" + expect_report, "not-json-txt"),
            (("roofline", self.tmp), re.escape(self.tmp) + r": expected a report, got a "
                                     r"directory", "directory"),
            (("line", missing_csv, "--x", "prompt", "--y", "seconds"),
             re.escape(missing_csv) + r": not found" + expect_csv, "missing-csv"),
            (("line", no_metrics, "--x", "prompt", "--y", "seconds"),
             re.escape(no_metrics) + r": --y 'seconds' matches no column, and no column holds "
                                     r"a metric \(columns: point, status, prompt, batch\)" +
             expect_csv, "no-metric-columns"),
            (("heatmap", no_metrics, "--x", "prompt", "--y", "size", "--z", "seconds"),
             re.escape(no_metrics) + r": no --y column 'size' \(columns: point, status, prompt, "
                                     r"batch\)", "missing-heatmap-column"),
            (("seq-latency", no_mode), re.escape(no_mode) + r": no column 'mode'", "no-mode"),
            (("line", ragged, "--x", "prompt", "--y", "seconds"),
             re.escape(ragged) + r":2: expected 4 fields like the header, got 3", "ragged"),
            (("line", latin1, "--x", "prompt", "--y", "seconds"),
             re.escape(latin1) + r": not UTF-8 text \(byte \d+\)" + expect_csv, "not-utf8"),
            (("line", self.csv, "--x", "prompt", "--y", "seconds", "--where", "prompt=17"),
             r"no finished rows match prompt in \{17\}", "where-matches-nothing"),
            (("line", self.csv, "--x", "mode", "--y", "seconds", "--logx"),
             r"--logx: column 'mode' is not numeric", "logx-categorical"),
            (("scatter3d", self.report), r"invalid choice: 'scatter3d'", "unknown-kind"),
            (("energy", self.report, "--format", "png,gif"), r"--format 'png,gif'",
             "bad-format"),
            (("energy", self.csv), r"reads a report", "csv-to-report-kind"),
        ]
        for args, pattern, name in cases:
            with self.subTest(name):
                self.bad(list(args), pattern, name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
