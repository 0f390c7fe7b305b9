#!/usr/bin/python3
"""Pull the runnable pieces out of a markdown page, in order.

usage: doc_blocks.py PAGE.md

Prints one record per line, tab-separated:
  cmd<TAB>LINE<TAB>command        each line of a ```sh block (comments and
                                  blank lines left out)
  file<TAB>LINE<TAB>NAME<TAB>B64  an ```ini block whose first line is
                                  "# file: NAME" (content base64)
Other fenced blocks are examples and are skipped.
"""
import base64
import re
import sys

path = sys.argv[1]
lines = open(path, encoding="utf-8").read().split("\n")
i = 0
while i < len(lines):
    m = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
    if not m:
        i += 1
        continue
    indent, lang = m.group(1), m.group(2)
    start = i + 1
    j = start
    while j < len(lines) and lines[j].strip() != "```":
        j += 1
    body = [l[len(indent):] if l.startswith(indent) else l for l in lines[start:j]]
    if lang == "sh":
        for k, l in enumerate(body):
            s = l.strip()
            if s and not s.startswith("#"):
                print("cmd\t%d\t%s" % (start + k + 1, s))
    elif lang == "ini" and body and body[0].startswith("# file: "):
        name = body[0][len("# file: "):].strip()
        data = ("\n".join(body) + "\n").encode()
        print("file\t%d\t%s\t%s" % (start, name, base64.b64encode(data).decode()))
    i = j + 1
