# shellcheck shell=bash
# Shared by the escape tests, sourced after tests/helpers/lib.sh. Not a test.
#
# Every escape test follows one shape: prove that the sandbox runs at all
# (sandbox_must_work), run the attack inside it, then judge from outside:
# a host canary untouched, a host process alive, a secret absent from
# everything ward printed. A test that cannot run its attack skips (77);
# none passes without having looked.
#
# The attacks are written to be harmless even against a broken ward that
# runs them unconfined as root: mounts go to scratch directories, clocks are
# set to the time they already have, privileged calls get arguments the
# kernel rejects after its permission check. So a regression shows up as a
# failed test, not as a damaged CI machine.

HOST_PY=/usr/bin/python3
[ -x "$HOST_PY" ] || HOST_PY=$(command -v python3 || true)

# Run cleanup commands at exit, after lib.sh's own (removing $T_TMP).
T_CLEANUP=()
at_exit() { T_CLEANUP+=("$1"); }
_escape_exit() {
  local c
  for c in "${T_CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1; done
  rm -rf "$T_TMP"
}
trap _escape_exit EXIT

# A random token: a secret the sandbox must never print.
new_secret() { printf 'wardsecret-%s' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"; }

# The program's stdout and stderr from the JSON document, decoded.
j_stdout() {
  if [ "$(j .stdout_encoding)" = base64 ]; then j .stdout | base64 -d 2>/dev/null; else j .stdout; fi
}
j_stderr() {
  if [ "$(j .stderr_encoding)" = base64 ]; then j .stderr | base64 -d 2>/dev/null; else j .stderr; fi
}

# After run_json: SOUT/SERR hold the program's decoded output.
run_sb() {
  run_json "$@"
  SOUT=$(j_stdout)
  SERR=$(j_stderr)
}

# A run must have produced a JSON document with a status: otherwise
# nothing the attack printed (or did not print) means anything.
expect_document() {
  local st
  st=$(j .status)
  if [ "$RC" = 0 ] && [ -n "$st" ] && [ "$st" != null ] && [ "$st" != error ]; then
    ok
  else
    fail "ward produced no usable result (rc $RC, status '$st', stderr: ${ERR:0:300})"
  fi
}

# Abort the test (as a failure) unless ward runs a benign command and
# returns its output: an attack that "fails" in a sandbox that does not
# start proves nothing.
sandbox_must_work() {
  if [ ! -x "$WARD" ]; then
    fail "no ward binary at $WARD"
    done_testing
  fi
  run_sb "$@" -- /bin/sh -c 'echo ward-alive; id -u'
  if [ "$(j .status)" != ok ] || [ "$SOUT" != $'ward-alive\n1000' ]; then
    fail "sandbox does not run a benign command (rc $RC, status '$(j .status)', stdout '${SOUT:0:200}', stderr '${ERR:0:300}')"
    done_testing
  fi
  ok
}

# The static probes, bound read-only at /probes.
probe_dir_ready() {
  if [ ! -x "$WARD_HELPERS/try-syscall" ]; then
    fail "probe $WARD_HELPERS/try-syscall is not built"
    done_testing
  fi
}

# run_probe [WARD-OPTIONS...] -- NAME...: runs try-syscall in the sandbox.
# PROBE holds its lines. Fails the test if the probe did not run.
run_probe() {
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  probe_dir_ready
  run_sb "${opts[@]}" --ro "$WARD_HELPERS:/probes" -- /probes/try-syscall nop "$@"
  PROBE=$SOUT
  expect_document
  if ! grep -qx 'nop OK' <<<"$PROBE"; then
    fail "the probe did not run in the sandbox (status $(j .status), stdout '${SOUT:0:200}', stderr '${SERR:0:300}${ERR:0:300}')"
    done_testing
  fi
}

# The same probe on the host, outside any sandbox, as an unprivileged user
# (nobody) or as root: tells what an attack would achieve unconfined.
host_probe_unpriv() {
  probe_dir_ready
  (cd / && setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$WARD_HELPERS/try-syscall" "$@" 2>/dev/null)
}

probe_result() { awk -v n="$1" '$1 == n { print $2; exit }' <<<"$PROBE"; }

# The call NAME did not succeed in the sandbox.
expect_blocked() {
  local r
  r=$(probe_result "$1")
  if [ -z "$r" ]; then
    fail "$1: the probe printed no result"
  elif [ "$r" = OK ]; then
    fail "$1: succeeded inside the sandbox"
  else
    ok
  fi
}

# NAME failed with exactly this errno (EPERM by default).
expect_errno() {
  local r
  r=$(probe_result "$1")
  expect_eq "$1 result" "$r" "${2:-EPERM}"
}

denied_syscalls() { j '[.events[]? | select(.type == "syscall_denied") | .syscall] | join(" ")'; }

# The JSON events name NAME as a denied system call.
expect_denied_event() {
  local names
  names=" $(denied_syscalls) "
  if [[ "$names" == *" $1 "* ]]; then ok; else fail "no syscall_denied event for $1 (events: $(printf "%s" "$OUT" | jq -c .events 2>/dev/null))"; fi
}

# For each NAME: blocked inside; and where an unprivileged process on this
# host could make the call unconfined (so no capability check stands in the
# way and the seccomp filter is the layer that stops it), the JSON events
# must record the denial.
expect_blocked_by_filter() {
  local n host
  for n in "$@"; do
    expect_blocked "$n"
    host=$(host_probe_unpriv "$n" | awk '{print $2}')
    if [ "$host" = OK ]; then
      expect_errno "$n" EPERM
      expect_denied_event "$n"
    else
      echo "note [$T_NAME]: $n fails unconfined for an unprivileged user too ($host); the event is not required" >&2
    fi
  done
}

# SECRET appears nowhere in what ward printed (JSON, decoded streams, stderr).
expect_no_secret() {
  local what=$1 s=$2
  if [[ "$OUT$ERR${SOUT:-}${SERR:-}" == *"$s"* ]]; then
    fail "$what: the secret leaked into the sandbox's output"
  else
    ok
  fi
}

# The host process PID is alive and neither stopped nor traced.
expect_host_alive() {
  local pid=$1 state tracer
  if ! kill -0 "$pid" 2>/dev/null; then
    fail "host process $pid is gone"
    return
  fi
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
  tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  if [ "$state" = T ] || [ "$state" = t ] || [ "${tracer:-0}" != 0 ]; then
    fail "host process $pid is stopped or traced (state $state, tracer $tracer)"
  else
    ok
  fi
}

# Starts a long-lived process on the host whose command line carries
# MARKER; sets HOST_PID. It is killed at exit.
start_host_sleeper() {
  local marker=$1
  bash -c "exec -a '$marker' sleep 600" </dev/null >/dev/null 2>&1 &
  HOST_PID=$!
  disown "$HOST_PID" 2>/dev/null
  at_exit "kill -9 $HOST_PID"
  sleep 0.1
  kill -0 "$HOST_PID" 2>/dev/null || { fail "could not start a host process"; done_testing; }
}

# sha256, mode, owner and mtime of a host file, for before/after checks.
file_state() { stat -c '%a %u:%g %Y.%y %s' "$1" 2>/dev/null; sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
