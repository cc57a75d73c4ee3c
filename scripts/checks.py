"""What the Python checks share: counting the checks that pass and fail, and running the
built `bonsai` binary, whose path is the script's first argument."""
import subprocess
import sys

BONSAI = sys.argv[1]
failures = []
passes = []


def check(condition, what):
    """Counts `what` as passed when `condition` holds, else prints it as a failure."""
    if condition:
        passes.append(what)
    else:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def run(*args):
    """Runs `bonsai ARGS…` and returns its standard output; stops on failure."""
    result = subprocess.run([BONSAI, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"bonsai {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def finish(name):
    """Prints `NAME: N passed, N failed` and exits, non-zero when a check failed."""
    print(f"{name}: {len(passes)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)
