"""What tools/accuracy_table.py and tools/calibration_check.py share: the built-in
models they run, named as `lambdahat llc` flags, and one run of the command read
back from its JSON."""
import json
import os
import subprocess
import sys
import tempfile
import time


def dln(widths, rank, family="dln", **extra):
    """A deep linear network (or `family="rrr"`) with widths like "5,3,5" and a teacher rank."""
    args = ["--model", family, "--widths", widths, "--rank", str(rank)]
    for flag, value in extra.items():
        args += ["--" + flag, str(value)]
    return args


def autoencoder(dim, bottleneck, rank):
    return ["--model", "autoencoder", "--dim", str(dim), "--bottleneck", str(bottleneck), "--rank", str(rank)]


def polynomial(powers):
    return ["--model", "polynomial", "--powers", powers]


def run_llc(command, args, accept=(0, 1, 3)):
    """Runs `command llc ARGS --json FILE` and returns the JSON, with the wall time added
    as `wall_seconds`. Exits with the command's message on any other exit code."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        start = time.time()
        p = subprocess.run([command, "llc", *args, "--json", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        seconds = time.time() - start
        if p.returncode not in accept or not os.path.exists(out):
            sys.exit(f"{' '.join(args)} failed ({p.returncode}): {p.stderr.strip()[-300:]}")
        with open(out) as f:
            result = json.load(f)
    result["wall_seconds"] = seconds
    return result
