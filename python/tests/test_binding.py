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

    def test_integers_beyond_their_c_types_are_refused_not_wrapped(self):
        weights = self.weights()
        original = weights.copy()
        cases = [
            ("threads 18446744073709551616 is above 9223372036854775807", {"threads": 2**64}),
            ("min-nonzero 18446744073709551617 is above", {"min_nonzero": 2**64 + 1}),
            ("min-nonzero 9223372036854775808 is above", {"min_nonzero": 2**63}),
            ("min-nonzero -9223372036854775809 is below", {"min_nonzero": -2**63 - 1}),
            ("seed 18446744073709551616 is above 18446744073709551615", {"seed": 2**64}),
            ("seed -1 is negative", {"seed": -1}),
            ("granularity 1:99999999999999999999: M 99999999999999999999 is above",
             {"granularity": "1:99999999999999999999"}),
            ("granularity block:2x99999999999999999999: C 99999999999999999999 is above",
             {"granularity": "block:2x99999999999999999999"}),
        ]
        for words, keywords in cases:
            with self.subTest(words=words):
                with self.assertRaises(bonsai.InvalidOptionError) as caught:
                    bonsai.prune(weights, **keywords)
                self.assertIn(words, str(caught.exception))
        types = [({"name": 5}, "name must be a str, not int"),
                 ({"threads": "2"}, "threads must be an integer, not str"),
                 ({"min_nonzero": 1.5}, "min-nonzero must be an integer, not float"),
                 ({"seed": True}, "seed must be an integer, not bool"),
                 ({"sparsity": "0.5"}, "sparsity must be a number, not str"),
                 ({"granularity": 4}, "granularity must be a str, not int")]
        for keywords, words in types:
            with self.subTest(words=words):
                with self.assertRaisesRegex(TypeError, words):
                    bonsai.prune(weights, **keywords)
        self.assertTrue(np.array_equal(weights, original))
        # numpy integers are integers: the same bits as Python's.
        expected, _ = bonsai.pruned(weights, metric="random", seed=2**64 - 1, threads=2)
        copy, _ = bonsai.pruned(weights, metric="random", seed=np.uint64(2**64 - 1),
                                threads=np.int64(2))
        self.assertEqual(copy.tobytes(), expected.tobytes())

    def test_a_cancel_at_the_last_checkpoint_is_honoured(self):
        weights = self.weights()
        original = weights.copy()
        answers = iter([False, True])
        seen = []
        with self.assertRaises(bonsai.CancelledError):
            bonsai.prune(weights, progress=seen.append, cancel=lambda: next(answers))
        self.assertEqual(seen, [0.0, 1.0])
        self.assertTrue(np.array_equal(weights, original))

    def test_exceptions_in_callbacks_are_raised_as_they_were(self):
        weights = self.weights()
        original = weights.copy()

        def failing_cancel():
            raise KeyError("from cancel")

        def failing_progress(fraction):
            if fraction == 1:
                raise ZeroDivisionError("from progress")

        for keywords, kind, words, function in [
                ({"cancel": failing_cancel}, KeyError, "from cancel", "failing_cancel"),
                ({"progress": failing_progress}, ZeroDivisionError, "from progress",
                 "failing_progress"),
                ({"progress": failing_progress, "cancel": lambda: False}, ZeroDivisionError,
                 "from progress", "failing_progress")]:
            with self.subTest(kind=kind.__name__, keywords=sorted(keywords)):
                # Caught by hand: assertRaises drops the traceback this test examines.
                try:
                    bonsai.prune(weights, **keywords)
                    caught = None
                except kind as error:
                    caught = error
                self.assertIsNotNone(caught)
                self.assertIn(words, str(caught))
                frames = []
                traceback = caught.__traceback__
                while traceback is not None:
                    frames.append(traceback.tb_frame.f_code.co_name)
                    traceback = traceback.tb_next
                self.assertIn(function, frames)
                self.assertTrue(np.array_equal(weights, original))

    def test_unaligned_arrays_give_the_aligned_bits(self):
        for dtype, offsets in (("F32", (1, 2, 3)), ("F16", (1,)), ("BF16", (1,))):
            weights = cli_reference.random_weights(ROWS, COLUMNS, dtype, seed=9)
            expected, expected_result = bonsai.pruned(weights, granularity="2:4", mask=True)
            for offset in offsets:
                with self.subTest(dtype=dtype, offset=offset):
                    storage = bytearray(weights.nbytes + offset)
                    array = np.frombuffer(storage, dtype=weights.dtype, count=weights.size,
                                          offset=offset).reshape(weights.shape)
                    array[...] = weights
                    self.assertFalse(array.flags.aligned)
                    result = bonsai.prune(array, granularity="2:4", mask=True)
                    self.assertEqual(array.tobytes(), expected.tobytes())
                    self.assertEqual(result.mask.tobytes(), expected_result.mask.tobytes())

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
