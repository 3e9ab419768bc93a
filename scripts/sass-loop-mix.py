#!/usr/bin/env python3
"""Instruction mix of a kernel's main loop in `nvdisasm -c` output (docs/ladders/gemm.md).

Usage:  scripts/sass-loop-mix.py K.sass KERNEL [KERNEL ...]
  (K.sass from: ptxas -arch=sm_90 kernels.ptx -o k.cubin && nvdisasm -c k.cubin > K.sass)

The main loop is the backward branch whose body holds the most FFMA. Prints its static mix
and its "interior path": the path through the loop's control-flow graph that an interior tile
takes (no block with a scalar LDG.E.CONSTANT, i.e. every chunk on the LDG.E.128 path): the
path with the most FFMA, then the most LDG.E.128 (not the zero-fill path of an edge tile),
then the fewest instructions.
"""

import collections
import functools
import re
import sys

BRA = re.compile(r"BRA\s+(?:`\()?(\.L_x_\d+)")


def functions(path):
    funcs, cur = {}, None
    for line in open(path):
        m = re.match(r"^\.text\.(\S+):", line)
        if m:
            cur = funcs.setdefault(m.group(1), [])
            continue
        if cur is not None:
            cur.append(line)
    return funcs


def parse(lines):
    ins, labels = [], {}
    for line in lines:
        m = re.match(r"^(\.L_x_\d+):", line)
        if m:
            labels[m.group(1)] = len(ins)
            continue
        m = re.search(r"/\*([0-9a-f]{4,})\*/\s+(.*?);", line)
        if m:
            ins.append(m.group(2).strip())
    return ins, labels


def op(i):
    return re.sub(r"^@!?U?P[T0-9]+\s+", "", i).split()[0]


def main_loop(ins, labels):
    best = None
    for idx, i in enumerate(ins):
        m = BRA.search(i)
        if m and labels.get(m.group(1), 1 << 30) <= idx:
            s = labels[m.group(1)]
            n = sum(op(x) == "FFMA" for x in ins[s : idx + 1])
            if best is None or n > best[0]:
                best = (n, s, idx)
    return best[1], best[2]


def interior(ins, labels, s, e):
    lead = {s, e + 1} | {v for v in labels.values() if s <= v <= e}
    lead |= {i + 1 for i in range(s, e + 1) if "BRA" in ins[i] or "EXIT" in ins[i]}
    starts = sorted(x for x in lead if s <= x <= e + 1)
    blocks = dict(zip(starts, starts[1:]))

    def succ(a):
        b = blocks[a]
        last = ins[b - 1]
        m = BRA.search(last)
        if m:
            if b - 1 == e:
                return ["BACK"]
            out = [labels[m.group(1)]] + ([b] if last.startswith("@") else [])
        elif "EXIT" in last:
            out = [b] if last.startswith("@") else []
        else:
            out = [b]
        return [x for x in out if s <= x <= e and x > a]

    @functools.lru_cache(None)
    def paths(a):
        if a == "BACK":
            return frozenset({(0, 0, 0)})
        body = ins[a : blocks[a]]
        if any(op(x) == "LDG.E.CONSTANT" for x in body):
            return frozenset()
        ff = sum(op(x) == "FFMA" for x in body)
        lg = sum(op(x) == "LDG.E.128.CONSTANT" for x in body)
        best = {}
        for t in succ(a) + (["BACK"] if blocks[a] - 1 == e else []):
            for f2, l2, n2 in paths(t):
                k = (f2 + ff, l2 + lg)
                best[k] = min(best.get(k, 1 << 30), n2 + len(body))
        return frozenset((f, g, n) for (f, g), n in best.items())

    sys.setrecursionlimit(100000)
    return max(paths(s), key=lambda t: (t[0], t[1], -t[2]))


def main():
    funcs = functions(sys.argv[1])
    for name in sys.argv[2:]:
        ins, labels = parse(funcs[name])
        s, e = main_loop(ins, labels)
        body = ins[s : e + 1]
        c = collections.Counter(op(x) for x in body)
        ff, lg, n = interior(ins, labels, s, e)
        print(
            f"{name}: static loop {len(body)} instr, FFMA {c['FFMA']}, LDS.128 {c['LDS.128']}; "
            f"interior path {n} instr, FFMA {ff} ({100 * ff / n:.1f}%), LDG.E.128 {lg}"
        )


if __name__ == "__main__":
    main()
