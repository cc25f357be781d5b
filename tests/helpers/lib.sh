# Shared helpers for ward's shell tests (integration and escape suites).
# A test sources this file, runs ward, and asserts what a user would see.
# Exit codes follow the automake/meson convention: 0 pass, 1 fail, 77 skip.

set -u

WARD=${WARD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/ward}
WARD_HELPERS=${WARD_HELPERS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tests/helpers}
T_NAME=$(basename "$0")
T_FAILS=0
T_CHECKS=0

# A scratch directory on the host for this test, removed on exit.
T_TMP=$(mktemp -d "/tmp/ward-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

fail() { echo "FAIL [$T_NAME]: $*" >&2; T_FAILS=$((T_FAILS + 1)); }
ok() { T_CHECKS=$((T_CHECKS + 1)); }
skip() { echo "SKIP [$T_NAME]: $*" >&2; exit 77; }
done_testing() {
  if [ "$T_FAILS" -gt 0 ]; then
    echo "$T_NAME: $T_FAILS failed" >&2
    exit 1
  fi
  if [ "$T_CHECKS" -eq 0 ]; then
    echo "$T_NAME: no check ran" >&2
    exit 1
  fi
  echo "$T_NAME: $T_CHECKS checks passed"
  exit 0
}

need() { command -v "$1" >/dev/null 2>&1 || skip "needs $1"; }
need jq

# run_ward ARGS...: runs `ward ARGS...` with stdin from /dev/null unless
# T_STDIN names a file. Sets RC, OUT (stdout) and ERR (stderr).
run_ward() {
  local in=${T_STDIN:-/dev/null}
  "$WARD" "$@" <"$in" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}

# run_json ARGS...: `ward run --json ARGS...`; the document is in OUT.
run_json() { run_ward run --json "$@"; }

# j FILTER: a jq filter applied to OUT.
j() { printf '%s' "$OUT" | jq -r "$1" 2>/dev/null; }

expect_eq() { # WHAT GOT WANT
  if [ "$2" == "$3" ]; then ok; else fail "$1: got '$2', want '$3' (stderr: ${ERR:0:300})"; fi
}
expect_ne() {
  if [ "$2" != "$3" ]; then ok; else fail "$1: got '$2', which it must not be"; fi
}
expect_match() { # WHAT STRING REGEX
  if [[ "$2" =~ $3 ]]; then ok; else fail "$1: '${2:0:300}' does not match /$3/"; fi
}
expect_no_match() {
  if [[ "$2" =~ $3 ]]; then fail "$1: '${2:0:300}' matches /$3/"; else ok; fi
}
expect_status() { expect_eq "status" "$(j .status)" "$1"; }
expect_rc() { expect_eq "exit code" "$RC" "$1"; }

# Leftovers: cgroups named ward-<owner pid>-<n> under /sys/fs/cgroup whose
# owner is gone (tests run in parallel, so a live ward's cgroup is not a
# leftover), and processes whose command line carries a marker the test chose.
# Only cgroups this test could have made count: those already there when it
# started belong to whatever ran before (the next ward run removes them).
ward_cgroup_dirs() { find /sys/fs/cgroup -maxdepth 6 -type d -name 'ward-*' 2>/dev/null | sort; }
T_CGROUPS_BEFORE=$(ward_cgroup_dirs)
ward_cgroups() {
  local d owner
  ward_cgroup_dirs | while read -r d; do
    owner=${d##*/ward-}
    owner=${owner%%-*}
    kill -0 "$owner" 2>/dev/null && continue
    grep -qxF -- "$d" <<<"$T_CGROUPS_BEFORE" && continue
    echo "$d"
  done
}
expect_no_cgroups() {
  local left
  left=$(ward_cgroups)
  if [ -z "$left" ]; then ok; else fail "cgroups left behind: $left"; fi
}
expect_no_process() { # MARKER
  local left
  left=$(pgrep -f -- "$1" || true)
  if [ -z "$left" ]; then ok; else fail "processes left behind for '$1': $left"; kill -9 $left 2>/dev/null; fi
}
