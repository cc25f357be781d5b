#!/bin/bash
# Every accepted form of sizes (123, 64K, 256M, 1G, k, KiB) and durations
# (500ms, 5s, 2m, 1h, a plain number of seconds) means what it says,
# observed through the limit it sets.
source "$(dirname "$0")/../helpers/lib.sh"

# Sizes through --file-size: a write of SIZE bytes fits, one more byte does not.
# fits SIZE_OPTION BYTES
fits() {
  run_ward run --file-size "$1" -- sh -c "head -c $2 /dev/zero > /tmp/f && echo fits"
  expect_eq "--file-size $1 holds $2 bytes" "$OUT" fits
  run_ward run --file-size "$1" -- sh -c "head -c $(($2 + 1)) /dev/zero > /tmp/f 2>/dev/null && echo fits"
  expect_eq "--file-size $1 refuses $(($2 + 1)) bytes" "$OUT" ""
}
fits 123 123
fits 64K 65536
fits 64k 65536
fits 64KiB 65536
fits 2M 2097152
fits 2MiB 2097152
# (1G through the disk would be slow and large: --memory 1G below.)
# --memory 1G and a plain byte count are accepted.
run_ward run --memory 1G -- true
expect_rc 0
run_ward run --memory 67108864 -- true
expect_rc 0
run_json --memory 67108864 -- python3 -c 'x = b"\x01" * (256 << 20)'
expect_status memory_limit

# Durations through --wall-time: a plain number is seconds.
for d in 1 1s 1000ms; do
  start=$(date +%s%N)
  run_ward run --wall-time "$d" -- sleep 30
  took=$((($(date +%s%N) - start) / 1000000))
  expect_eq "--wall-time $d: exit code" "$RC" 124
  if [ "$took" -ge 900 ] && [ "$took" -lt 5000 ]; then ok; else fail "--wall-time $d took ${took}ms"; fi
done
run_ward run --wall-time 300ms -- sleep 2
expect_rc 124
# Longer units do not cut a short run.
for d in 2m 1h; do
  run_ward run --wall-time "$d" -- sleep 0.2
  expect_eq "--wall-time $d" "$RC" 0
done
run_ward run --cpu-time 2m --wall-time 1h -- true
expect_rc 0
# Fractions are not in the contract; a decimal must not be read as something
# else silently: either 1.5 s or refused.
run_ward run --wall-time 1.5s -- sleep 1
case $RC in
  0 | 125) ok ;;
  *) fail "--wall-time 1.5s: exit $RC" ;;
esac

expect_no_cgroups
done_testing
