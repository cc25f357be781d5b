#!/bin/bash
# Fault injection over the whole of one run: for N = 1, 2, ... the Nth call
# ward makes to an allocation, file, mount, socket, process or raw system
# call function fails (tests/fault/fault-inject.c, preloaded), until a run
# goes through without any call failing. Each run must end in one of two
# ways and leave nothing behind:
#   - refused: exit 125 and one line on stderr naming what failed; or
#   - complete: exit 0 with status ok, every protection listed, and the
#     program inside seeing the full confinement (uid 1000, no
#     capabilities, no_new_privs, seccomp, the sandbox's hostname).
# Never a run with part of its confinement, never a crash or a hang, no
# process, cgroup, mount or fd left over.
source "$(dirname "$0")/../helpers/lib.sh"

SHIM=${WARD_FAULT_SHIM:?}
[ -f "$SHIM" ] || skip "the fault-injection library was not built"
MARK="ward-fault-$$-$RANDOM"
PROBE='grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; id -u; hostname; : '"$MARK"
mounts_before=$(wc -l </proc/self/mountinfo)
fds_before=$(ls /proc/$$/fd | wc -l)

# The program's view of a complete run, taken without faults.
baseline=$("$WARD" run -- /bin/sh -c "$PROBE" 2>/dev/null)
[ -n "$baseline" ] || { fail "ward does not run at all without faults"; done_testing; }
case "$baseline" in *"CapEff:	0000000000000000"*"NoNewPrivs:	1"*"Seccomp:	2"*) ;;
  *) fail "the baseline is not confined: $baseline"; done_testing ;; esac

log=$T_TMP/faults.log
max=${WARD_FAULT_MAX:-20000}
n=0 refused=0 complete=0
while :; do
  n=$((n + 1))
  if [ $n -gt "$max" ]; then fail "still injecting after $max calls"; break; fi
  : >"$log"
  WARD_FAULT_N=$n WARD_FAULT_LOG=$log LD_PRELOAD=$SHIM timeout 30 \
    "$WARD" run --json --wall-time 10s -- /bin/sh -c "$PROBE" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
  [ -s "$log" ] || break   # N is past the last call: the run went through
  what=$(head -1 "$log" | cut -d' ' -f2)
  if [ $RC = 125 ]; then
    refused=$((refused + 1))
    lines=$(printf '%s' "$ERR" | grep -c .)
    if [ "$lines" != 1 ] && [ "$(j .status)" != error ]; then
      fail "N=$n ($what): refused without one line on stderr: '${ERR:0:300}'"
    fi
    # A result for a run that never started claims no protection.
    if [ "$(j .status)" = error ] && [ "$(j .exit_code)" = null ] && [ "$(j '.protections | length')" != 0 ]; then
      case "$(j .error)" in "sandbox setup"*)
        fail "N=$n ($what): a failed setup lists protections $(j -c .protections)" ;;
      esac
    fi
  elif [ $RC = 0 ] && [ "$(j .status)" = ok ]; then
    complete=$((complete + 1))
    [ "$(j '.protections | length')" = 15 ] || fail "N=$n ($what): ok with protections $(j -c .protections)"
    [ "$(j .stdout)" = "$baseline" ] || fail "N=$n ($what): the program saw '$(j .stdout)', not the full confinement"
  else
    fail "N=$n ($what): exit $RC, status '$(j .status)', stderr '${ERR:0:300}'"
  fi
  if pgrep -f "$MARK" >/dev/null; then
    fail "N=$n ($what): a sandboxed process outlived ward"
    pkill -9 -f "$MARK"
  fi
  left=$(ward_cgroups)
  [ -z "$left" ] || { fail "N=$n ($what): cgroups left: $left"; for c in $left; do rmdir "$c" 2>/dev/null; done; }
done
[ "$(wc -l </proc/self/mountinfo)" = "$mounts_before" ] || fail "the host's mount table changed"
[ "$(ls /proc/$$/fd | wc -l)" = "$fds_before" ] || fail "the test shell holds more fds than before"
echo "note [$T_NAME]: $((n - 1)) fault points: $refused refused, $complete completed" >&2
[ $n -gt 50 ] || fail "only $((n - 1)) calls were counted: the library is not in use"
ok
done_testing
