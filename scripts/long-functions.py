#!/usr/bin/env python3
"""Lists the production functions longer than a limit (docs/architecture.md "Conventions").

    scripts/long-functions.py [--max 80] [--check]

A function is the body of a definition at namespace or class scope in a .cpp file under src/ or
apps/ (tests, test support and benchmarks are not production code); its length counts the lines
from its opening brace to its closing one. A longer function is allowed when the comment above
it says why with the words "Long on purpose" (a route table, a list of schemas: one declaration
per line). With --check, exits 1 when any longer function lacks that reason.
"""
import argparse
import os
import re
import subprocess
import sys

MARKER = "Long on purpose"


def blank_out(src):
    """The source with comments, strings and character literals replaced by spaces (newlines
    kept), so that braces inside them do not count."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith('R"', i) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', src[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = src.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + re.sub(r"[^\n]", " ", src[i + 2 : j]))
            i = j
        elif c == '"' or (c == "'" and not (i > 0 and src[i - 1].isalnum() and i + 1 < n and src[i + 1].isalnum())):
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", src[i + 1 : j]) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path, limit):
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    s = blank_out(text)
    stack = []  # (kind, line of the opening brace, name)
    last = 0
    found = []
    for m in re.finditer(r"[{};]", s):
        pos = m.start()
        if m.group() == ";":
            last = pos + 1
            continue
        if m.group() == "{":
            head = " ".join(s[last:pos].split())
            line = s.count("\n", 0, pos) + 1
            outer_ok = all(k in ("ns", "cls") for k, _, _ in stack)
            if re.search(r"\bnamespace\b", head) or head.startswith('extern "C"'):
                kind = "ns"
            elif re.search(r"\b(class|struct|union|enum)\b[^()]*$", head):
                kind = "cls"
            elif outer_ok and "(" in head and not re.search(r"=\s*$", head):
                kind = "fn"
            else:
                kind = "blk"
            name = re.sub(r"\s*\(.*", "", head).split(" ")[-1] if kind == "fn" else ""
            stack.append((kind, line, name))
        elif stack:
            kind, first, name = stack.pop()
            if kind == "fn":
                length = s.count("\n", 0, pos) + 1 - first + 1
                if length > limit:
                    above = "\n".join(lines[max(0, first - 14) : first])
                    found.append((length, path, first, name, MARKER in above))
        last = pos + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max", type=int, default=80)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = parser.parse_args()
    files = subprocess.run(["git", "-C", args.root, "ls-files", "src", "apps"], capture_output=True, text=True,
                           check=True).stdout.split()
    found = []
    for f in files:
        if not f.endswith(".cpp") or re.search(r"test\.cpp$", f) or "/testing/" in f:
            continue
        found += long_functions(os.path.join(args.root, f), args.max)
    missing = 0
    for length, path, line, name, reasoned in sorted(found, reverse=True):
        rel = os.path.relpath(path, args.root)
        print(f"{length:4d} {rel}:{line} {name}{'' if reasoned else '  (no reason given)'}")
        missing += not reasoned
    if args.check and missing:
        print(f"{missing} function(s) over {args.max} lines without a '{MARKER}' reason in the comment above",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
