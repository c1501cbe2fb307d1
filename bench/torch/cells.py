#!/usr/bin/python3
"""Times PyTorch's recurrent cells at batch 1 on one thread, the peer of
BenchmarkStep/cell=gru|lstm (a step there excludes the input projection,
which a sequence computes for all steps at once; torch's cells include it,
so the input is kept narrow):

    /usr/bin/python3 bench/torch/cells.py [-n 256] [-in 64] [-blocks 200]

For each cell it runs blocks of calls of cell(x, h) under torch.no_grad()
with torch.set_num_threads(1) and prints the median and quartiles of the
time per call over the blocks, in the units of go test -bench.
"""

import argparse
import statistics
import time

import torch


def time_cell(cell, x, state, blocks, per_block):
    with torch.no_grad():
        for _ in range(per_block):  # warm up
            cell(x, state)
        times = []
        for _ in range(blocks):
            t0 = time.perf_counter_ns()
            for _ in range(per_block):
                cell(x, state)
            times.append((time.perf_counter_ns() - t0) / per_block)
    q = statistics.quantiles(times, n=4)
    return statistics.median(times), q[0], q[2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, default=256, help="hidden units")
    p.add_argument("-in", dest="inp", type=int, default=64, help="input width")
    p.add_argument("-blocks", type=int, default=200)
    p.add_argument("-per-block", type=int, default=200)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x = torch.randn(1, a.inp)
    h = torch.randn(1, a.n) * 0.5
    c = torch.randn(1, a.n) * 0.5
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch 1, n={a.n}, in={a.inp}")
    for name, cell, state in [
        ("gru", torch.nn.GRUCell(a.inp, a.n), h),
        ("lstm", torch.nn.LSTMCell(a.inp, a.n), (h, c)),
    ]:
        med, q1, q3 = time_cell(cell, x, state, a.blocks, a.per_block)
        print(f"TorchCell/cell={name}/n={a.n}/in={a.inp}\t{a.blocks}\t{med:.0f} ns/op\t(quartiles {q1:.0f}, {q3:.0f})")


if __name__ == "__main__":
    main()
