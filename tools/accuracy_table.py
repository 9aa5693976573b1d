#!/usr/bin/env python3
"""Measures `lambdahat llc` with no sampler flags against theory, over seeds.

Runs the command on every model below for each seed, reads its JSON, and prints a
Markdown table of λ̂/λ (and λ̂ against the leading-order target at n, and against the
exact finite-n target where there is one) with the calibrated settings and the time.
This is how the accuracy table of slt/README.md is made:

    python3 tools/accuracy_table.py --command build/bin/lambdahat --seeds 0,1,2 > table.md
"""
import argparse

from llc_runs import autoencoder, dln, polynomial, run_llc

MODELS = [
    ("dln 5-3-5, rank 0", dln("5,3,5", 0)),
    ("dln 5-3-5, rank 1", dln("5,3,5", 1)),
    ("rrr 4-3-4, rank 1", dln("4,3,4", 1, family="rrr")),
    ("rrr 5-3-5, rank 2", dln("5,3,5", 2, family="rrr")),
    ("dln 6-6-6, rank 3", dln("6,6,6", 3)),
    ("dln 8-4-8, rank 2", dln("8,4,8", 2)),
    ("dln 16-8-16, rank 3", dln("16,8,16", 3)),
    ("dln 4-3-3-4, rank 1", dln("4,3,3,4", 1)),
    ("dln 5-4-4-5, rank 0", dln("5,4,4,5", 0)),
    ("dln 5-4-4-5, rank 4", dln("5,4,4,5", 4)),
    ("dln 4-4-4-4-4, rank 2", dln("4,4,4,4,4", 2)),
    ("dln 3-3-3-3-3-3, rank 1", dln("3,3,3,3,3,3", 1)),
    ("dln 10-10-10-10-10, rank 2", dln("10,10,10,10,10", 2)),
    ("dln 50-50-50-50, rank 10 (7 500 parameters, n = 2000)", dln("50,50,50,50", 10, n=2000)),
    ("dln 80-40-80, rank 10 (6 400 parameters, n = 2000)", dln("80,40,80", 10, n=2000)),
    ("autoencoder d=6, h=3, s=2", autoencoder(6, 3, 2)),
    ("autoencoder d=6, h=2, s=4", autoencoder(6, 2, 4)),
    ("autoencoder d=8, h=3, s=5", autoencoder(8, 3, 5)),
    ("polynomial (1)", polynomial("1")),
    ("polynomial (2)", polynomial("2")),
    ("polynomial (3)", polynomial("3")),
    ("polynomial (1,1)", polynomial("1,1")),
    ("polynomial (0,2)", polynomial("0,2")),
    ("polynomial (1,3)", polynomial("1,3")),
]


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
        rs = [run_llc(a.command, [*args, "--seed", str(s)]) for s in seeds]
        lam = rs[0]["theory"]["lambda"]
        m = rs[0]["theory"]["multiplicity"]
        ratios = [r["llc"]["mean"] / lam if r["llc"]["mean"] is not None else float("nan") for r in rs]
        at_n = [r["llc"]["mean"] / r["theory_at_n"] for r in rs if r["llc"]["mean"] is not None]
        fin = [r["llc"]["mean"] / r["finite_n_target"] for r in rs if r.get("finite_n_target")]
        eps = sorted({f'{r["settings"]["epsilon"]:.2g}' for r in rs})
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
