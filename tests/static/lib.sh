# Shared by the static checks (tests/static/*.sh): where the source tree and
# the build directory are, and which C files are ward's own.
#
# The files are the .c and .h files under src/, tests/, bench/ and fuzz/:
# in a git checkout those git tracks (a new file counts once it is added),
# else whatever a find over those directories gives. Generated files live in
# the build directory and are never in the list.
#
# Exit codes follow the automake/meson convention: 0 pass, 1 fail, 77 skip.

set -u

SRC=${WARD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${WARD_BUILD_DIR:-$SRC/build}
T_NAME=$(basename "$0" .sh)
STATIC_DIRS=(src tests bench fuzz)

skip() {
  echo "SKIP [static-$T_NAME]: $*" >&2
  exit 77
}

# need TOOL: skips the test when TOOL is not installed.
need() {
  command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package: ${2:-$1})"
}

# c_files [PATTERN...]: the C files, one per line, relative to $SRC and
# sorted; by default every .c and .h file.
c_files() {
  local pats=("$@") d p
  [ ${#pats[@]} -gt 0 ] || pats=('*.c' '*.h')
  if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    local specs=()
    for d in "${STATIC_DIRS[@]}"; do
      for p in "${pats[@]}"; do specs+=("$d/$p"); done
    done
    # A file deleted in the work tree but still in the index is skipped.
    git -C "$SRC" ls-files -- "${specs[@]}" |
      while IFS= read -r f; do [ -f "$SRC/$f" ] && printf '%s\n' "$f"; done | LC_ALL=C sort -u
  else
    local names=()
    for p in "${pats[@]}"; do names+=(-o -name "$p"); done
    (cd "$SRC" && for d in "${STATIC_DIRS[@]}"; do
      [ -d "$d" ] && find "$d" -type f \( "${names[@]:1}" \)
    done) | LC_ALL=C sort -u
  fi
}
