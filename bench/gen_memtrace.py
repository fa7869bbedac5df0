#!/usr/bin/env python3
"""Writes a memory trace in the DRAMsim3 text format: "0xADDR READ|WRITE CYCLE" per line.

Patterns: stream (consecutive bursts from address 0), random (uniform over the capacity,
burst-aligned). --writes is the fraction of WRITE lines (random, seeded). One request per
cycle unless --gap says otherwise. Deterministic for a given --seed.
"""
import argparse
import random
import sys


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pattern", choices=["stream", "random"], required=True)
    p.add_argument("--requests", type=int, default=1_000_000)
    p.add_argument("--capacity", type=int, default=8 << 30, help="bytes (hbm2: 8 GiB)")
    p.add_argument("--burst", type=int, default=64, help="bytes per request")
    p.add_argument("--writes", type=float, default=0.0, help="fraction of writes")
    p.add_argument("--gap", type=int, default=1, help="cycles between requests")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    rng = random.Random(a.seed)
    slots = a.capacity // a.burst
    lines = []
    for i in range(a.requests):
        if a.pattern == "stream":
            addr = (i % slots) * a.burst
        else:
            addr = rng.randrange(slots) * a.burst
        op = "WRITE" if a.writes > 0 and rng.random() < a.writes else "READ"
        lines.append(f"0x{addr:x} {op} {i * a.gap}\n")
    with open(a.out, "w") as f:
        f.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
