#!/usr/bin/env python3
"""The PyTorch peer of lambdahat's step benchmarks (bench_training, bench_sgld).

Each workload is one step of a seed-study model written the way a PyTorch user
writes it: eager mode, on the CPU, with the settings of the lambdahat benchmark of
the same name (benchmarks/bench_sgld.cpp, bench_training.cpp). For each workload it
prints one JSON line: the median microseconds per step over five timed runs, at one
thread and at all threads, and the better of the two (models this small often run
faster on one thread), or at the thread count --threads gives. `compare.py` runs it
and divides; for the sampling workloads it runs one single-threaded copy per core at
once, as a user running one chain per core would.

    /usr/bin/python3 benchmarks/torch_peer.py [WORKLOAD ...] [--steps N]    (Debian python3-torch)

  grok_train  Adam (lr 5e-3, L2 weight decay 2e-4) on the modular-addition MLP, batch 128
  grok_sgld   SGLD on the same model: batch 128, eps 3e-3, nbeta 2, gamma 5
  tms_train   SGD with momentum 0.9 (lr 0.01) on the toy model (8 features, 2 hidden), batch 100
  tms_sgld    SGLD on the same model: batch 512, eps 5e-4, gamma 1, nbeta n/log n
  dln_sgld    SGLD on a deep linear network 10-10-10-10-10: full batch n = 1000, eps 6e-4, gamma 1
  poly_sgld   SGLD on f(x) = x w1 w2^3: full batch n = 1000, eps 4e-4, gamma 0
  dln256_sgld SGLD on a deep linear network 256-256-256-256-256 over n = 10 000
              Gaussian samples, minibatches of 256, eps 1e-7, gamma 1
  mlp_sgld    SGLD on a ReLU MLP 784-256-256-10 (cross-entropy) over n = 10 000
              Gaussian samples with random labels, minibatches of 256, eps 1e-7, gamma 1
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F


class ModularAdditionMLP(nn.Module):
    """Shared embedding, one linear map per token, summed, GELU, unembedding."""

    def __init__(self, p=53, embed=12, hidden=48):
        super().__init__()
        self.embedding = nn.Embedding(p, embed)
        self.left = nn.Linear(embed, hidden)
        self.right = nn.Linear(embed, hidden)
        self.out = nn.Linear(hidden, p, bias=False)

    def forward(self, tokens):
        e = self.embedding(tokens)
        return self.out(F.gelu(self.left(e[:, 0]) + self.right(e[:, 1])))


class ToyModel(nn.Module):
    """ReLU(WᵀW x + b), tied weights."""

    def __init__(self, features=8, hidden=2):
        super().__init__()
        self.W = nn.Parameter(0.5 * torch.randn(hidden, features))
        self.b = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return F.relu((x @ self.W.t()) @ self.W + self.b)


class PolynomialRegressor(nn.Module):
    """f(x) = x · Π w_i^k_i."""

    def __init__(self, powers):
        super().__init__()
        self.register_buffer("powers", torch.tensor(powers, dtype=torch.float32))
        self.w = nn.Parameter(torch.zeros(len(powers)))

    def forward(self, x):
        return x * torch.pow(self.w, self.powers).prod()


class SGLD:
    """Δw = −(ε/2)(nβ ∇L + γ (w − w*)) + √ε N(0, I), centred on the starting point."""

    def __init__(self, model, epsilon, nbeta, gamma):
        self.params = list(model.parameters())
        self.centre = [p.detach().clone() for p in self.params]
        self.epsilon, self.nbeta, self.gamma = epsilon, nbeta, gamma

    def step(self, loss):
        for p in self.params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p, c in zip(self.params, self.centre):
                drift = self.nbeta * p.grad + self.gamma * (p - c)
                p.add_(drift, alpha=-self.epsilon / 2)
                p.add_(torch.randn_like(p), alpha=math.sqrt(self.epsilon))


def modular_pairs(p=53, fraction=0.4):
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    keep = torch.randperm(p * p)[: int(fraction * p * p)]
    return torch.stack([a, b], 1)[keep], ((a + b) % p)[keep]


def one_hot_features(n=1000, features=8):
    x = torch.zeros(n, features)
    x[torch.arange(n), torch.randint(0, features, (n,))] = 1.0
    return x


def minibatch(n, size):
    return torch.randint(0, n, (size,))


def grok_train():
    x, y = modular_pairs()
    model = ModularAdditionMLP()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=2e-4)

    def step():
        i = minibatch(len(x), 128)
        opt.zero_grad()
        F.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()
    return step


def grok_sgld():
    x, y = modular_pairs()
    model = ModularAdditionMLP()
    sgld = SGLD(model, 3e-3, 2.0, 5.0)

    def step():
        i = minibatch(len(x), 128)
        sgld.step(F.cross_entropy(model(x[i]), y[i]))
    return step


def tms_train():
    x = one_hot_features()
    model = ToyModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        i = minibatch(len(x), 100)
        opt.zero_grad()
        F.mse_loss(model(x[i]), x[i]).backward()
        opt.step()
    return step


def tms_sgld():
    x = one_hot_features()
    n = len(x)
    model = ToyModel()
    sgld = SGLD(model, 5e-4, n / math.log(n), 1.0)

    def step():
        i = minibatch(n, 512)
        sgld.step(F.mse_loss(model(x[i]), x[i]))
    return step


def dln_sgld(n=1000):
    model = nn.Sequential(*(nn.Linear(10, 10, bias=False) for _ in range(4)))
    x, y = torch.randn(n, 10), torch.randn(n, 10)
    sgld = SGLD(model, 6e-4, n / math.log(n), 1.0)
    return lambda: sgld.step(F.mse_loss(model(x), y))


def poly_sgld(n=1000):
    model = PolynomialRegressor([1, 3])
    x, y = 2 * torch.randn(n, 1), 0.25 * torch.randn(n, 1)
    sgld = SGLD(model, 4e-4, n / math.log(n), 0.0)
    return lambda: sgld.step(F.mse_loss(model(x), y))


def dln256_sgld(n=10000):
    model = nn.Sequential(*(nn.Linear(256, 256, bias=False) for _ in range(4)))
    x, y = torch.randn(n, 256), torch.randn(n, 256)
    sgld = SGLD(model, 1e-7, n / math.log(n), 1.0)

    def step():
        i = minibatch(n, 256)
        sgld.step(F.mse_loss(model(x[i]), y[i]))
    return step


def mlp_sgld(n=10000):
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = torch.randn(n, 784), torch.randint(0, 10, (n,))
    sgld = SGLD(model, 1e-7, n / math.log(n), 1.0)

    def step():
        i = minibatch(n, 256)
        sgld.step(F.cross_entropy(model(x[i]), y[i]))
    return step


WORKLOADS = {f.__name__: f for f in (grok_train, grok_sgld, tms_train, tms_sgld, dln_sgld, poly_sgld, dln256_sgld,
                                     mlp_sgld)}

# The large networks' steps take milliseconds: they run --steps / 20 steps.
LARGE = {"dln256_sgld": 20, "mlp_sgld": 20}


def median_us_per_step(make_step, steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    step = make_step()
    for _ in range(min(50, steps)):  # warm-up
        step()
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        runs.append(1e6 * (time.perf_counter() - start) / steps)
    return statistics.median(runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workloads", nargs="*", help="any of " + ", ".join(WORKLOADS) + " (default: all)")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=0,
                    help="measure at this thread count only (default: 1 and all, reporting the better)")
    a = ap.parse_args()
    for name in a.workloads:
        if name not in WORKLOADS:
            ap.error(f"unknown workload {name!r}: choose from {', '.join(WORKLOADS)}")
    for name in a.workloads or list(WORKLOADS):
        steps = max(1, a.steps // LARGE.get(name, 1))
        counts = [a.threads] if a.threads > 0 else sorted({1, os.cpu_count() or 1})
        by_threads = {t: median_us_per_step(WORKLOADS[name], steps, t) for t in counts}
        best = min(by_threads, key=by_threads.get)
        print(json.dumps({"workload": name, "us_per_step_median": by_threads[best], "best_threads": best,
                          "us_per_step_by_threads": by_threads, "steps": steps}), flush=True)


if __name__ == "__main__":
    main()
