#!/usr/bin/env python3
"""Size rules for the project's own (non-test) C++ sources (STYLE.md):

  - no file over 600 lines;
  - no function body over 80 lines (from its opening brace to its closing one).

Functions are found by a small brace scanner (comments, strings and
preprocessor lines removed): a brace opened at namespace or class scope after a
parenthesised signature is a function body; lambdas and blocks inside it count
towards it. Prints every offender as file:line and exits 1 if there is one.

  tests/tree/size_test.py [REPO_ROOT]
"""
import re
import subprocess
import sys

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
SOURCE_DIRS = ("lib/", "daemon/", "client/", "proto/", "integrations/")


def strip_code(text):
    """Blanks comments, string and char literals and preprocessor lines,
    keeping every newline so that line numbers stay right."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and not (text[i] == "\n" and text[i - 1] != "\\"):
                i += 1
            continue
        if c == "\n":
            out.append(c)
            at_line_start = True
            i += 1
            continue
        if c in " \t":
            out.append(c)
            i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
            continue
        raw = re.match(r'R"([^(\s]*)\(', text[i:i + 20])
        if raw:
            close = ")" + raw.group(1) + '"'
            end = text.find(close, i)
            end = n if end < 0 else end + len(close)
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
            continue
        if c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():
                out.append(" ")  # a digit separator: 1'000'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


SCOPE_HEADER = re.compile(
    r"^(template\s*<.*>\s*)?(inline\s+)?(namespace\b[^(=]*|(class|struct|union)\b[^(=]*|"
    r'extern\s*""\s*)$', re.S)


def classify(header):
    header = " ".join(header.split())
    if SCOPE_HEADER.match(header):
        return "scope"
    if "(" in header and ")" in header and not re.search(r"(^|[^=!<>])=([^=]|$)", header.split("(")[0]):
        return "function"
    return "other"


def long_functions(path, code):
    stack = []  # (kind, line of the opening brace)
    header_start = 0
    line = 1
    found = []
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            at_scope = all(kind == "scope" for kind, _ in stack)
            kind = classify(code[header_start:i]) if at_scope else "inner"
            stack.append((kind, line))
            header_start = i + 1
        elif c == "}":
            if not stack:
                continue
            kind, opened = stack.pop()
            if kind == "function" and line - opened + 1 > MAX_FUNCTION_LINES:
                found.append((opened, line - opened + 1))
            header_start = i + 1
        elif c == ";":
            header_start = i + 1
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = subprocess.run(["git", "-C", root, "ls-files", "--", *SOURCE_DIRS],
                           check=True, capture_output=True, text=True).stdout.split()
    failures = []
    for path in files:
        if not path.endswith((".h", ".cc")):
            continue
        with open(f"{root}/{path}", encoding="utf-8") as f:
            text = f.read()
        lines = text.count("\n")
        if lines > MAX_FILE_LINES:
            failures.append(f"{path}: {lines} lines (at most {MAX_FILE_LINES}): split it along its seams")
        for opened, length in long_functions(path, strip_code(text)):
            failures.append(f"{path}:{opened}: a function of {length} lines "
                            f"(at most {MAX_FUNCTION_LINES}): split it or write it as helpers")
    for failure in failures:
        print("size:", failure)
    if failures:
        return 1
    print(f"size: ok ({len(files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
