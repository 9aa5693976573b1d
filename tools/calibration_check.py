#!/usr/bin/env python3
"""Measures what the automatic calibration costs and how far SGLD sits from MALA.

For each model and seed it runs `lambdahat llc` three times:

1. with no sampler flags (everything calibrated);
2. with the step size, burn-in and draws the calibration chose, given explicitly:
   the same chains without the pilots, so the ratio of the two estimate times is the
   calibration's overhead (the JSON's `seconds`, training excluded);
3. with `--sampler mala` (calibrated too): the Metropolis-adjusted chains, exact at any
   step size, against which SGLD's λ̂ is compared.

    python3 tools/calibration_check.py --command build/bin/lambdahat --seeds 0,1,2 --repeats 3

With --repeats R the calibrated and the fixed runs are each timed R times (the runs
are deterministic, so only the time varies) and the medians are compared: estimates
under a second are otherwise within the noise of one timing.
"""
import argparse
import statistics

from llc_runs import autoencoder, dln, polynomial, run_llc

MODELS = [
    ("dln 5-3-5, rank 1", dln("5,3,5", 1)),
    ("rrr 4-3-4, rank 1", dln("4,3,4", 1, family="rrr")),
    ("dln 8-4-8, rank 2", dln("8,4,8", 2)),
    ("autoencoder d=6, h=3, s=2", autoencoder(6, 3, 2)),
    ("polynomial (1)", polynomial("1")),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--command", default="build/bin/lambdahat")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    print("| model | seed | SGLD λ̂ ± MCSE | MALA λ̂ ± MCSE | SGLD/MALA | calibrated s | fixed s | overhead |")
    print("|---|---|---|---|---|---|---|---|")
    overheads, gaps = [], []
    for name, args in MODELS:
        for seed in seeds:
            base = [*args, "--seed", str(seed)]
            cal = run_llc(a.command, base, accept=(0, 3))
            s = cal["settings"]
            fixed_args = [*base, "--epsilon", repr(s["epsilon"]), "--burnin", str(s["burnin"]), "--draws", str(s["draws"])]
            fixed = run_llc(a.command, fixed_args, accept=(0, 3))
            cal_times, fixed_times = [cal["seconds"]], [fixed["seconds"]]
            for _ in range(a.repeats - 1):  # interleaved, so that a slow moment hits both
                cal_times.append(run_llc(a.command, base, accept=(0, 3))["seconds"])
                fixed_times.append(run_llc(a.command, fixed_args, accept=(0, 3))["seconds"])
            cal["seconds"], fixed["seconds"] = statistics.median(cal_times), statistics.median(fixed_times)
            mala = run_llc(a.command, [*base, "--sampler", "mala"], accept=(0, 3))
            sg, ml = cal["llc"], mala["llc"]
            ratio = sg["mean"] / ml["mean"]
            overhead = cal["seconds"] / fixed["seconds"] - 1
            overheads.append(overhead)
            gaps.append(abs(ratio - 1))
            print(f"| {name} | {seed} | {sg['mean']:.4g} ± {sg['mcse']:.2g} | {ml['mean']:.4g} ± {ml['mcse']:.2g} | "
                  f"{ratio:.3f} | {cal['seconds']:.2f} | {fixed['seconds']:.2f} | {100 * overhead:.0f} % |",
                  flush=True)
    overheads.sort()
    print(f"\nmedian overhead {100 * overheads[len(overheads) // 2]:.0f} %, largest {100 * overheads[-1]:.0f} %; "
          f"largest |SGLD/MALA − 1| {100 * max(gaps):.1f} %")


if __name__ == "__main__":
    main()
