#!/usr/bin/env python3
"""Measures `lambdahat llc` with no sampler flags against theory, over seeds.

Runs the command on every model below for each seed, reads its JSON, and prints a
Markdown table of λ̂/λ (and λ̂ against the leading-order target at n, and against the
exact finite-n target where there is one) with the calibrated settings and the time.
This is how the accuracy table of slt/README.md is made:

    python3 tools/accuracy_table.py --command build/bin/lambdahat --seeds 0,1,2 > table.md
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

MODELS = [
    ("dln 5-3-5, rank 0", ["--model", "dln", "--widths", "5,3,5", "--rank", "0"]),
    ("dln 5-3-5, rank 1", ["--model", "dln", "--widths", "5,3,5", "--rank", "1"]),
    ("rrr 4-3-4, rank 1", ["--model", "rrr", "--widths", "4,3,4", "--rank", "1"]),
    ("rrr 5-3-5, rank 2", ["--model", "rrr", "--widths", "5,3,5", "--rank", "2"]),
    ("dln 6-6-6, rank 3", ["--model", "dln", "--widths", "6,6,6", "--rank", "3"]),
    ("dln 8-4-8, rank 2", ["--model", "dln", "--widths", "8,4,8", "--rank", "2"]),
    ("dln 16-8-16, rank 3", ["--model", "dln", "--widths", "16,8,16", "--rank", "3"]),
    ("dln 4-3-3-4, rank 1", ["--model", "dln", "--widths", "4,3,3,4", "--rank", "1"]),
    ("dln 5-4-4-5, rank 0", ["--model", "dln", "--widths", "5,4,4,5", "--rank", "0"]),
    ("dln 5-4-4-5, rank 4", ["--model", "dln", "--widths", "5,4,4,5", "--rank", "4"]),
    ("dln 4-4-4-4-4, rank 2", ["--model", "dln", "--widths", "4,4,4,4,4", "--rank", "2"]),
    ("dln 3-3-3-3-3-3, rank 1", ["--model", "dln", "--widths", "3,3,3,3,3,3", "--rank", "1"]),
    ("dln 10-10-10-10-10, rank 2", ["--model", "dln", "--widths", "10,10,10,10,10", "--rank", "2"]),
    ("autoencoder d=6, h=3, s=2", ["--model", "autoencoder", "--dim", "6", "--bottleneck", "3", "--rank", "2"]),
    ("autoencoder d=6, h=2, s=4", ["--model", "autoencoder", "--dim", "6", "--bottleneck", "2", "--rank", "4"]),
    ("autoencoder d=8, h=3, s=5", ["--model", "autoencoder", "--dim", "8", "--bottleneck", "3", "--rank", "5"]),
    ("polynomial (1)", ["--model", "polynomial", "--powers", "1"]),
    ("polynomial (2)", ["--model", "polynomial", "--powers", "2"]),
    ("polynomial (3)", ["--model", "polynomial", "--powers", "3"]),
    ("polynomial (1,1)", ["--model", "polynomial", "--powers", "1,1"]),
    ("polynomial (0,2)", ["--model", "polynomial", "--powers", "0,2"]),
    ("polynomial (1,3)", ["--model", "polynomial", "--powers", "1,3"]),
    ("dln 50-50-50-50, rank 10 (7 500 parameters, n = 2000)",
     ["--model", "dln", "--widths", "50,50,50,50", "--rank", "10", "--n", "2000"]),
]


def run(command, args, seed):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        start = time.time()
        p = subprocess.run([command, "llc", *args, "--seed", str(seed), "--json", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seconds = time.time() - start
        if p.returncode not in (0, 1, 3) or not os.path.exists(out):
            sys.exit(f"{' '.join(args)} seed {seed} failed ({p.returncode}): {p.stderr.strip()[-300:]}")
        with open(out) as f:
            j = json.load(f)
        j["wall_seconds"] = seconds
        return j


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--command", default="build/bin/lambdahat")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--only", default="", help="a substring of the model names to run")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    print("| model | λ (m) | λ̂/λ per seed | λ̂/target at n | λ̂/finite-n target | ε | draws | warnings | s per estimate |")
    print("|---|---|---|---|---|---|---|---|---|")
    within, total = 0, 0
    for name, args in MODELS:
        if a.only and a.only not in name:
            continue
        rs = [run(a.command, args, s) for s in seeds]
        lam = rs[0]["theory"]["lambda"]
        m = rs[0]["theory"]["multiplicity"]
        ratios = [r["llc"]["mean"] / lam if r["llc"]["mean"] is not None else float("nan") for r in rs]
        at_n = [r["llc"]["mean"] / r["theory_at_n"] for r in rs if r["llc"]["mean"] is not None]
        fin = [r["llc"]["mean"] / r["finite_n_target"] for r in rs if r.get("finite_n_target")]
        eps = sorted({f'{r["epsilon"]:.2g}' for r in rs})
        draws = sorted({r["settings"]["draws"] for r in rs})
        warns = sum(len(r["warnings"]) for r in rs)
        secs = sum(r["wall_seconds"] for r in rs) / len(rs)
        # the polynomial regressors against their exact finite-n target, the rest against λ
        ok = all(abs(x - 1) <= 0.10 for x in (fin if len(fin) == len(rs) else ratios))
        within += ok
        total += 1
        print(f"| {name} | {lam:g} ({m}) | {', '.join(f'{x:.3f}' for x in ratios)} | "
              f"{', '.join(f'{x:.3f}' for x in at_n)} | {', '.join(f'{x:.3f}' for x in fin) or '—'} | "
              f"{', '.join(eps)} | {min(draws)}–{max(draws)} | {warns} | {secs:.1f} |", flush=True)
    print(f"\n{within} of {total} models within 10 % on every seed (of λ, or of the exact finite-n target "
          "where there is one)")


if __name__ == "__main__":
    main()
