#!/bin/bash
# Attack: read host files. Canaries holding a random secret are planted in
# the test's scratch directory, /root, /etc, /home, /var/tmp, /run, /srv and
# /opt; the sandbox opens them by path and then searches every directory it
# can see for the secret, and also reads /etc/shadow and the SSH host keys.
# Judged from outside: the secret and the host's shadow file never appear
# in ward's output.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

S=$(new_secret)
R=${S#wardsecret-}
canaries=("$T_TMP/canary")
for d in /root /etc /home /var/tmp /run /srv /opt; do
  [ -d "$d" ] && canaries+=("$d/.ward-canary-$R")
done
for c in "${canaries[@]}"; do
  printf '%s\n' "$S" >"$c" && chmod 0644 "$c"
  at_exit "rm -f '$c'"
done

read -r -d '' CODE <<'PY'
import os, sys, time
deadline = time.time() + 20
secret_prefix = "wardsecret-"
for p in sys.argv[1:]:
    try:
        with open(p, "rb") as f:
            print("read", p, f.read(200))
    except OSError as e:
        print("read", p, e.__class__.__name__)
for p in ("/etc/shadow", "/etc/gshadow", "/etc/ssh", "/root", "/root/.ssh", "/home"):
    try:
        if os.path.isdir(p):
            print("list", p, os.listdir(p))
        else:
            with open(p, "rb") as f:
                print("read", p, f.read(4000))
    except OSError as e:
        print("open", p, e.__class__.__name__)
seen = 0
skip = {"/proc", "/sys", "/dev", "/usr", "/probes"}
for top in ("/",):
    for root, dirs, files in os.walk(top, onerror=lambda e: None):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
        if time.time() > deadline:
            print("walk-timeout")
            break
        for name in files:
            p = os.path.join(root, name)
            seen += 1
            try:
                if os.path.islink(p) or os.path.getsize(p) > 1 << 20:
                    continue
                with open(p, "rb") as f:
                    data = f.read()
                if secret_prefix.encode() in data:
                    print("FOUND", p, data[:200])
            except OSError:
                pass
print("walk-done", seen)
PY

run_sb -- /usr/bin/python3 -c "$CODE" "${canaries[@]}"
expect_document
expect_match "the search ran to the end" "$SOUT" 'walk-done [0-9]+'
expect_no_match "no canary found by the search" "$SOUT" 'FOUND'
expect_no_secret "host canaries" "$S"

# The host's own secrets: its shadow file and any SSH host private key.
if [ -r /etc/shadow ]; then
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    if [[ "$OUT$SOUT" == *"$line"* ]]; then fail "a line of the host's /etc/shadow leaked: ${line%%:*}"; break; fi
  done </etc/shadow
  ok
fi
for key in /etc/ssh/ssh_host_*_key; do
  [ -r "$key" ] || continue
  k=$(sed -n 2p "$key")
  [ -n "$k" ] && expect_no_secret "ssh host key $key" "$k"
done

# The canaries are still there and unchanged.
for c in "${canaries[@]}"; do
  expect_eq "canary $c" "$(cat "$c")" "$S"
done

done_testing
