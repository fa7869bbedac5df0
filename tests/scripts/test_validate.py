#!/usr/bin/env python3
"""scripts/validate.py on one small figure (the measured cuBLAS GEMM rate the A100's tensor
efficiency is fitted to): it runs cimsim, writes the table with the figure's row and the
summary table, and the simulated value is the measurement within 1 % (the fit holds). Also the
LLMCompass rows' arithmetic (host time taken off, which rows are kept) against hand-worked
values."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check_llmcompass_rows():
    spec = importlib.util.spec_from_file_location("validate",
                                                  os.path.join(ROOT, "scripts", "validate.py"))
    validate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(validate)
    figs = {f["id"]: f for f in validate.FIGURES}
    # 128 x 12288 x 12288 in 0.2003 ms of host time, less 21 us: 2 x 128 x 12288^2 =
    # 38,654,705,664 FLOPs in 179.3 us = 215.59 TFLOPS.
    r128 = figs["llmcompass-a100-128x12288x12288"]["measured"]
    assert abs(r128 - 215.59) < 0.01, r128
    # 8192 x 1024 x 1024 in 0.0927 ms: 71.7 us on the GPU, kept (>= 70 us); 8192 x 512 x 512 in
    # 0.0471 ms: 26.1 us, left out.
    assert "llmcompass-a100-8192x1024x1024" in figs
    assert "llmcompass-a100-8192x512x512" not in figs
    kept = [i for i in figs if i.startswith("llmcompass-a100-")]
    assert len(kept) == 12, kept


def main():
    cimsim = sys.argv[1]
    check_llmcompass_rows()
    with tempfile.TemporaryDirectory() as tmp:
        out, js = os.path.join(tmp, "v.md"), os.path.join(tmp, "v.json")
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "validate.py"),
                               "--cimsim", cimsim, "--only", "mamf-a100", "--out", out,
                               "--json", js], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr
        text = open(out).read()
        assert "| largest measured cuBLAS GEMM rate, A100-SXM4 (`mamf-a100`) | 267.9 TFLOPS |" \
            in text, text
        assert "fit: compute.tensor_efficiency" in text, text
        # Nothing validates in a run of the fitted figure alone: every group is empty.
        assert "| end-to-end latencies | 0 | 0.0 % | 0.0 % |" in text, text
        assert "| GEMM rates | 0 | 0.0 % | 0.0 % |" in text, text
        r = json.load(open(js))["figures"][0]
        assert abs(r["error"]) < 0.01, r
        bad = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "validate.py"),
                              "--cimsim", cimsim, "--only", "nope", "--out", out],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert bad.returncode != 0 and "no such figure" in bad.stderr, bad.stderr
    print("validate.py: one figure OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
