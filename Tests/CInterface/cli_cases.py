"""Writes the cases that Tests/CInterface/bonsai_test.c compares with: for every case of
python/tests/cli_reference.py and every dtype, the weights (NAME.in), the score input
(NAME.scores; input norms the library computed from calibration inputs when the case
gives those), the `bonsai` command line's output (NAME.expected), its kept bits
(NAME.mask) and one line of cases.txt with the case's bonsai_options, as the Python
binding fills them.

Usage: cli_cases.py PATH/TO/bonsai FOLDER
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "..", "python"), os.path.join(HERE, "..", "..", "python", "tests")]

import cli_reference  # noqa: E402
from bonsai import pruning  # noqa: E402

ROWS, COLUMNS = 24, 64


def main(bonsai, folder):
    os.makedirs(folder, exist_ok=True)
    lines = []
    for index, (case, keywords) in enumerate(cli_reference.KEYWORDS.items()):
        for dtype in cli_reference.DTYPES:
            name = f"{case}-{dtype}"
            weights = cli_reference.random_weights(ROWS, COLUMNS, dtype, seed=index)
            gradients, norms = cli_reference.score_inputs(case, ROWS, COLUMNS, seed=index)
            expected = cli_reference.cli_pruned(bonsai, folder, case, weights, gradients, norms)
            o = pruning._options(
                keywords.get("sparsity"), keywords.get("metric", "l1"),
                keywords.get("granularity", "unstructured"), keywords.get("block_pooling", "mean"),
                keywords.get("per_row", False), keywords.get("iterative"), keywords.get("seed", 0),
                keywords.get("min_nonzero", 1), None, gradients is not None)
            if norms is not None and norms.ndim == 2:
                norms = pruning.input_norms(norms)
            scores, kind = (gradients, 0) if gradients is not None else (norms, 1) if norms is not None else (None, -1)
            weights.tofile(os.path.join(folder, name + ".in"))
            expected.tofile(os.path.join(folder, name + ".expected"))
            np.packbits(expected != 0, bitorder="little").tofile(os.path.join(folder, name + ".mask"))
            if scores is not None:
                scores.tofile(os.path.join(folder, name + ".scores"))
            dtype_code = list(cli_reference.DTYPES).index(dtype)
            lines.append(
                f"{name} {dtype_code} {ROWS} {COLUMNS} {o.sparsity!r} {o.metric} {o.granularity} "
                f"{o.keep} {o.group} {o.block_rows} {o.block_columns} {o.block_pooling} "
                f"{o.per_row} {o.iterative} {o.seed} {o.min_nonzero} {kind}")
    with open(os.path.join(folder, "cases.txt"), "w") as file:
        file.write("\n".join(lines) + "\n")
    print(f"cli_cases: {len(lines)} cases in {folder}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
