#!/usr/bin/env python3
"""Reference values of the MCMC diagnostics, computed independently of the C++ code.

Plain Python (double precision, no third-party packages), written from the formulas of
Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021), "Rank-normalization, folding,
and localization: an improved R-hat": split chains, rank normalization with
(r - 3/8) / (S + 1/4), R-hat = max(bulk, tail), bulk- and tail-ESS with Geyer's
initial monotone sequence over the chain-averaged autocorrelation, MCSE = sd / sqrt(ESS_bulk).

It makes a few sets of chains (deterministic pseudo-random traces: autocorrelated,
shifted, heavy-tailed, with ties) and writes them with their diagnostics to
tests/data/diagnostics_reference.json, which tests/slt/test_diagnostics.cpp reads.

    python3 tools/diagnostics_reference.py
"""
import json
import math
import os
import random
from statistics import NormalDist

PHI_INV = NormalDist().inv_cdf


def mean(x):
    return sum(x) / len(x)


def var(x):
    m = mean(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)


def split(chains):
    out = []
    for c in chains:
        h = len(c) // 2
        out.append(c[:h])
        out.append(c[len(c) - h:])
    return out


def rank_normalize(chains):
    flat = [(v, i) for i, v in enumerate(x for c in chains for x in c)]
    flat.sort()
    S = len(flat)
    z = [0.0] * S
    i = 0
    while i < S:
        j = i
        while j < S and flat[j][0] == flat[i][0]:
            j += 1
        rank = (i + 1 + j) / 2.0  # average of ranks i+1 .. j
        value = PHI_INV((rank - 0.375) / (S + 0.25))
        for k in range(i, j):
            z[flat[k][1]] = value
        i = j
    out, at = [], 0
    for c in chains:
        out.append(z[at:at + len(c)])
        at += len(c)
    return out


def rhat_basic(chains):
    n = len(chains[0])
    W = mean([var(c) for c in chains])
    B_over_n = var([mean(c) for c in chains])
    return math.sqrt(((n - 1) / n * W + B_over_n) / W)


def autocov(x, lag):
    m = mean(x)
    return sum((x[i] - m) * (x[i + lag] - m) for i in range(len(x) - lag)) / len(x)


def ess(chains):
    M, N = len(chains), len(chains[0])
    acov = lambda t: mean([autocov(c, t) for c in chains])
    mean_var = acov(0) * N / (N - 1)
    var_plus = mean_var * (N - 1) / N
    if M > 1:
        var_plus += var([mean(c) for c in chains])
    rho = lambda t: 1 - (mean_var - acov(t)) / var_plus
    r = [0.0] * (N + 1)
    r[0] = 1.0
    even, odd = 1.0, rho(1)
    r[1] = odd
    t = 1
    while t < N - 3 and even + odd > 0:
        even, odd = rho(t + 1), rho(t + 2)
        if even + odd >= 0:
            r[t + 1], r[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        r[max_t + 1] = even
    t = 1
    while t <= max_t - 2:
        if r[t + 1] + r[t + 2] > r[t - 1] + r[t]:
            r[t + 1] = r[t + 2] = (r[t - 1] + r[t]) / 2
        t += 2
    S = M * N
    tau = -1 + 2 * sum(r[:max_t + 1]) + r[max_t + 1]
    tau = max(tau, 1 / math.log10(S))
    return S / tau


def quantile(x, p):
    s = sorted(x)
    h = (len(s) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])


def diagnostics(chains):
    flat = [x for c in chains for x in c]
    med = quantile(flat, 0.5)
    folded = [[abs(v - med) for v in c] for c in chains]
    rb = rhat_basic(rank_normalize(split(chains)))
    rt = rhat_basic(rank_normalize(split(folded)))
    eb = ess(rank_normalize(split(chains)))
    q05, q95 = quantile(flat, 0.05), quantile(flat, 0.95)
    lo = [[1.0 if v <= q05 else 0.0 for v in c] for c in chains]
    hi = [[1.0 if v >= q95 else 0.0 for v in c] for c in chains]
    et = min(ess(split(lo)), ess(split(hi)))
    sd = math.sqrt(var(flat))
    return {"rhat": max(rb, rt), "rhat_bulk": rb, "rhat_tail": rt, "ess_bulk": eb, "ess_tail": et,
            "mean": mean(flat), "sd": sd, "mcse": sd / math.sqrt(eb), "split_rhat": rhat_basic(split(chains)),
            "ess_raw": ess(chains)}


def ar1(rng, n, phi, shift=0.0, scale=1.0):
    x, out = rng.gauss(0, 1), []
    for _ in range(n):
        x = phi * x + math.sqrt(1 - phi * phi) * rng.gauss(0, 1)
        out.append(shift + scale * x)
    return out


def cases():
    rng = random.Random(20261207)
    yield "independent", [[rng.gauss(0, 1) for _ in range(400)] for _ in range(4)]
    yield "autocorrelated", [ar1(rng, 500, 0.9) for _ in range(4)]
    yield "one_chain_shifted", [ar1(rng, 300, 0.5, shift=(1.0 if c == 3 else 0.0)) for c in range(4)]
    yield "heavy_tailed", [[rng.gauss(0, 1) / max(abs(rng.gauss(0, 1)), 1e-3) for _ in range(301)] for _ in range(3)]
    yield "ties", [[float(rng.randint(0, 4)) for _ in range(200)] for _ in range(4)]
    yield "trend", [[0.01 * t + rng.gauss(0, 1) for t in range(250)] for _ in range(2)]
    yield "single_chain", [ar1(rng, 600, 0.7, shift=3.0, scale=0.2)]
    yield "antithetic", [ar1(rng, 400, -0.6) for _ in range(4)]


def main():
    out = {"source": "tools/diagnostics_reference.py", "cases": []}
    for name, chains in cases():
        out["cases"].append({"name": name, "chains": chains, "expected": diagnostics(chains)})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "diagnostics_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for c in out["cases"]:
        print(c["name"], {k: round(v, 6) for k, v in c["expected"].items()})


if __name__ == "__main__":
    main()
