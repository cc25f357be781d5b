#!/bin/bash
# --policy FILE: each section takes effect, and command-line options
# override the file.
source "$(dirname "$0")/../helpers/lib.sh"

data="$T_TMP/data"
mkdir "$data"
echo policy-mount >"$data/f"
wd="$T_TMP/wd"
mkdir "$wd"
od="$T_TMP/od"
mkdir "$od"
cat >"$T_TMP/p.json" <<JSON
{ "version": 1, "name": "test-policy",
  "limits": {"memory": "256M", "cpu_time": "5s", "wall_time": "1s", "pids": 32,
             "file_size": "1M", "disk": "16M", "output": "2K", "output_mode": "stop",
             "max_violations": 3},
  "network": {"mode": "none"},
  "env": {"FROM_POLICY": "yes", "OVERRIDDEN": "policy"},
  "workdir": "$wd", "output_dir": "$od",
  "mounts": [{"source": "$data", "target": "/data", "mode": "ro"}] }
JSON
P=(--policy "$T_TMP/p.json")

# Env, mounts, workdir, output dir.
run_ward run "${P[@]}" -- sh -c 'echo $FROM_POLICY $OVERRIDDEN; cat /data/f; echo w > /data/f 2>/dev/null || echo ro; echo wd > in-wd; echo od > /output/o'
expect_rc 0
expect_eq "policy env, mount" "$OUT" "yes policy
policy-mount
ro"
expect_eq "policy workdir" "$(cat "$wd/in-wd" 2>/dev/null)" wd
expect_eq "policy output_dir" "$(cat "$od/o" 2>/dev/null)" od
run_ward run "${P[@]}" --env OVERRIDDEN=cli -- sh -c 'echo $FROM_POLICY $OVERRIDDEN'
expect_eq "--env overrides the policy's env, keeps the rest" "$OUT" "yes cli"

# wall_time from the file, and from the command line over it.
run_ward run "${P[@]}" -- sleep 3
expect_rc 124
run_ward run "${P[@]}" --wall-time 10s -- sleep 2
expect_rc 0

# output from the file; --output and --output-mode over it.
run_json "${P[@]}" -- sh -c 'head -c 3000 /dev/zero | tr "\0" a'
expect_status output_limit
run_json "${P[@]}" --output 4K -- sh -c 'head -c 3000 /dev/zero | tr "\0" a'
expect_status ok
run_json "${P[@]}" --output-mode truncate -- sh -c 'head -c 3000 /dev/zero | tr "\0" a'
expect_eq "--output-mode over the file" "$(j .status) $(j .stdout_truncated) $(j '.stdout | length')" "ok true 2048"

# file_size and disk from the file, and over it.
run_json "${P[@]}" -- dd if=/dev/zero of=/tmp/f bs=64K count=32
expect_status file_size_limit
run_json "${P[@]}" --file-size 4M -- dd if=/dev/zero of=/tmp/f bs=64K count=32
expect_status ok
run_json "${P[@]}" --file-size 64M -- dd if=/dev/zero of=/tmp/f bs=1M count=20
expect_status disk_limit
run_json "${P[@]}" --file-size 64M --disk 32M -- dd if=/dev/zero of=/tmp/f bs=1M count=20
expect_status ok

# pids and memory from the file, and over them.
FORKS='
import os, time
kids = []
try:
    while len(kids) < 100:
        pid = os.fork()
        if pid == 0:
            time.sleep(5); os._exit(0)
        kids.append(pid)
except OSError:
    pass
print(len(kids))
for k in kids:
    os.kill(k, 9); os.waitpid(k, 0)'
run_json "${P[@]}" --wall-time 10s -- python3 -c "$FORKS"
n=$(j .stdout)
if [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -lt 32 ] && [ "$n" -ge 16 ]; then ok; else fail "policy pids 32: $n forks"; fi
run_json "${P[@]}" --wall-time 10s --pids 8 -- python3 -c "$FORKS"
n=$(j .stdout)
if [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -lt 8 ]; then ok; else fail "--pids 8 over the policy: $n forks"; fi
run_json "${P[@]}" --wall-time 10s -- python3 -c 'x = b"\x01" * (128 << 20); print("fits")'
expect_eq "128M fits in the policy's 256M" "$(j .stdout)" fits
run_json "${P[@]}" --wall-time 10s --memory 64M -- python3 -c 'x = b"\x01" * (128 << 20); print("fits")'
expect_status memory_limit

# cpu_time from the file.
cat >"$T_TMP/cpu.json" <<'JSON'
{"version": 1, "limits": {"cpu_time": "1s", "wall_time": "20s"}}
JSON
run_json --policy "$T_TMP/cpu.json" -- python3 -c 'while True: pass'
expect_status cpu_limit

# max_violations from the file, and over it.
PT='import ctypes
libc = ctypes.CDLL(None)
for _ in range(10): libc.syscall(101, 7, 0, 0, 0)'
run_json "${P[@]}" --wall-time 10s -- python3 -c "$PT"
expect_status violation
run_json "${P[@]}" --wall-time 10s --max-violations 100 -- python3 -c "$PT"
expect_status ok

# Mounts from the file and the command line together.
other="$T_TMP/other"
mkdir "$other"
echo cli-mount >"$other/g"
run_ward run "${P[@]}" --ro "$other:/other" -- sh -c 'cat /data/f /other/g'
expect_eq "policy and --ro mounts together" "$OUT" "policy-mount
cli-mount"

# A minimal policy works: only the version.
echo '{"version": 1}' >"$T_TMP/min.json"
run_ward run --policy "$T_TMP/min.json" -- echo minimal
expect_eq "minimal policy" "$OUT" minimal

expect_no_cgroups
done_testing
