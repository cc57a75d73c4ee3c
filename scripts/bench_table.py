#!/usr/bin/env python3
"""Joins the Swift and numpy benchmark results into one table of medians and ratios.

Usage: bench_table.py SWIFT.jsonl NUMPY.jsonl OUT.json
"""
import json
import platform
import subprocess
import sys

swift = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
numpy = {(r["case"], tuple(r["shape"])): r["median_ms"] for r in map(json.loads, open(sys.argv[2]))}


def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def target(case):
    """The speed target a case is held to (issues #4 and #13), as a predicate on its row and
    a few words; None for the cases without one."""
    if case.startswith(("nm_", "per_row", "wanda_per_row")):
        return (lambda row: row["vs_copy"] <= 2.5), "≤ 2.5× copy"
    if case.startswith("unstructured"):
        return (lambda row: row["vs_copy"] <= 3 and (row["speedup_vs_numpy"] or 0) >= 5,
                "≤ 3× copy, ≥ 5× numpy")
    if case.startswith(("rows", "columns")):
        return (lambda row: (row["speedup_vs_numpy"] or 0) >= 3), "≥ 3× numpy"
    return None


threads = max(r["threads"] for r in swift)
copy = {tuple(r["shape"]): r["median_ms"] for r in swift if r["case"] == "copy"}
rows = []
for r in swift:
    if r["case"] == "copy" or r["threads"] != threads:
        continue
    shape = tuple(r["shape"])
    single = next((s["median_ms"] for s in swift if s["case"] == r["case"]
                   and tuple(s["shape"]) == shape and s["threads"] == 1), None)
    reference = numpy.get((r["case"], shape))
    rows.append({
        "case": r["case"], "shape": list(shape), "threads": threads,
        "bonsai_ms": round(r["median_ms"], 2),
        "bonsai_1_thread_ms": round(single, 2) if single else None,
        "numpy_ms": round(reference, 2) if reference else None,
        "speedup_vs_numpy": round(reference / r["median_ms"], 2) if reference else None,
        "vs_copy": round(r["median_ms"] / copy[shape], 2) if shape in copy else None,
    })
    goal = target(r["case"])
    if goal and rows[-1]["vs_copy"] is not None:
        rows[-1]["target"] = goal[1]
        rows[-1]["met"] = bool(goal[0](rows[-1]))
# Columns are held to 1.5× rows of the same metric and shape.
for row in rows:
    if row["case"].startswith("columns"):
        twin = next((r for r in rows if r["case"] == row["case"].replace("columns", "rows")
                     and r["shape"] == row["shape"]), None)
        if twin:
            row["target"] += ", ≤ 1.5× rows"
            row["met"] = row["met"] and row["bonsai_ms"] <= 1.5 * twin["bonsai_ms"]

machine = f"{cpu()}, {subprocess.check_output(['nproc']).decode().strip()} cores"
print(f"Machine: {machine}; medians of {swift[0]['repeats']} runs; copy = one memcpy of the matrix.")
print()
print("| case | shape | Bonsai, %d threads (ms) | Bonsai, 1 thread (ms) | numpy (ms) | speed-up vs numpy | × copy | target |" % threads)
print("|---|---|---|---|---|---|---|---|")
for row in rows:
    shape = "×".join(map(str, row["shape"]))
    numpy_ms = "" if row["numpy_ms"] is None else row["numpy_ms"]
    speedup = "" if row["speedup_vs_numpy"] is None else f'{row["speedup_vs_numpy"]}×'
    goal = f'{row["target"]} {"met" if row["met"] else "**missed**"}' if "target" in row else ""
    print(f'| {row["case"]} | {shape} | {row["bonsai_ms"]} | {row["bonsai_1_thread_ms"]} | {numpy_ms} | {speedup} | {row["vs_copy"] or ""} | {goal} |')
for shape, ms in copy.items():
    print(f'| copy | {"×".join(map(str, shape))} | {round(ms, 2)} | | {round(numpy.get(("copy", shape), 0), 2)} | | 1 | |')
json.dump({"machine": machine, "rows": rows, "copy_ms": {"×".join(map(str, k)): v for k, v in copy.items()}},
          open(sys.argv[3], "w"), indent=2)
