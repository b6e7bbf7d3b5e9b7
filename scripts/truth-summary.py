#!/usr/bin/env python3
"""Counts a truth table (scripts/truth-check.sh's markdown, on stdin) against its goals:
how many rows were adjusted or declined, how many adjusted intervals cover the host
median, how many paired intervals hold 0, and how many adjusted values lie within 3 %
of the host by the medians and by the paired rounds; then every row that misses one."""
import re
import sys

FIGURE = re.compile(r"([+-]?\d+(?:\.\d+)?) %")


def first_pct(cell):
    m = FIGURE.search(cell)
    return float(m.group(1)) if m else None


adjusted, declined, covers, agrees, medians, paired, misses = 0, 0, 0, 0, 0, 0, []
for line in sys.stdin:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 9 or not cells[0].startswith("--") or cells[0].startswith("---"):
        continue
    if cells[1] in ("profile", "CPU time, throttled runs"):
        continue
    if cells[4].startswith("not adjustable") or cells[4] == "failed" or cells[2] == "failed":
        declined += 1
        continue
    adjusted += 1
    m, p = first_pct(cells[6]), first_pct(cells[7])
    ok = [
        cells[5] == "yes",
        cells[8] == "yes",
        m is not None and abs(m) <= 3,
        p is not None and abs(p) <= 3,
    ]
    covers, agrees = covers + ok[0], agrees + ok[1]
    medians, paired = medians + ok[2], paired + ok[3]
    if not all(ok):
        misses.append(
            f"  {cells[0]} {cells[1]}: covers {cells[5]}, medians {cells[6]}, "
            f"paired {cells[7]}, agrees {cells[8]}"
        )
print(f"{adjusted} adjusted, {declined} declined or failed; intervals covering the host median "
      f"{covers} of {adjusted}; paired intervals holding 0 {agrees} of {adjusted}; within 3 %: "
      f"{medians} of {adjusted} by the medians, {paired} of {adjusted} paired")
if misses:
    print("rows missing a goal:")
    print("\n".join(misses))
