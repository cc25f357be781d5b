#!/bin/bash
# static-format: every C file is formatted as .clang-format says
# (clang-format --dry-run --Werror). To fix: clang-format -i FILE...
#
# clang-format's output changes between major versions; .clang-format is
# written for clang-format 14 (Debian 12), so another version skips rather
# than fail on its own differences. WARD_CLANG_FORMAT names the binary
# (e.g. clang-format-14).
. "$(dirname "$0")/lib.sh"

CLANG_FORMAT=${WARD_CLANG_FORMAT:-clang-format}
WANT_MAJOR=14
need "$CLANG_FORMAT" clang-format
major=$("$CLANG_FORMAT" --version | sed -n 's/.*clang-format version \([0-9]*\).*/\1/p')
[ "$major" = "$WANT_MAJOR" ] ||
  skip "$CLANG_FORMAT is version ${major:-unknown}; .clang-format is checked with version $WANT_MAJOR (set WARD_CLANG_FORMAT)"

mapfile -t files < <(c_files)
[ ${#files[@]} -gt 0 ] || { echo "static-format: no C files found under $SRC" >&2; exit 1; }
cd "$SRC" || exit 1
if ! "$CLANG_FORMAT" --style=file --dry-run --Werror "${files[@]}"; then
  echo "static-format: not formatted as .clang-format says; fix with: clang-format -i FILE..." >&2
  exit 1
fi
echo "static-format: ${#files[@]} files formatted"
