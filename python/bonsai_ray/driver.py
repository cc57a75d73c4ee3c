"""The steps of `bonsai-ray prune` and their order, on a Ray cluster.

1. `bonsai shards plan` (one task) checks the options and paths as `bonsai prune` would and
   lists the shards.
2. With `--pair`: `bonsai shards channels` for every channel group (one task each, reading
   that group's producers and consumer, wherever they lie). With `--scope global`: `bonsai shards count` on every shard (upper 16 bits of every
   ranking key), `bonsai shards cut` (the bin holding the k-th key), `count --bin` on every
   shard (the lower 16 bits inside that bin, per tensor), `cut` again: the threshold key and
   each tensor's share of the ties — exactly the cut `bonsai prune` makes on one machine.
3. `bonsai shards prune` on every shard, into a work folder next to OUTDIR.
4. `bonsai shards finish` (one task) links the shards into a temporary folder next to OUTDIR
   with the index and every other file, renames it into place, then removes them from the
   work folder (a finish that fails or is retried finds them there).

The work folder (`.OUTDIR.bonsai-ray-…`, next to OUTDIR, on the shared file system) holds
the counts, the cut and the pruned shards; it is removed at the end whatever happens, so a
failed run leaves nothing under OUTDIR and nothing beside it. A folder that cannot be
pruned shard by shard (`--report`, which lists every tensor) is pruned by one task running
`bonsai prune` itself.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from bonsai_progress import Progress
from bonsai_ray import tasks


class StepFailed(Exception):
    """A `bonsai` step failed; `message` is its error, `returncode` its exit status."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.message = message
        self.returncode = returncode


@dataclass
class RunOptions:
    """One `bonsai-ray prune` run."""

    output: str
    prune_arguments: list[str]  # DIR, then the options of `bonsai prune`, -o OUTDIR included
    bonsai: str = "bonsai"
    address: Optional[str] = None
    num_cpus: Optional[int] = None
    max_retries: int = 3
    dry_run: bool = False
    quiet: bool = False
    cwd: str = field(default_factory=os.getcwd)


