#!/bin/bash
# ward doctor: the command line (help, 125 and one stderr line for bad
# usage), the JSON document's shape, and verdicts checked against what
# `ward run` actually does on this host: as root; as an unprivileged user,
# whose cgroups are not delegated, so that the cgroup checks must fail with
# the cause and the allow_without hint; and inside a ward sandbox, where
# ward's own seccomp filter refuses namespaces, a second listener and clone3
# and there is no /sys, so that the causes must be named.
source "$(dirname "$0")/../helpers/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root, to compare root with an unprivileged user"
need setpriv

NAMES="userns pidns mountns netns ipcns utsns cgroupns seccomp landlock cgroup-memory cgroup-pids cgroup-cpu pidfd close_range clone3 mount-api"
CGROUP_NAMES="cgroup-memory cgroup-pids cgroup-cpu"

lines() { printf '%s\n' "$1" | grep -c .; }
# has_line WHAT TEXT REGEX: some line of TEXT matches the extended REGEX.
has_line() {
  if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok; else fail "$1: no line matches /$3/ in: ${2:0:600}"; fi
}
# check NAME FILTER: a jq filter on the check called NAME.
check() { j ".checks[] | select(.name == \"$1\") | $2"; }

# ---- the command line ----
run_ward doctor --help
expect_rc 0
expect_match "help: --json" "$OUT" "--json"
expect_match "help: exit 0" "$OUT" "0 +every protection the default policy needs is available"
expect_match "help: exit 1" "$OUT" "1 +a required protection is missing"
expect_match "help: exit 125" "$OUT" "125 +ward doctor itself failed"
expect_eq "help: stderr" "$ERR" ""

for args in "--bogus" "-x" "--json=yes" "extra" "--json --nope"; do
  # shellcheck disable=SC2086 # one word or two, on purpose
  run_ward doctor $args
  expect_eq "'$args': exit code" "$RC" 125
  expect_eq "'$args': lines on stderr" "$(lines "$ERR")" 1
  expect_match "'$args': stderr" "$ERR" "^ward: doctor: "
  expect_eq "'$args': stdout" "$OUT" ""
done

run_ward --help
expect_match "ward --help lists doctor" "$OUT" "doctor"

# ---- as root: the document ----
run_ward doctor --json
JSON_RC=$RC
expect_eq "root --json: stderr" "$ERR" ""
if printf '%s' "$OUT" | jq -e . >/dev/null 2>&1; then ok; else fail "root --json: not JSON: ${OUT:0:300}"; fi
expect_eq "top-level fields" "$(j 'keys | join(",")')" "cgroup_version,checks,kernel,landlock_abi,ok"
expect_eq "top-level types" "$(j '[.ok, .checks, .cgroup_version, .landlock_abi, .kernel] | map(type) | join(",")')" \
  "boolean,array,number,number,string"
expect_eq "every check, in order" "$(j '[.checks[].name] | join(" ")')" "$NAMES"
expect_eq "fields of each check" "$(j '[.checks[] | keys | join(",")] | unique | join(";")')" \
  "available,detail,hint,name,required"
expect_eq "types of each check" "$(j 'all(.checks[]; (.available | type) == "boolean" and (.required | type) == "boolean"
  and (.detail | type) == "string" and (.detail | length) > 0 and ((.hint | type) == "string" or .hint == null))')" true
expect_eq "a hint exactly where something is missing" "$(j 'all(.checks[]; (.hint == null) == .available)')" true
expect_eq "only close_range is optional" "$(j '[.checks[] | select(.required | not) | .name] | join(" ")')" close_range
expect_eq "ok is every required check" "$(j '.ok == all(.checks[]; .available or (.required | not))')" true
expect_eq "exit code follows ok" "$JSON_RC" "$(j 'if .ok then 0 else 1 end')"
expect_eq "kernel" "$(j .kernel)" "$(uname -r)"
host_cg=0
case "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" in
  cgroup2fs) host_cg=2 ;;
  tmpfs) [ -d /sys/fs/cgroup/memory ] && host_cg=1 ;;
esac
expect_eq "cgroup_version" "$(j .cgroup_version)" "$host_cg"
expect_eq "landlock_abi is 0 exactly when landlock is missing" \
  "$(j '(.landlock_abi == 0) == ((.checks[] | select(.name == "landlock") | .available) | not)')" true
ROOT_DOC=$OUT
CG_VERSION=$host_cg

# ---- as root: the table says the same ----
run_ward doctor
expect_eq "text: same exit code as --json" "$RC" "$JSON_RC"
expect_match "text: first line" "$OUT" "^ward doctor: Linux $(uname -r), "
for n in $NAMES; do
  has_line "text lists $n" "$OUT" "^(ok|MISSING|missing) +$n "
done
if [ "$JSON_RC" = 0 ]; then
  has_line "text: verdict" "$OUT" "^All protections the default policy needs are available\.$"
else
  has_line "text: verdict" "$OUT" "^Missing what the default policy needs: "
fi

# ---- as root: the verdict is ward run's ----
run_ward run -- true
ROOT_RUN_RC=$RC
if [ "$ROOT_RUN_RC" = 0 ]; then
  expect_eq "ward run works as root, so doctor exits 0" "$JSON_RC" 0
else
  expect_eq "ward run fails as root ($ERR), so doctor exits 1" "$JSON_RC" 1
fi
expect_no_cgroups
expect_no_process "$WARD doctor"

