"""bonsai.sparsegpt against the `bonsai` command line's `--metric sparsegpt` on the same
weights, Hessians and calibration inputs (the bytes and the relative output error), for
each dtype; torch tensors; progress, cancellation from another thread mid-sweep, exceptions
in callbacks, and errors. Run by scripts/test-bindings with BONSAI_BINARY naming the
command line."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bonsai  # noqa: E402
import cli_reference  # noqa: E402

ROWS, COLUMNS, TOKENS = 48, 64, 160


def calibration(seed, tokens=TOKENS, n=COLUMNS):
    """Correlated inputs [tokens, n]: a few latent factors mixed, plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((tokens, n // 8)) @ rng.standard_normal((n // 8, n))
    return (x + 0.1 * rng.standard_normal((tokens, n))).astype(np.float32)


def cli_sparsegpt(binary, folder, tag, weights, dtype, source, source_dtype, values, options):
    """The command line's pruned weights and report entry for `weights` of safetensors
    `dtype`, with `--hessians` or `--activations` (`source`) holding `values`."""
    model = os.path.join(folder, tag + ".safetensors")
    side = os.path.join(folder, tag + "-side.safetensors")
    output = os.path.join(folder, tag + "-out.safetensors")
    cli_reference.write_checkpoint(model, [(cli_reference.NAME, dtype, weights)])
    cli_reference.write_checkpoint(side, [(cli_reference.NAME, source_dtype, values)])
    subprocess.run([binary, "prune", model, "-o", output, "--no-sync", "--quiet",
                    "--report", output + ".json", "--metric", "sparsegpt", source, side,
                    *options], check=True, capture_output=True)
    with open(output + ".json") as file:
        report = json.load(file)["tensors"][0]
    return cli_reference.read_tensor(output, cli_reference.NAME), report


class AgainstTheCommandLine(unittest.TestCase):
    def test_every_source_dtype_and_option_gives_the_command_lines_bits_and_error(self):
        binary = os.environ["BONSAI_BINARY"]
        x = calibration(1)
        h64 = x.astype(np.float64).T @ x.astype(np.float64)
        sources = {
            "hessian-f32": ("--hessians", "F32", h64.astype(np.float32),
                            {"hessian": h64.astype(np.float32)}),
            "hessian-f64": ("--hessians", "F64", h64, {"hessian": h64}),
            "inputs-f32": ("--activations", "F32", x, {"inputs": x}),
            "inputs-f16": ("--activations", "F16", x.astype(np.float16),
                           {"inputs": x.astype(np.float16)}),
        }
        option_sets = {
            "half": (["--sparsity", "0.5", "--block-size", "16"],
                     {"sparsity": 0.5, "block_size": 16}),
            "2:4": (["--granularity", "2:4", "--dampening", "0.05"],
                    {"pattern": "2:4", "dampening": 0.05}),
            "per-row": (["--sparsity", "0.3", "--per-row", "--block-size", "32"],
                        {"sparsity": 0.3, "per_row": True, "block_size": 32}),
        }
        with tempfile.TemporaryDirectory() as folder:
            for source_name, (option, source_dtype, values, keyword) in sources.items():
                for options_name, (arguments, keywords) in option_sets.items():
                    for dtype in cli_reference.DTYPES:
                        tag = f"{source_name}-{options_name}-{dtype}".replace(":", "of")
                        with self.subTest(tag):
                            weights = cli_reference.random_weights(ROWS, COLUMNS, dtype, seed=7)
                            expected, report = cli_sparsegpt(
                                binary, folder, tag, weights, dtype, option, source_dtype,
                                values, arguments)
                            result = bonsai.sparsegpt(weights, mask=True, **keyword, **keywords)
                            self.assertEqual(result.weights.tobytes(), expected.tobytes())
                            self.assertEqual(result.relative_output_error,
                                             report["relative_output_error"])
                            self.assertEqual(result.mask.tobytes(),
                                             np.packbits(expected != 0, bitorder="little").tobytes())
                            self.assertEqual(result.kept, int(np.count_nonzero(expected)))
                            self.assertFalse(np.array_equal(result.weights, weights))


class Behaviour(unittest.TestCase):
    def layer(self, seed=3):
        return cli_reference.random_weights(ROWS, COLUMNS, "F32", seed), calibration(seed)

    def test_the_input_is_untouched_and_counts_are_exact(self):
        weights, x = self.layer()
        original = weights.copy()
        result = bonsai.sparsegpt(weights, inputs=x, sparsity=0.25)
        self.assertTrue(np.array_equal(weights, original))
        self.assertEqual(int(np.count_nonzero(result.weights == 0)), weights.size // 4)
        self.assertEqual((result.kept, result.total), (weights.size - weights.size // 4,
                                                       weights.size))
        self.assertTrue(0 < result.relative_output_error < 1)
        self.assertTrue(np.isnan(bonsai.sparsegpt(weights, inputs=x,
                                                  output_error=False).relative_output_error))

    def test_torch_tensors_in_give_torch_tensors_with_the_numpy_bits(self):
        try:
            import torch
        except ImportError:
            print("SKIPPED test_torch_tensors_in_give_torch_tensors_with_the_numpy_bits: "
                  "torch is not installed", file=sys.stderr)
            return
        weights, x = self.layer()
        tensor = torch.from_numpy(weights.copy())
        for dtype, numpy_weights in ((torch.float32, weights),
                                     (torch.float16, weights.astype(np.float16)),
                                     (torch.bfloat16, None)):
            with self.subTest(dtype=str(dtype)):
                given = tensor.to(dtype)
                if numpy_weights is None:
                    numpy_weights = given.view(torch.int16).numpy().view(np.uint16)
                result = bonsai.sparsegpt(given, inputs=torch.from_numpy(x))
                expected = bonsai.sparsegpt(numpy_weights, inputs=x)
                self.assertIsInstance(result.weights, torch.Tensor)
                self.assertEqual(result.weights.dtype, dtype)
                self.assertEqual(result.weights.view(torch.int16 if dtype != torch.float32
                                                     else torch.int32).numpy().tobytes(),
                                 expected.weights.tobytes())
                self.assertEqual(result.relative_output_error, expected.relative_output_error)

    def test_progress_climbs_to_one_and_a_cancel_at_any_report_is_honoured(self):
        weights, x = self.layer()
        seen = []
        bonsai.sparsegpt(weights, inputs=x, block_size=16, progress=seen.append)
        self.assertEqual(seen, sorted(seen))
        self.assertEqual((seen[0], seen[-1]), (0.0, 1.0))
        for stop_at in range(1, len(seen) + 1):
            calls = []
            with self.assertRaises(bonsai.CancelledError):
                bonsai.sparsegpt(weights, inputs=x, block_size=16,
                                 cancel=lambda: calls.append(1) or len(calls) == stop_at)
            self.assertEqual(len(calls), stop_at)

    def test_exceptions_in_callbacks_are_raised_as_they_were(self):
        weights, x = self.layer()

        def failing_progress(fraction):
            if fraction > 0.5:
                raise ArithmeticError("from progress")

        with self.assertRaisesRegex(ArithmeticError, "from progress"):
            bonsai.sparsegpt(weights, inputs=x, block_size=16, progress=failing_progress)
        def failing_cancel():
            raise LookupError("from cancel")

        with self.assertRaisesRegex(LookupError, "from cancel"):
            bonsai.sparsegpt(weights, inputs=x, cancel=failing_cancel)

    def test_errors_carry_the_librarys_message(self):
        weights, x = self.layer()
        cases = [
            (bonsai.InvalidHessianError, "Hessian of shape [63, 63], expected [64, 64]",
             {"hessian": np.eye(63)}),
            (bonsai.InvalidHessianError, "non-finite Hessian",
             {"hessian": np.full((64, 64), np.nan)}),
            (bonsai.InvalidOptionError, "give exactly one of hessian", {}),
            (bonsai.InvalidOptionError, "give exactly one of hessian",
             {"inputs": x, "hessian": np.eye(64)}),
            (bonsai.InvalidOptionError, "block size 0 is invalid", {"inputs": x, "block_size": 0}),
            (bonsai.InvalidOptionError, "dampening -5.0 is invalid",
             {"inputs": x, "dampening": -5}),
            (bonsai.InvalidOptionError, "the pattern fixes the sparsity",
             {"inputs": x, "pattern": "2:4", "sparsity": 0.5}),
            (bonsai.InvalidOptionError, "block size 18446744073709551616 is above",
             {"inputs": x, "block_size": 2**64}),
        ]
        for kind, words, keywords in cases:
            with self.subTest(words=words):
                with self.assertRaises(kind) as caught:
                    bonsai.sparsegpt(weights, name="fc", **keywords)
                self.assertIn(words, str(caught.exception))
        with self.assertRaisesRegex(bonsai.InvalidShapeError, 'tensor "fc" is empty'):
            bonsai.sparsegpt(np.zeros((4, 0), dtype=np.float32), hessian=np.zeros((0, 0)),
                             name="fc")
        for keywords, words in [({"name": 5}, "name must be a str"),
                                ({"block_size": 1.5}, "block size must be an integer"),
                                ({"dampening": "0.1"}, "dampening must be a number"),
                                ({"hessian": np.eye(64, dtype=np.float16), "inputs": None},
                                 "hessian must be float32 or float64")]:
            with self.subTest(words=words):
                arguments = {"inputs": x, **keywords}
                with self.assertRaisesRegex(TypeError, words):
                    bonsai.sparsegpt(weights, **arguments)

    def test_cancelling_from_another_thread_returns_soon(self):
        # A layer that takes seconds: cancelled once the sweep has begun, the call returns
        # within a second (loosely timed; a checkpoint comes every few tens of ms).
        rng = np.random.default_rng(5)
        rows, n = 4096, 3072
        weights = rng.standard_normal((rows, n), dtype=np.float32)
        x = rng.standard_normal((256, n), dtype=np.float32)
        hessian = (x.T @ x).astype(np.float32) + np.eye(n, dtype=np.float32)
        original = weights.copy()
        stop = threading.Event()
        fractions = []
        outcome = {}

        def run():
            try:
                bonsai.sparsegpt(weights, hessian=hessian, progress=fractions.append,
                                 cancel=stop.is_set, threads=2)
                outcome["error"] = None
            except BaseException as error:  # noqa: B036 — examined below
                outcome["error"] = error
            outcome["returned"] = time.monotonic()

        worker = threading.Thread(target=run)
        worker.start()
        while not any(fraction > 0 for fraction in fractions) and worker.is_alive():
            time.sleep(0.002)
        cancelled = time.monotonic()
        stop.set()
        worker.join()
        self.assertIsInstance(outcome["error"], bonsai.CancelledError)
        self.assertLess(fractions[-1], 0.5, "the sweep was nearly done: too small a layer")
        self.assertLess(outcome["returned"] - cancelled, 1.0)
        self.assertTrue(np.array_equal(weights, original))


if __name__ == "__main__":
    unittest.main()
