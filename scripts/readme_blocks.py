"""The code blocks of README.md and docs/*.md, so that tests run the documentation's examples
verbatim.

Usage:
  readme_blocks.py run c|python FOLDER --at-least N
      runs, in FOLDER, every example program of that language in README.md and docs/*.md and
      checks that it prints exactly the ```text block that follows it; fails when fewer than N
      ran, so that a moved or renamed example cannot pass by running nothing.
      A ```c block is written to FOLDER/example.c and built and run by the first ```sh block
      after it in its section; a ```python block runs with `python3 -c`.
"""

import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def documents():
    """README.md, then docs/*.md in name order, as paths relative to the package root."""
    return [Path("README.md")] + sorted(p.relative_to(ROOT) for p in (ROOT / "docs").glob("*.md"))


def fenced_blocks(path):
    """(section, language, code) of every fenced block of the file, in order. The section is
    the nearest heading before the block (its ordinal and text): a line starting with '#'
    outside every block, so that a shell comment inside one is not taken for a heading."""
    found, section, current = [], (0, ""), None
    for line in (ROOT / path).read_text().splitlines(True):
        if current is not None:
            if line.rstrip("\n") == "```":
                found.append((section, current[0], "".join(current[1])))
                current = None
            else:
                current[1].append(line)
        elif line.startswith("```"):
            current = (line[3:].strip(), [])
        elif re.match(r"#+ ", line):
            section = (section[0] + 1, line.lstrip("#").strip())
    if current is not None:
        sys.exit(f"readme_blocks: {path}: a code block that is never closed")
    return found


def examples(language):
    """(where, program, build, expected output) of every LANGUAGE example: a C program's
    build is the first sh block after it in its section, the output the first text block
    after that; a Python program's output is the first text block after it."""
    found = []
    for path in documents():
        fenced = fenced_blocks(path)
        for index, (section, lang, code) in enumerate(fenced):
            if lang != language:
                continue
            where = f"{path}, {section[1]!r}"
            rest = [(later, text) for (sec, later, text) in fenced[index + 1:] if sec == section]
            build = None
            if language == "c":
                builds = [i for i, (later, _) in enumerate(rest) if later == "sh"]
                if not builds:
                    sys.exit(f"readme_blocks: {where}: a c block with no sh block after it")
                build, rest = rest[builds[0]][1], rest[builds[0]:]
            output = next((text for later, text in rest if later == "text"), None)
            if output is None:
                sys.exit(f"readme_blocks: {where}: a {language} block with no text block after it")
            found.append((where, code, build, output))
    return found


def run(language, folder, at_least):
    """Runs every LANGUAGE example in FOLDER; returns the number that ran, all as written."""
    ran = examples(language)
    for where, code, build, expected in ran:
        if language == "c":
            (Path(folder) / "example.c").write_text(code)
            command = ["bash", "-c", build]
        else:
            command = [sys.executable, "-c", code]
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"readme_blocks: the {language} example of {where} failed "
                     f"(status {result.returncode}):\n{result.stderr}")
        if result.stdout != expected:
            diff = difflib.unified_diff(expected.splitlines(True), result.stdout.splitlines(True),
                                        "documented", "printed")
            sys.exit(f"readme_blocks: the {language} example of {where} printed otherwise:\n"
                     + "".join(diff))
        print(f"readme_blocks: ran the {language} example of {where} as written", file=sys.stderr)
    if len(ran) < at_least:
        sys.exit(f"readme_blocks: {len(ran)} {language} examples ran, expected at least {at_least}")
    return len(ran)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["run"] and len(arguments) == 5 and arguments[3] == "--at-least":
        run(arguments[1], arguments[2], int(arguments[4]))
    else:
        sys.exit(__doc__)
