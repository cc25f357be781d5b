#!/bin/bash
# Attack: burn the host's CPU with several busy processes and ignore
# SIGTERM/SIGXCPU. Judged from outside: with --cpu-time 1s the run ends as
# cpu_limit (or timeout) within a few seconds of wall time, the event names
# the limit, no burner survives ward, and the CPU time charged stays near
# the limit.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work --cpu-time 1s
S=$(new_secret)
MARK="burn-${S#wardsecret-}"
start=$(date +%s%N)
run_sb --cpu-time 1s --wall-time 20s -- /bin/sh -c '
  trap "" TERM XCPU HUP INT
  for i in 1 2 3 4; do (trap "" TERM XCPU HUP INT; while :; do :; done) & done
  while :; do :; done' "$MARK"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_document
status=$(j .status)
expect_match "status" "$status" '^(cpu_limit|timeout)$'
if [ "$status" = cpu_limit ]; then
  expect_match "limit event" "$(j '[.events[]? | select(.type == "limit") | .limit] | join(" ")')" 'cpu_time'
fi
if [ "$elapsed" -le 10000 ]; then ok; else fail "a 1s CPU limit took ${elapsed} ms of wall time to end"; fi
cpu=$(j .cpu_ms)
if [[ "$cpu" =~ ^[0-9]+$ ]] && [ "$cpu" -le 5000 ]; then ok; else fail "cpu_ms $cpu with a 1s limit"; fi
sleep 0.3
expect_no_process "$MARK"

done_testing
