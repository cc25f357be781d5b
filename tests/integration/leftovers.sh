#!/bin/bash
# Killing ward in the middle of a run: after SIGKILL the sandbox dies within
# seconds and the next run removes the dead run's cgroup; after SIGTERM and
# SIGINT ward ends the sandbox and cleans up itself.
source "$(dirname "$0")/../helpers/lib.sh"

# spawn_ward ARGS...: ward in the background with default SIGINT/SIGTERM
# handling (a background job of a script would ignore SIGINT); sets WPID.
spawn_ward() {
  /usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$WARD" "$@" </dev/null >"$T_TMP/bg.out" 2>"$T_TMP/bg.err" &
  WPID=$!
}
# wait_for CMD...: up to 10 s for CMD to succeed.
wait_for() {
  local i
  for i in $(seq 100); do "$@" && return 0; sleep 0.1; done
  return 1
}
gone() { ! pgrep -f -- "$1" >/dev/null; }
# alive PATTERN: a process whose command line starts with PATTERN (not ward
# or a wrapper that merely carries it among its arguments).
alive() { pgrep -f -- "^$1" >/dev/null; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

expect_no_cgroups # nothing before we start, or the checks below mean nothing

for sig in KILL TERM INT; do
  uniq="$$$RANDOM"
  MARK="ward-leftover-$sig-$uniq"
  SLEEP="sleep 1000.$uniq"
  spawn_ward run --wall-time 60s -- bash -c "$SLEEP; : $MARK"
  # The sandbox's sleep itself, started by the bash inside.
  if ! wait_for alive "$SLEEP"; then
    fail "$sig: the sandbox never started: $(cat "$T_TMP/bg.err")"
    kill -9 $WPID 2>/dev/null
    continue
  fi
  ok
  if [ "$sig" = KILL ]; then
    spid=$(pgrep -f -- "^$SLEEP" | head -1)
    expect_match "$sig: the sandbox is in a ward-* cgroup" \
      "$(grep ':memory:' /proc/$spid/cgroup 2>/dev/null)" ":memory:/.*ward-[^/]*$"
  fi
  kill -$sig $WPID
  if wait_for pid_gone $WPID; then ok; else fail "$sig: ward still running"; kill -9 $WPID; fi
  wait $WPID 2>/dev/null
  rc=$?
  if wait_for gone "$SLEEP"; then ok; else fail "$sig: sandbox still running 10 s after ward got SIG$sig"; fi
  expect_no_process "$SLEEP"
  expect_no_process "$MARK"
  if [ "$sig" = KILL ]; then
    # The dead run's cgroup may remain; the next run removes it.
    run_ward run -- true
    expect_rc 0
  else
    expect_ne "$sig: ward's exit status" "$rc" 0
  fi
  expect_no_cgroups
done

# SIGTERM with --json: ward may still print a document; if it does, it is
# valid JSON.
uniq="$$$RANDOM"
spawn_ward run --json --wall-time 60s -- sleep "1000.$uniq"
wait_for alive "sleep 1000.$uniq"
kill -TERM $WPID
wait_for pid_gone $WPID
wait $WPID 2>/dev/null
if [ -s "$T_TMP/bg.out" ]; then
  expect_eq "TERM with --json: a valid document" "$(jq -r type <"$T_TMP/bg.out" 2>/dev/null)" object
else ok; fi
expect_no_process "sleep 1000.$uniq"
expect_no_cgroups

# A signal early in the run (during ward's setup, before the sandbox runs)
# is not lost: ward ends at once, whatever the moment.
early=$(/usr/bin/python3 - "$WARD" <<'PY'
import signal, subprocess, sys, time
bad = []
for sig in (signal.SIGTERM, signal.SIGINT):
    for delay in (0.0, 0.002, 0.005, 0.01, 0.02, 0.05):
        p = subprocess.Popen([sys.argv[1], "run", "--wall-time", "6s", "--", "sleep", "1000"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(delay)
        t = time.monotonic()
        p.send_signal(sig)
        p.wait()
        if time.monotonic() - t > 3:
            bad.append("%s after %gs: ward ran on for %.1fs" % (sig.name, delay, time.monotonic() - t))
print("; ".join(bad) if bad else "ok")
PY
)
expect_eq "early SIGTERM/SIGINT" "$early" ok
expect_no_process "^sleep 1000$"

# A program that forks a daemon and exits: the daemon does not outlive the run.
uniq="$$$RANDOM"
run_ward run --wall-time 10s -- sh -c "setsid sleep 1000.$uniq </dev/null >/dev/null 2>&1 & echo started"
expect_rc 0
expect_eq "daemon: started" "$OUT" started
sleep 0.5
expect_no_process "sleep 1000.$uniq"

# A daemon that ignores SIGTERM and SIGHUP, in its own session, with a
# wall-time kill.
uniq="$$$RANDOM"
run_ward run --wall-time 1s -- sh -c "trap '' TERM HUP INT; (trap '' TERM HUP INT; exec setsid sleep 1000.$uniq) & sleep 1000.$uniq"
expect_rc 124
sleep 0.5
expect_no_process "sleep 1000.$uniq"

# SIGKILL of ward while the sandbox runs a fork bomb: still nothing left.
uniq="$$$RANDOM"
MARK="ward-leftover-bomb-$uniq"
spawn_ward run --pids 32 --wall-time 60s -- bash -c "b() { b | b & }; b; sleep 1000; : $MARK"
wait_for pgrep -f -- "$MARK" >/dev/null
sleep 1
kill -KILL $WPID
wait $WPID 2>/dev/null
if wait_for gone "$MARK"; then ok; else fail "fork bomb survives SIGKILL of ward"; fi
expect_no_process "$MARK"
run_ward run -- true
expect_no_cgroups

done_testing
