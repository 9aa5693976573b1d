#!/usr/bin/env python3
"""Fits the rational approximation of erf used by float GELU (tensor/elementwise.cpp,
erf_rational):

    erf(z) ≈ z · P(z²) / Q(z²),   P of degree 6, Q of degree 4 with Q(0) = 1,  |z| ≤ 3.9

in 40-digit arithmetic (Debian python3-mpmath). The absolute error of erf is
z · (P/Q − erf(z)/z), so the fit minimises that, as a linearised weighted least-squares
problem over Chebyshev points in u = z², re-weighted by 1/Q of the previous solution
and by Lawson's rule (weights grow where the error is largest), which drives the
result towards the minimax fit. Prints the coefficients (lowest degree first) and the
largest error on a dense grid: 4.1e-8.

    python3 tools/fit_erf.py
"""
import mpmath as mp

mp.mp.dps = 40
Z = mp.mpf("3.9")          # beyond this, erf(z) is within 3.5e-8 of 1
U = Z * Z
NP, NQ = 6, 4
N = 400                    # fitting points
ITERATIONS = 40

us = [U * (1 - mp.cos(mp.pi * (i + mp.mpf(0.5)) / N)) / 2 for i in range(N)]
target = [mp.erf(mp.sqrt(u)) / mp.sqrt(u) if u > 0 else 2 / mp.sqrt(mp.pi) for u in us]
scale = [mp.sqrt(u) for u in us]  # z: turns an error of erf(z)/z into an error of erf(z)


def solve(weights):
    # unknowns p0..p6, q1..q4; each row: (P(u) − f·Q(u)) · weight = 0 with q0 = 1
    rows = [[u ** k * w for k in range(NP + 1)] + [-f * u ** k * w for k in range(1, NQ + 1)]
            for u, f, w in zip(us, target, weights)]
    rhs = [f * w for f, w in zip(target, weights)]
    return mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))[0]


def rational(c, u):
    p = sum(c[k] * u ** k for k in range(NP + 1))
    q = 1 + sum(c[NP + k] * u ** k for k in range(1, NQ + 1))
    return p / q


lawson = [mp.mpf(1)] * N
q_previous = [mp.mpf(1)] * N
for _ in range(ITERATIONS):
    c = solve([scale[i] * mp.sqrt(lawson[i]) / q_previous[i] for i in range(N)])
    q_previous = [1 + sum(c[NP + k] * u ** k for k in range(1, NQ + 1)) for u in us]
    errors = [abs(scale[i] * (rational(c, us[i]) - target[i])) for i in range(N)]
    total = sum(lawson[i] * errors[i] for i in range(N))
    lawson = [lawson[i] * errors[i] / total * N for i in range(N)]

print("P:", [mp.nstr(c[k], 17) for k in range(NP + 1)])
print("Q: 1,", [mp.nstr(c[NP + k], 17) for k in range(1, NQ + 1)])
worst = max(abs(z * rational(c, z * z) - mp.erf(z)) for z in (Z * i / 4000 for i in range(4001)))
print("largest |error| of erf on [0, 3.9]:", mp.nstr(worst, 3))
