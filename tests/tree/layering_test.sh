#!/usr/bin/env bash
# The layers of ARCHITECTURE.md, checked on every tracked source file:
#   - lib/ and daemon/core/ include no gRPC and no generated protobuf header;
#   - daemon/core/ includes nothing of daemon/service/ or of client/;
#   - daemon/store/ includes no gRPC or protobuf, and SQL stays in the store:
#     daemon/core/ includes no SQLite and, of the store, only its journal and
#     rows (the interface the core calls);
#   - nothing outside lib/ includes lib/src/ (shared headers live under
#     lib/include/hother/cancelable/internal/).
# Prints every offending line as file:line: include, and which rule it breaks.
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"

failed=0
# check DESCRIPTION PATHSPEC... -- PATTERN: every #include matching PATTERN
# in the files of PATHSPEC is a violation.
check() {
  local rule="$1" pattern="$2"
  shift 2
  local hits
  hits=$(git ls-files -- "$@" | grep -E '\.(h|cc)$' |
         xargs -r grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" || true)
  if [[ -n "$hits" ]]; then
    echo "layering: $rule:"
    echo "$hits" | sed 's/^/  /'
    failed=1
  fi
}

grpc='grpc/|grpcpp/|grpc\+\+/|google/protobuf/|[^">]*\.pb\.h'
check "lib/ must not include gRPC or protobuf" "$grpc" 'lib/'
check "daemon/core/ must not include gRPC or protobuf" "$grpc" 'daemon/core/'
check "daemon/core/ must not include daemon/service/ or client/" \
  'daemon/service/|client/|hother/cancelable/client/' 'daemon/core/'
check "daemon/store/ must not include gRPC or protobuf" "$grpc" 'daemon/store/'
check "daemon/core/ must not include SQLite or the store's backends" \
  'sqlite3\.h|daemon/store/(store|backend|sqlite_backend|memory_backend|state_dir)\.h' 'daemon/core/'
check "only lib/ may include lib/src/" 'lib/src/' ':!lib/'

if [[ $failed -ne 0 ]]; then exit 1; fi
echo "layering: ok"
