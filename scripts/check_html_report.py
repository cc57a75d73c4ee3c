#!/usr/bin/env python3
"""Renders the HTML reports of the demo model in headless Chromium and checks them.

Usage: check_html_report.py PATH/TO/bonsai

Writes the demo checkpoint, prunes it with `--report-html` and reports the pruned file with
`report --html`; then, for each page, opens it once with every tensor open (`#open-all`),
dumping the DOM and taking a screenshot, and checks that the page's script ran without an error and drew every tensor's pictures, that
nothing is wider than a 1366-pixel window, and that a 1366 x 900 screenshot is not blank
(it has many colours and ink on a good part of it). Screenshots are left in
.build/html-report/ to look at.
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

WINDOW = (1366, 900)


def chromium(*arguments):
    """Runs headless Chromium and returns (stdout, stderr)."""
    command = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}", "--enable-logging=stderr", "--v=0",
        *arguments,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"chromium failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout, result.stderr


def png_pixels(path):
    """The (width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, unfiltered."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + predictor) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def check_screenshot(path):
    width, height, channels, rows = png_pixels(path)
    assert (width, height) == WINDOW, f"screenshot is {width} x {height}"
    colours, inked, sampled = set(), 0, 0
    for row in rows[::3]:
        for x in range(0, width * channels, channels * 3):
            pixel = row[x:x + 3]
            colours.add(pixel)
            sampled += 1
            inked += min(pixel) < 235
    assert len(colours) >= 40, f"only {len(colours)} colours: is the page blank?"
    assert inked / sampled >= 0.05, f"only {100 * inked / sampled:.1f}% of the page has ink"
    return len(colours), inked / sampled


def check_page(page, screenshot):
    dom, log = chromium("--dump-dom", f"--screenshot={screenshot}", f"file://{page}#open-all")
    root = re.search(r"<html[^>]*>", dom).group(0)
    errors = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not errors, f"{page}: console messages: {errors}"
    assert 'data-script="ready"' in root, f"{page}: the page's script did not finish: {root}"
    assert "data-script-error" not in root, f"{page}: script error: {root}"
    width = int(re.search(r'data-scroll-width="(\d+)"', root).group(1))
    assert width <= WINDOW[0], f"{page}: {width} pixels wide, wider than the window"
    pictured = len(re.findall(r"<details[^>]*data-picture=", dom))
    drawn = len(re.findall(r'<details[^>]*data-drawn="yes"', dom))
    figures = len(re.findall(r"<figure>", dom))
    assert pictured > 0 and drawn == pictured, f"{page}: {drawn} of {pictured} tensors drawn"
    assert figures == 5 * pictured, f"{page}: {figures} pictures for {pictured} tensors"
    colours, ink = check_screenshot(screenshot)
    print(f"html report: {os.path.basename(page)}: {drawn} tensors drawn, no script errors, "
          f"{width} px wide; screenshot {colours} colours, {100 * ink:.0f}% ink")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bonsai = os.path.abspath(sys.argv[1])
    shots = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "html-report")
    os.makedirs(shots, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="bonsai-html-")
    try:
        run = lambda *arguments: subprocess.run([bonsai, *arguments], check=True, stdout=subprocess.DEVNULL)
        run("demo", "--folder", folder)
        example = os.path.join(folder, "example.safetensors")
        pruned = os.path.join(folder, "pruned.safetensors")
        prune_page = os.path.join(folder, "prune.html")
        report_page = os.path.join(folder, "report.html")
        run("prune", example, "-o", pruned, "--scope", "global", "--sparsity", "0.5",
            "--report-html", prune_page, "--quiet", "--no-sync")
        run("report", pruned, "--html", report_page)
        check_page(prune_page, os.path.join(shots, "prune.png"))
        check_page(report_page, os.path.join(shots, "report.png"))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
