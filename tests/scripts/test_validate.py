#!/usr/bin/env python3
"""scripts/validate.py on one small figure (the measured cuBLAS GEMM rate the A100's tensor
efficiency is fitted to): it runs cimsim, writes the table with the figure's row and the
summary line, and the simulated value is the measurement within 1 % (the fit holds)."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    cimsim = sys.argv[1]
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
