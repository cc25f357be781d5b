#!/bin/bash
# static-cppcheck: cppcheck's warning, portability and performance checks
# over every C file that the build compiles, with its flags
# (compile_commands.json of the meson build directory). Any finding fails
# the test; a false positive is silenced on the line above it with
# `// cppcheck-suppress ID ; reason`. Generated files (the build
# directory's seccomp-filter.c) are not checked.
. "$(dirname "$0")/lib.sh"

need cppcheck
db=$BUILD/compile_commands.json
[ -f "$db" ] || { echo "static-cppcheck: $db is missing: configure the build first (meson setup)" >&2; exit 1; }

# Only ward's own files, by exact path: cppcheck names them by absolute
# path (the project file is given by one), as written or resolved.
real_src=$(realpath "$SRC")
filters=()
while IFS= read -r f; do
  filters+=("--file-filter=$SRC/$f")
  [ "$real_src" = "$SRC" ] || filters+=("--file-filter=$real_src/$f")
done < <(c_files '*.c')
[ ${#filters[@]} -gt 0 ] || { echo "static-cppcheck: no C files found under $SRC" >&2; exit 1; }

cd "$SRC" || exit 1
jobs=${WARD_CPPCHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
if ! cppcheck --project="$db" "${filters[@]}" \
  --enable=warning,portability,performance --inline-suppr --error-exitcode=1 \
  --quiet -j "$jobs" --template='{file}:{line}: {severity}: {message} [{id}]'; then
  echo "static-cppcheck: findings above" >&2
  exit 1
fi
echo "static-cppcheck: $(c_files '*.c' | wc -l) files, no finding"
