"""What the interop scripts share: counting checks and running the built `bonsai` binary."""
import subprocess
import sys


class Checks:
    """Counts passed checks, prints and collects failed ones."""

    def __init__(self, bonsai):
        self.bonsai = bonsai
        self.passes = 0
        self.failures = []

    def check(self, condition, what):
        if condition:
            self.passes += 1
        else:
            self.failures.append(what)
            print(f"FAIL: {what}", file=sys.stderr)

    def run(self, *args):
        """bonsai's standard output; a failed run stops the script."""
        result = subprocess.run([self.bonsai, *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"bonsai {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def finish(self, title):
        print(f"{title}: {self.passes} passed, {len(self.failures)} failed")
        sys.exit(1 if self.failures else 0)
