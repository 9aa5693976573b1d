#!/usr/bin/env python3
"""The `lambdahat llc` command's own cost per SGLD step, next to bench_sgld's.

The command does more per step than the bare sampler loop: MALA checks (every 20th
draw by default), the λ̂ trace, progress, and the diagnostics at the end. Its
marginal cost per step is the difference in wall time between two runs that differ
only in --draws, divided by the extra steps over all chains; start-up, training and
the diagnostics of the shorter run cancel. The settings are bench_sgld's (fixed ε
and γ, no burn-in, as many chains as bench_sgld runs), so the two figures measure
the same step.

    python3 benchmarks/command_step.py [--build build] [--repeats 3] [--draws 2000,42000]

Prints a table: the command's marginal µs per step, bench_sgld's, and their ratio.
"""
import argparse, json, os, statistics, subprocess, tempfile, time

# (row, the command's flags, bench_sgld's benchmark)
WORKLOADS = [
    ("poly_sgld", ["--model", "polynomial", "--powers", "1,3", "--n", "1000", "--epsilon", "4e-4", "--gamma", "0"],
     "BM_sgld/poly"),
    ("tms_sgld", ["--model", "tms", "--n", "1000", "--epsilon", "5e-4", "--gamma", "1", "--batch", "512"],
     "BM_sgld/tms"),
    ("dln_sgld", ["--model", "dln", "--widths", "10,10,10,10,10", "--n", "1000", "--epsilon", "6e-4", "--gamma", "1"],
     "BM_sgld/dln"),
]


def command_seconds(binary, flags, draws, chains):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([binary, "llc", *flags, "--burnin", "0", "--draws", str(draws), "--chains", str(chains),
                        "--json", os.path.join(tmp, "out.json")], check=True, capture_output=True)
        return time.perf_counter() - start


def bench_us(binary, name, repeats):
    out = subprocess.run([binary, f"--benchmark_filter=^{name}/real_time$", "--benchmark_format=json",
                          f"--benchmark_repetitions={repeats}", "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            v = b["us_per_step"]
            return v * 1e6 if v < 1e-2 else v
    raise RuntimeError(f"{name}: no median in the benchmark's output")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws", default="2000,42000", help="the two draw counts per chain, short,long")
    a = ap.parse_args()
    short, long = (int(d) for d in a.draws.split(","))
    chains = 2 * (os.cpu_count() or 1)  # bench_sgld's: two chains per thread
    command = os.path.join(a.build, "bin", "lambdahat")
    bench = os.path.join(a.build, "bin", "bench_sgld")
    print("| workload | command µs/step (marginal) | bench_sgld µs/step | ratio |")
    print("|---|---|---|---|")
    for label, flags, name in WORKLOADS:
        margins = []
        for _ in range(a.repeats):  # short and long alternate, so drift hits both
            t_short = command_seconds(command, flags, short, chains)
            t_long = command_seconds(command, flags, long, chains)
            margins.append(1e6 * (t_long - t_short) / ((long - short) * chains))
        ours = statistics.median(margins)
        bare = bench_us(bench, name, a.repeats)
        print(f"| {label} | {ours:.2f} | {bare:.2f} | {ours / bare:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
