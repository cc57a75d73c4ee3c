"""The `bonsai-ray` command:

    bonsai-ray prune DIR -o OUTDIR [options of bonsai prune] [--address ADDR]
                     [--bonsai PATH] [--num-cpus N] [--max-retries N]

prunes the model folder DIR into OUTDIR on a Ray cluster — a new local one, or the one at
ADDR — to the same bits as `bonsai prune DIR -o OUTDIR` with the same options. Every option
it does not know is passed to `bonsai` as it is, in order.
"""
from __future__ import annotations

import argparse
import signal
import sys
from typing import Optional

from bonsai_ray.driver import RunOptions, StepFailed, prune


def parser() -> argparse.ArgumentParser:
    """The command line of `bonsai-ray`."""
    root = argparse.ArgumentParser(
        prog="bonsai-ray",
        description="Prune a sharded model folder on a Ray cluster, to the same bits as bonsai prune.")
    commands = root.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "prune", allow_abbrev=False,
        usage=("bonsai-ray prune DIR -o OUTDIR [options of bonsai prune] [--address ADDR] "
               "[--bonsai PATH] [--num-cpus N] [--max-retries N] [--dry-run] [--quiet]"),
        help="prune DIR into OUTDIR: bonsai prune's options, run shard by shard on Ray",
        description=(
            "Prune the model folder DIR into OUTDIR on a Ray cluster. Every option not listed "
            "here is an option of `bonsai prune` and passed to it as it is (see bonsai prune "
            "--help). DIR, OUTDIR and every file the options name must be on a file system "
            "every worker reaches under the same path."))
    command.add_argument("-o", "--output", metavar="OUTDIR", help="the pruned folder (created whole at the end)")
    command.add_argument("--address", metavar="ADDR", help="join the Ray cluster at this address (default: start "
                         "a local one)")
    command.add_argument("--bonsai", default="bonsai", metavar="PATH",
                         help="the bonsai executable on the workers (default: bonsai on PATH)")
    command.add_argument("--num-cpus", type=int, metavar="N", help="CPUs of the local cluster (default: all)")
    command.add_argument("--max-retries", type=int, default=3, metavar="N",
                         help="how often Ray retries a task whose worker died (default 3)")
    command.add_argument("--dry-run", action="store_true",
                         help="only print which tensors would be pruned")
    command.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return root


def main(argv: Optional[list[str]] = None) -> None:
    """Runs `bonsai-ray`; exits with bonsai's status on failure (64 for usage errors)."""
    arguments, passed = parser().parse_known_args(argv)
    if arguments.output is None and not arguments.dry_run:
        sys.exit("bonsai-ray: error: missing -o OUTDIR: where should the pruned folder go?")
    prune_arguments = [*passed, *(["-o", arguments.output] if arguments.output else []),
                       *(["--dry-run"] if arguments.dry_run else []),
                       *(["--quiet"] if arguments.quiet else [])]
    options = RunOptions(
        output=arguments.output or "", prune_arguments=prune_arguments, bonsai=arguments.bonsai,
        address=arguments.address, num_cpus=arguments.num_cpus,
        max_retries=arguments.max_retries, dry_run=arguments.dry_run, quiet=arguments.quiet)
    # A terminated driver unwinds like an interrupted one: its work folder is removed.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        prune(options)
    except StepFailed as failure:
        print(failure.message, file=sys.stderr)
        sys.exit(failure.returncode if 0 < failure.returncode < 256 else 1)
    except KeyboardInterrupt:
        sys.exit("bonsai-ray: interrupted; nothing was written")
