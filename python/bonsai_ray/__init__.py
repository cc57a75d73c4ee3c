"""bonsai-ray: prune a sharded Hugging Face model folder on a Ray cluster, to the same bits
as `bonsai prune` on one machine.

Every task runs the `bonsai` executable (`bonsai shards …`) on the shards it names, which
every worker reads from a shared file system; this package only schedules the steps, passes
file names and moves nothing but small JSON documents. No pruning rule lives here: which
weights go is decided by `bonsai` alone.

Modules: `cli` (the `bonsai-ray` command), `driver` (the steps and their order), `tasks`
(what runs on the workers).
"""
