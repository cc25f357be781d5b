#!/bin/bash
# static-tidy: clang-tidy with the checked-in .clang-tidy over every C file
# that the build compiles, with the compile flags of the meson build
# directory (compile_commands.json). Any finding fails the test; a false
# positive is silenced at its line with `// NOLINT(check): reason`.
#
# Files are checked in parallel, WARD_TIDY_JOBS at a time (default: the
# number of CPUs); WARD_CLANG_TIDY names the binary (e.g. clang-tidy-14).
. "$(dirname "$0")/lib.sh"

CLANG_TIDY=${WARD_CLANG_TIDY:-clang-tidy}
need "$CLANG_TIDY" clang-tidy
db=$BUILD/compile_commands.json
[ -f "$db" ] || { echo "static-tidy: $db is missing: configure the build first (meson setup)" >&2; exit 1; }

# The files the build compiles, as absolute paths (meson writes them
# relative to the build directory).
declare -A built=()
while IFS= read -r f; do
  case $f in /*) ;; *) f=$BUILD/$f ;; esac
  built[$(realpath -m "$f")]=1
done < <(sed -n 's/^ *"file": *"\(.*\)",\{0,1\} *$/\1/p' "$db")

files=()
while IFS= read -r f; do
  if [ -n "${built[$(realpath -m "$SRC/$f")]:-}" ]; then
    files+=("$SRC/$f")
  else
    echo "static-tidy: $f is not compiled by this build, not checked" >&2
  fi
done < <(c_files '*.c')
[ ${#files[@]} -gt 0 ] || { echo "static-tidy: no C file of the build found" >&2; exit 1; }

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# One clang-tidy per file; each writes its own log, so that parallel runs
# do not interleave. -Wno-unknown-warning-option: the flags are gcc's.
tidy_one() {
  local log
  log=$logs/$(printf '%s' "$1" | tr '/' '_').log
  "$CLANG_TIDY" -p "$BUILD" --quiet --extra-arg=-Wno-unknown-warning-option "$1" >"$log" 2>&1 ||
    printf '%s\n' "$1" >>"$logs/failed"
}
export -f tidy_one
export CLANG_TIDY BUILD logs
jobs=${WARD_TIDY_JOBS:-$(nproc 2>/dev/null || echo 2)}
printf '%s\0' "${files[@]}" | xargs -0 -r -n 1 -P "$jobs" bash -c 'tidy_one "$1"' tidy_one

if [ -s "$logs/failed" ]; then
  while IFS= read -r f; do
    echo "---- ${f#"$SRC"/}"
    grep -v ' warnings\{0,1\} generated\.$' "$logs/$(printf '%s' "$f" | tr '/' '_').log"
  done < <(LC_ALL=C sort "$logs/failed")
  echo "static-tidy: findings (each once):" >&2
  cat "$logs"/*.log | grep -E ': (warning|error): ' | sed "s|$BUILD/\.\./||; s|$SRC/||" | LC_ALL=C sort -u >&2
  exit 1
fi
echo "static-tidy: ${#files[@]} files, no finding"
