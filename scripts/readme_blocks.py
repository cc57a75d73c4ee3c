"""Prints a code block of README.md, so that tests run the README's examples verbatim.

Usage: readme_blocks.py SECTION LANGUAGE [INDEX]
prints the INDEX-th (default 0) block fenced as ```LANGUAGE under the heading "## SECTION".
"""

import re
import sys
from pathlib import Path


def block(section, language, index=0):
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```$", body, re.S | re.M)[index]


if __name__ == "__main__":
    sys.stdout.write(block(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0))