# ---- as an unprivileged user ----
U=65534
AS=(setpriv --reuid=$U --regid=$U --clear-groups --)
chmod 755 "$T_TMP"
cp "$WARD" "$T_TMP/ward"
chmod 755 "$T_TMP/ward"
W="$T_TMP/ward"
run_as() {
  (cd "$T_TMP" && "${AS[@]}" "$W" "$@") </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}

# Does this host delegate cgroups to that user? (Its own cgroup writable.)
case $CG_VERSION in
  1) own="/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)" ;;
  2) own="/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)" ;;
  *) own=/nonexistent ;;
esac
if [ "$CG_VERSION" != 0 ] && "${AS[@]}" test -w "$own" 2>/dev/null; then
  echo "note [$T_NAME]: $own is writable by uid $U: its cgroup checks are not asserted to fail" >&2
  delegated=1
else
  delegated=0
fi

run_as doctor --json
NOBODY_RC=$RC
expect_eq "nobody --json: stderr" "$ERR" ""
expect_eq "nobody: every check" "$(j '[.checks[].name] | join(" ")')" "$NAMES"
if [ $delegated = 0 ]; then
  expect_eq "nobody: exit code" "$NOBODY_RC" 1
  expect_eq "nobody: ok" "$(j .ok)" false
  for n in $CGROUP_NAMES; do
    expect_eq "nobody: $n available" "$(check "$n" .available)" false
    expect_eq "nobody: $n required" "$(check "$n" .required)" true
    if [ "$CG_VERSION" = 0 ]; then
      expect_match "nobody: $n cause" "$(check "$n" .detail)" "no cgroup hierarchy"
    else
      expect_match "nobody: $n names the hierarchy" "$(check "$n" .detail)" "^cgroup v$CG_VERSION: "
      expect_match "nobody: $n cause" "$(check "$n" .detail)" "not writable by uid $U|did not delegate"
    fi
    expect_match "nobody: $n hint: allow_without" "$(check "$n" .hint)" '"allow_without": \["cgroups"\]'
    expect_match "nobody: $n hint: root" "$(check "$n" .hint)" "run ward as root"
  done
fi
NOBODY_DOC=$OUT
missing_required=$(j '[.checks[] | select(.required and (.available | not)) | .name] | join(" ")')

# ward run agrees: refused for its cgroups, and runs where they are waived,
# so that nothing but the cgroups may be reported missing.
echo '{"version": 1, "allow_without": ["cgroups"]}' >"$T_TMP/nocg.json"
chmod 644 "$T_TMP/nocg.json"
if [ $delegated = 0 ] && [ "$CG_VERSION" != 0 ]; then
  run_as run -- true
  expect_rc 125
  expect_match "nobody: ward run is refused for cgroups too" "$ERR" "cgroup"
fi
run_as run --policy "$T_TMP/nocg.json" -- true
if [ "$RC" = 0 ] && [ $delegated = 0 ]; then
  expect_eq "nobody: only the cgroups are missing, since ward runs without them" "$missing_required" "$CGROUP_NAMES"
fi

OUT=$NOBODY_DOC
run_as doctor
expect_eq "nobody text: exit code" "$RC" "$NOBODY_RC"
expect_eq "nobody text: stderr" "$ERR" ""
has_line "nobody text: uid" "$OUT" "^ward doctor: Linux .*, uid $U$"
if [ $delegated = 0 ]; then
  for n in $CGROUP_NAMES; do
    has_line "nobody text: $n missing" "$OUT" "^MISSING +$n +"
  done
  has_line "nobody text: a fix with allow_without" "$OUT" '^ +fix: .*"allow_without": \["cgroups"\]'
  has_line "nobody text: verdict" "$OUT" "^Missing what the default policy needs: .*cgroup-memory cgroup-pids cgroup-cpu"
fi
expect_no_process "$W doctor"

# ---- inside a ward sandbox: protections taken away, causes named ----
if [ "$ROOT_RUN_RC" = 0 ]; then
  OUT=$ROOT_DOC
  run_ward run --ro "$WARD:/opt/ward" -- /opt/ward doctor --json
  expect_eq "sandboxed: exit code" "$RC" 1
  expect_eq "sandboxed: ok" "$(j .ok)" false
  expect_eq "sandboxed: userns" "$(check userns .available)" false
  expect_match "sandboxed: userns cause" "$(check userns .detail)" "EPERM.*seccomp filter"
  expect_match "sandboxed: userns hint" "$(check userns .hint)" "seccomp"
  expect_match "sandboxed: pidns points at userns" "$(check pidns .detail)" "new user namespace, which could not"
  expect_eq "sandboxed: pidns hint" "$(check pidns .hint)" "see userns"
  expect_eq "sandboxed: seccomp" "$(check seccomp .available)" false
  expect_eq "sandboxed: clone3" "$(check clone3 .available)" false
  expect_match "sandboxed: clone3 cause" "$(check clone3 .detail)" "ENOSYS.*seccomp filter"
  expect_eq "sandboxed: no cgroup hierarchy" "$(j .cgroup_version)" 0
  expect_match "sandboxed: cgroup cause" "$(check cgroup-memory .detail)" "no cgroup hierarchy is mounted"
  expect_eq "sandboxed: pidfd still works" "$(check pidfd .available)" true
  expect_eq "sandboxed: mount API" "$(check mount-api .available)" false
  expect_match "sandboxed: mount API cause" "$(check mount-api .detail)" "open_tree failed.*EPERM"
  expect_match "sandboxed: mount API hint" "$(check mount-api .hint)" "seccomp filter"
fi

expect_no_cgroups
done_testing