def prune(options: RunOptions) -> None:
    """Prunes `options.folder` into `options.output` on the cluster; raises `StepFailed`."""
    import ray

    started = not ray.is_initialized()
    if started:
        # "local" starts a new cluster of this machine even when another one runs here.
        ray.init(address=options.address or "local", num_cpus=options.num_cpus,
                 include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    try:
        ray.cloudpickle.register_pickle_by_value(tasks)
        _Run(options, ray).run()
    finally:
        if started:
            ray.shutdown()


class _Run:
    """The steps of one run, on a connected cluster."""

    def __init__(self, options: RunOptions, ray: Any) -> None:
        self.options = options
        self.ray = ray
        self.remote = ray.remote(num_cpus=1, max_retries=options.max_retries,
                                 retry_exceptions=True)(tasks.run_bonsai)
        self.progress: Optional[Progress] = None

    def run(self) -> None:
        """Plans, then prunes shard by shard (or in one task), then assembles OUTDIR."""
        plan = json.loads(self.step(["shards", "plan", *self.options.prune_arguments]))
        if not self.options.quiet:
            print(plan["plan"], end="", file=sys.stderr)
        if self.options.dry_run:
            return
        if plan.get("unsplittable"):
            self.say(f"pruned by one task: {plan['unsplittable']}")
            self.progress = Progress(1, self.options.quiet, "bonsai-ray", "task")
            self.wait([("prune", ["prune", *self.options.prune_arguments, "--quiet"])])
            self.progress.close()
            return
        shards = plan["shards"]
        groups = plan.get("groups", 0)
        steps = len(shards) + 1 + groups + (2 * len(shards) + 2 if plan["global"] else 0)
        work = self.work_folder()
        try:
            self.progress = Progress(steps, self.options.quiet, "bonsai-ray", "task")
            into = os.path.join(work, "shards")
            os.mkdir(into)
            cut = ["--cut", self.global_cut(shards, work)] if plan["global"] else []
            channels = self.channels(groups, work)
            self.wait([
                (f"prune {shard}",
                 ["shards", "prune", "--shard", shard, "--into", into, *cut, *channels,
                  *self.options.prune_arguments])
                for shard in shards])
            self.wait([("finish", ["shards", "finish", "--from", into,
                                   *self.options.prune_arguments])])
        finally:
            if self.progress is not None:
                self.progress.close()
            shutil.rmtree(work, ignore_errors=True)
        self.say(f"wrote {self.options.output}")

    def global_cut(self, shards: list[str], work: str) -> str:
        """Counts every shard, refines inside the bin holding the k-th key, and returns the
        path of the cut."""
        cut_path = os.path.join(work, "cut.json")
        files: dict[str, list[str]] = {"counts": [], "refined": []}
        bin_option: list[str] = []
        for kind in ("counts", "refined"):
            files[kind] = [os.path.join(work, f"{kind}-{index}.json") for index in range(len(shards))]
            self.wait([
                (f"count {shard}",
                 ["shards", "count", "--shard", shard, "-o", path, *bin_option,
                  *self.options.prune_arguments])
                for shard, path in zip(shards, files[kind])])
            answer = json.loads(self.step(
                ["shards", "cut", *[f"--counts={path}" for path in files["counts"]],
                 *[f"--refined={path}" for path in files["refined"]], "-o", cut_path,
                 *self.options.prune_arguments], label="cut"))
            if answer.get("cut"):
                if kind == "counts":
                    # Nothing or everything pruned: no second round.
                    for _ in range(len(shards) + 1):
                        self.progress.advance("cut known")
                return cut_path
            bin_option = ["--bin", str(answer["refine"])]
        raise StepFailed("bonsai-ray: the counts inside the refined bin did not pin the cut", 1)

    def channels(self, groups: int, work: str) -> list[str]:
        """Chooses the channels of every `--pair` group, one task per group (each reads its
        group's members only), and returns the `--channels` options of the pruning tasks."""
        paths = [os.path.join(work, f"channels-{group}.json") for group in range(groups)]
        self.wait([
            (f"channels of group {group}",
             ["shards", "channels", "--group", str(group), "-o", path,
              *self.options.prune_arguments])
            for group, path in enumerate(paths)])
        return [option for path in paths for option in ("--channels", path)]

    def work_folder(self) -> str:
        """Creates the work folder next to OUTDIR (on its file system, so that the shards
        are moved into OUTDIR, not copied)."""
        output = os.path.abspath(os.path.join(self.options.cwd, self.options.output))
        parent, name = os.path.split(output.rstrip("/"))
        work = os.path.join(parent, f".{name}.bonsai-ray-{uuid.uuid4().hex[:12]}")
        try:
            os.mkdir(work)
        except OSError as error:
            raise StepFailed(f"bonsai-ray: cannot create the work folder {work}: {error.strerror}", 1)
        return work

    def step(self, arguments: list[str], label: Optional[str] = None) -> str:
        """Runs one `bonsai` command line as a task and returns its stdout."""
        return self.wait([(label, arguments)])[0]

    def wait(self, steps: list[tuple[Optional[str], list[str]]]) -> list[str]:
        """Runs the command lines as tasks at once and returns their stdouts in order; the
        first failure cancels the rest and raises `StepFailed` with its message."""
        refs = [self.remote.remote(self.options.bonsai, arguments, self.options.cwd)
                for _, arguments in steps]
        labels = {ref: label for ref, (label, _) in zip(refs, steps)}
        outputs: dict[Any, str] = {}
        pending = list(refs)
        try:
            while pending:
                ready, pending = self.ray.wait(pending, num_returns=1)
                outputs[ready[0]] = self.output_of(ready[0])
                if labels[ready[0]] is not None and self.progress is not None:
                    self.progress.advance(labels[ready[0]])
        except BaseException:
            for ref in pending:
                self.ray.cancel(ref, force=True)
            raise
        return [outputs[ref] for ref in refs]

    def output_of(self, ref: Any) -> str:
        """The stdout of a finished task, or `StepFailed` with `bonsai`'s own message."""
        try:
            result = self.ray.get(ref)
        except self.ray.exceptions.RayError as error:
            raise StepFailed(f"bonsai-ray: a task failed after {self.options.max_retries} retries: "
                             f"{str(error).strip().splitlines()[-1]}", 1)
        if result.returncode != 0:
            message = result.stderr.strip() or f"{' '.join(result.command)} exited with {result.returncode}"
            raise StepFailed(message, result.returncode)
        return result.stdout

    def say(self, message: str) -> None:
        """A line on stderr, unless --quiet."""
        if not self.options.quiet:
            print(f"bonsai-ray: {message}", file=sys.stderr)

