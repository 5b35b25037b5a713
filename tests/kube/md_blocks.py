#!/usr/bin/env python3
"""md_blocks.py FILE.md OUTDIR: the fenced shell blocks of a Markdown file, for t6903.

Every block fenced with ``` or ~~~ whose info string starts with sh, bash or shell is written to
OUTDIR/NNN.sh, and one line per block is printed:

    NNN LINE run                    the block runs
    NNN LINE no-test REASON         info string `sh no-test: REASON` (the reason is required)
    NNN LINE bad WHAT               a marker this does not understand, or no-test without a reason

Blocks of other languages (yaml, c, text, none) are documentation, not commands.
"""
import os
import re
import sys

SHELLS = ("sh", "bash", "shell")


def blocks(path):
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^( {0,3})(`{3,}|~{3,})\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        start = i + 1
        body = []
        i += 1
        while i < len(lines):
            c = re.match(r"^ {0,3}(`{3,}|~{3,})\s*$", lines[i])
            if c and c.group(1)[0] == fence[0] and len(c.group(1)) >= len(fence):
                break
            ln = lines[i]
            body.append(ln[indent:] if ln[:indent].strip() == "" else ln)
            i += 1
        i += 1
        yield start, info, "\n".join(body) + "\n"


def main(path, out):
    os.makedirs(out, exist_ok=True)
    n = 0
    for line, info, body in blocks(path):
        words = info.split(None, 1)
        if not words or words[0] not in SHELLS:
            continue
        n += 1
        name = "%03d" % n
        with open(os.path.join(out, name + ".sh"), "w") as f:
            f.write(body)
        rest = words[1].strip() if len(words) > 1 else ""
        if not rest:
            print(name, line, "run")
        elif rest.startswith("no-test:") and rest[len("no-test:"):].strip():
            print(name, line, "no-test", rest[len("no-test:"):].strip())
        elif rest.startswith("no-test"):
            print(name, line, "bad", "'no-test' needs a reason: ```sh no-test: <why>")
        else:
            print(name, line, "bad", "unknown info string '%s' (only 'no-test: <why>')" % info)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
