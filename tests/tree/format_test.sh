#!/usr/bin/env bash
# Every tracked C++ file is formatted as .clang-format says (`make format`
# fixes them). Prints the files that are not, with clang-format's first
# complaint about each.
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z "$format" ]]; then
  echo "format: clang-format is not installed (make deps installs it)" >&2
  exit 1
fi
bad=0
while IFS= read -r file; do
  if ! out=$("$format" --dry-run -Werror "$file" 2>&1); then
    echo "format: $file is not formatted (make format):"
    echo "$out" | head -3 | sed 's/^/  /'
    bad=$((bad + 1))
  fi
done < <(git ls-files '*.h' '*.cc')
if [[ $bad -ne 0 ]]; then
  echo "format: $bad file(s) to format"
  exit 1
fi
echo "format: ok"
