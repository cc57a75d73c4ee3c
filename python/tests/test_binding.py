"""The Python binding against the `bonsai` command line on the same tensors, and its
errors, cancellation, progress and threads. Run by scripts/test-bindings with BONSAI_BINARY
naming the command line and the package installed (`pip install ./python`)."""

import os
import sys
import tempfile
import threading
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bonsai  # noqa: E402
import cli_reference  # noqa: E402

ROWS, COLUMNS = 32, 64


class AgainstTheCommandLine(unittest.TestCase):
    def test_every_case_and_dtype_gives_the_command_lines_bits(self):
        binary = os.environ["BONSAI_BINARY"]
        with tempfile.TemporaryDirectory() as folder:
            for index, (case, keywords) in enumerate(cli_reference.KEYWORDS.items()):
                for dtype in cli_reference.DTYPES:
                    with self.subTest(case=case, dtype=dtype):
                        weights = cli_reference.random_weights(ROWS, COLUMNS, dtype, seed=50 + index)
                        gradients, norms = cli_reference.score_inputs(case, ROWS, COLUMNS, 50 + index)
                        expected = cli_reference.cli_pruned(binary, folder, case, weights, gradients, norms)
                        copy, result = bonsai.pruned(weights, gradients=gradients, activations=norms,
                                                     mask=True, **keywords)
                        self.assertEqual(copy.tobytes(), expected.tobytes())
                        self.assertEqual(result.mask.tobytes(),
                                         np.packbits(expected != 0, bitorder="little").tobytes())
                        self.assertEqual((result.kept, result.total),
                                         (int(np.count_nonzero(expected)), weights.size))


class Behaviour(unittest.TestCase):
    def weights(self, seed=1):
        return cli_reference.random_weights(ROWS, COLUMNS, "F32", seed)

    def test_prune_is_in_place_and_pruned_leaves_the_input(self):
        weights = self.weights()
        original = weights.copy()
        copy, result = bonsai.pruned(weights, sparsity=0.25)
        self.assertTrue(np.array_equal(weights, original))
        self.assertEqual(result.kept, weights.size - weights.size // 4)
        bonsai.prune(weights, sparsity=0.25)
        self.assertEqual(weights.tobytes(), copy.tobytes())

    def test_errors_carry_the_librarys_message(self):
        weights = self.weights()
        original = weights.copy()
        cases = [
            (bonsai.InvalidOptionError, "sparsity 1.5 is out of range", {"sparsity": 1.5}),
            (bonsai.InvalidOptionError, "min-nonzero -1 is negative", {"min_nonzero": -1}),
            (bonsai.InvalidOptionError, "not unstructured, rows", {"granularity": "4x4"}),
            (bonsai.InvalidOptionError, "the pattern fixes the sparsity",
             {"granularity": "2:4", "sparsity": 0.5}),
            (bonsai.InvalidOptionError, "N:M pattern 4:2 is invalid", {"granularity": "4:2"}),
            (bonsai.InvalidOptionError, "ranks single weights", {"granularity": "rows", "per_row": True}),
            (bonsai.InvalidShapeError, 'tensor "w": rows of 64 weights do not split into groups of 3',
             {"granularity": "2:3", "name": "w"}),
            (bonsai.InvalidScoresError, "metric wanda needs input norms", {"metric": "wanda"}),
            (bonsai.InvalidScoresError, "2 input norms given, 64 expected",
             {"metric": "wanda", "activations": np.ones(2)}),
            (bonsai.InvalidScoresError, "does not use gradients", {"gradients": np.ones(ROWS * COLUMNS)}),
        ]
        for kind, words, keywords in cases:
            with self.subTest(words=words):
                with self.assertRaises(kind) as caught:
                    bonsai.prune(weights, **keywords)
                self.assertIn(words, str(caught.exception))
                self.assertIsInstance(caught.exception, ValueError)
        weights[3, 5] = np.nan
        with self.assertRaisesRegex(bonsai.NonFiniteWeightsError, "1 non-finite weight"):
            bonsai.prune(weights)
        weights[3, 5] = original[3, 5]
        self.assertTrue(np.array_equal(weights, original))
        with self.assertRaises(bonsai.InvalidShapeError):
            bonsai.prune(np.zeros(0, dtype=np.float32))
        with self.assertRaises(TypeError):
            bonsai.prune(weights.astype(np.float64))
        with self.assertRaises(ValueError):
            bonsai.prune(weights[:, ::2])

    def test_cancel_leaves_the_weights_untouched_and_progress_reaches_one(self):
        weights = self.weights()
        original = weights.copy()
        seen = []
        with self.assertRaises(bonsai.CancelledError):
            bonsai.prune(weights, progress=seen.append, cancel=lambda: True)
        self.assertTrue(np.array_equal(weights, original))
        self.assertEqual(seen, [0.0])
        seen.clear()
        bonsai.prune(weights, progress=seen.append, cancel=lambda: False)
        self.assertEqual(seen, [0.0, 1.0])
        self.assertEqual(int(np.count_nonzero(weights)), weights.size // 2)

    def test_sixteen_threads_give_the_serial_bits(self):
        arrays = [self.weights(seed) for seed in range(16)]
        keywords = [{"granularity": g} for g in ("rows", "columns", "2:4", "block:2x2")] * 4
        serial = [bonsai.pruned(a, sparsity=None if "2:4" in k["granularity"] else 0.5, **k)[0]
                  for a, k in zip(arrays, keywords)]
        results = [None] * 16

        def run(index):
            k = keywords[index]
            results[index] = bonsai.pruned(
                arrays[index], sparsity=None if "2:4" in k["granularity"] else 0.5, **k)[0]

        threads = [threading.Thread(target=run, args=(index,)) for index in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for index in range(16):
            self.assertEqual(results[index].tobytes(), serial[index].tobytes())


if __name__ == "__main__":
    unittest.main()
