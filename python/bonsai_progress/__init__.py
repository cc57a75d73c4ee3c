"""A progress bar on stderr for Bonsai's Python commands (bonsai-ray, bonsai-calibrate):
tqdm when it is installed, else one plain line per step; nothing when quiet."""
from __future__ import annotations

import sys


class Progress:
    """Counts `total` steps of the command `name`, each step counted one `unit`."""

    def __init__(self, total: int, quiet: bool, name: str, unit: str) -> None:
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.name = name
        self.bar = None
        if not quiet:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, unit=unit, desc=name, file=sys.stderr)
            except ImportError:
                pass

    def advance(self, label: str) -> None:
        """Counts one more step as done, labelled `label`."""
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=False)
            self.bar.update(1)
        elif not self.quiet:
            print(f"{self.name}: {self.done}/{self.total} {label}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Ends the bar."""
        if self.bar is not None:
            self.bar.close()
