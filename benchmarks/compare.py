#!/usr/bin/env python3
"""Runs lambdahat's per-step benchmarks and the PyTorch peer (torch_peer.py) back to
back on this machine and prints the ratios (benchmarks/README.md, "How the comparison
is made": training compares per-step times; sampling compares throughput, the peer's
per-step time divided by the number of cores against lambdahat's wall time per step
over all chains; the peer's sampling runs as one single-threaded process per core,
all at once).

    python3 benchmarks/compare.py [--build build] [--torch benchmarks/torch_peer.py]
                                  [--repetitions 5] [--steps 2000] [--rounds 1]

With --rounds N it alternates the two N times and reports the medians of each over
the rounds (the machine's speed drifts between minutes; each round's ratio is listed).

Needs Debian's python3-torch for the peer (/usr/bin/python3 benchmarks/torch_peer.py).
"""
import argparse, json, os, statistics, subprocess, sys

def gbench(binary, repetitions):
    out = subprocess.run([binary, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
                          "--benchmark_report_aggregates_only=true"], check=True, capture_output=True, text=True).stdout
    result = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].replace("/real_time", "")
        if "us_per_step" in b:
            result[name] = b["us_per_step"] * 1e6 if b["us_per_step"] < 1e-2 else b["us_per_step"]
        else:
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
            result[name] = b["real_time"] * scale
    return result

def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--torch", default=os.path.join(root, "benchmarks", "torch_peer.py"))
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate lambdahat and the peer this many times; medians over the rounds")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    # (row, the peer's workload, our benchmark, sampling?)
    rows = [("grok_train", "grok_train", "BM_grok_train_step", False),
            ("tms_train", "tms_train", "BM_tms_train_step", False),
            ("grok_sgld", "grok_sgld", "BM_sgld/grok", True), ("tms_sgld", "tms_sgld", "BM_sgld/tms", True),
            ("dln_sgld", "dln_sgld", "BM_sgld/dln", True),
            ("dln_sgld, layer by layer", "dln_sgld", "BM_sgld/dln_by_layer", True),
            ("poly_sgld", "poly_sgld", "BM_sgld/poly", True),
            ("dln256_sgld", "dln256_sgld", "BM_sgld/dln256", True), ("mlp_sgld", "mlp_sgld", "BM_sgld/mlp", True)]
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    print(f"The peer's BLAS (libblas.so.3): {blas}" +
          ("  <- the reference BLAS: install libopenblas-dev for a fair peer" if "/blas/" in blas else ""))
    ours_rounds, peer_rounds = [], []
    for _ in range(args.rounds):
        ours = {}
        ours.update(gbench(os.path.join(args.build, "bin", "bench_training"), args.repetitions))
        ours.update(gbench(os.path.join(args.build, "bin", "bench_sgld"), args.repetitions))
        peer = {}
        training = [w for _, w, _, sampling in rows if not sampling]
        sampling = sorted({w for _, w, _, s in rows if s})
        proc = subprocess.run(["/usr/bin/python3", args.torch, "--steps", str(args.steps), *training], check=True,
                              capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            j = json.loads(line)
            peer[j["workload"]] = j["us_per_step_median"]
        # one single-threaded peer per core at the same time, as one chain per core
        # runs: the cores share caches and memory, which a lone process does not see.
        # OpenBLAS keeps its own thread pool whatever torch.set_num_threads says, so
        # every library is held to one thread, as such a user would.
        one = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        procs = [subprocess.Popen(["/usr/bin/python3", args.torch, "--steps", str(args.steps), "--threads", "1",
                                   *sampling], stdout=subprocess.PIPE, text=True, env=one) for _ in range(cores)]
        per_process = []
        for p in procs:
            out, _ = p.communicate()
            if p.returncode != 0:
                sys.exit(f"{args.torch} failed")
            per_process.append({json.loads(l)["workload"]: json.loads(l)["us_per_step_median"]
                                for l in out.splitlines()})
        for w in sampling:
            peer[w] = statistics.mean(r[w] for r in per_process)
        ours_rounds.append(ours)
        peer_rounds.append(peer)
    print(f"| workload | PyTorch µs/step | compared as | lambdahat µs/step | ratio |"
          + (" ratio per round |" if args.rounds > 1 else ""))
    print(f"|---|---|---|---|---|" + ("---|" if args.rounds > 1 else ""))
    for label, workload, bench, sampling in rows:
        pairs = [(p[workload], o[bench]) for p, o in zip(peer_rounds, ours_rounds) if workload in p and bench in o]
        if not pairs:
            continue
        peer_us = statistics.median(p for p, _ in pairs)
        ours_us = statistics.median(o for _, o in pairs)
        divide = cores if sampling else 1
        p = peer_us / divide
        compared = f"{peer_us:.0f} / {cores} cores = {p:.1f}" if sampling else f"{p:.1f}"
        line = f"| {label} | {peer_us:.1f} | {compared} | {ours_us:.2f} | {p / ours_us:.1f}× |"
        if args.rounds > 1:
            line += " " + ", ".join(f"{pp / divide / oo:.1f}" for pp, oo in pairs) + " |"
        print(line)

if __name__ == "__main__":
    main()
