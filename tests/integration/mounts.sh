#!/bin/bash
# Host directories inside: --workdir (the host dir is /home/user, writable,
# files land on the host), --ro and --rw in both HOST and HOST:SANDBOX forms.
source "$(dirname "$0")/../helpers/lib.sh"

# --workdir
wd="$T_TMP/work"
mkdir "$wd"
echo from-host >"$wd/in.txt"
run_ward run --workdir "$wd" -- sh -c 'pwd; cat in.txt; echo from-sandbox > out.txt; mkdir d; echo x > d/y'
expect_rc 0
expect_eq "workdir: cwd and content" "$OUT" "/home/user
from-host"
expect_eq "workdir: file on the host" "$(cat "$wd/out.txt" 2>/dev/null)" from-sandbox
expect_eq "workdir: nested file on the host" "$(cat "$wd/d/y" 2>/dev/null)" x
# The workdir is this directory only, not its parent.
run_ward run --workdir "$wd" -- sh -c 'ls -a /home/user/.. | tr "\n" " "'
expect_no_match "workdir: parent not visible" "$OUT" "work"

# Without --workdir nothing leaks out of /home/user.
run_ward run -- sh -c 'echo x > /home/user/leak && cat /home/user/leak'
expect_eq "default home writable" "$OUT" x
run_ward run -- sh -c 'ls -A /home/user'
expect_eq "default home starts empty" "$OUT" ""

# --ro HOST (same path inside) and HOST:SANDBOX.
ro="$T_TMP/ro"
mkdir "$ro"
chmod 777 "$ro"
echo secret-ro >"$ro/f"
chmod 666 "$ro/f"
run_ward run --ro "$ro" -- sh -c "cat $ro/f; echo changed > $ro/f; echo new > $ro/new; true"
expect_eq "--ro HOST: readable at the same path" "$OUT" secret-ro
expect_eq "--ro HOST: file unchanged" "$(cat "$ro/f")" secret-ro
expect_eq "--ro HOST: no new file" "$(ls "$ro")" f
run_ward run --ro "$ro:/data" -- sh -c 'cat /data/f; echo changed > /data/f; echo new > /data/new; touch /data; true'
expect_eq "--ro HOST:SANDBOX: readable" "$OUT" secret-ro
expect_match "--ro HOST:SANDBOX: write refused" "$ERR" "[Rr]ead-only|[Pp]ermission denied"
expect_eq "--ro HOST:SANDBOX: file unchanged" "$(cat "$ro/f")" secret-ro
expect_eq "--ro HOST:SANDBOX: no new file" "$(ls "$ro")" f
# A single file.
run_ward run --ro "$ro/f:/data/app.conf" -- cat /data/app.conf
expect_eq "--ro of a file" "$OUT" secret-ro
# Read-only cannot be undone by remounting from inside.
run_ward run --ro "$ro:/data" -- sh -c 'mount -o remount,rw /data 2>/dev/null; echo changed > /data/f'
expect_eq "--ro: remount refused" "$(cat "$ro/f")" secret-ro

# --rw HOST and HOST:SANDBOX: writes land on the host.
rw="$T_TMP/rw"
mkdir "$rw"
echo before >"$rw/f"
run_ward run --rw "$rw" -- sh -c "cat $rw/f; echo after > $rw/f; echo new > $rw/new"
expect_rc 0
expect_eq "--rw HOST: readable" "$OUT" before
expect_eq "--rw HOST: write lands" "$(cat "$rw/f")" after
expect_eq "--rw HOST: new file lands" "$(cat "$rw/new" 2>/dev/null)" new
run_ward run --rw "$rw:/data" -- sh -c 'cat /data/f; echo again > /data/f; rm /data/new'
expect_rc 0
expect_eq "--rw HOST:SANDBOX: readable" "$OUT" after
expect_eq "--rw HOST:SANDBOX: write lands" "$(cat "$rw/f")" again
expect_eq "--rw HOST:SANDBOX: delete lands" "$([ -e "$rw/new" ] && echo present || echo gone)" gone

# Two binds together, one ro one rw, and the rw one is still not a way to
# the rest of the host.
run_ward run --ro "$ro:/in" --rw "$rw:/out" -- sh -c 'cp /in/f /out/copy; ls /out/.. >/dev/null; cat /out/copy'
expect_eq "ro + rw" "$OUT" secret-ro
expect_eq "ro + rw: copy on the host" "$(cat "$rw/copy" 2>/dev/null)" secret-ro
run_ward run --rw "$rw:/out" -- sh -c "cat /out/../$(basename "$ro")/f 2>/dev/null; ls / | tr '\n' ' '"
expect_no_match "rw: sibling host dir not reachable" "$OUT" "secret-ro"

# The host's own files are not visible where nothing was bound.
run_ward run -- sh -c "cat $ro/f 2>/dev/null; ls $T_TMP 2>/dev/null; true"
expect_eq "unbound host dir invisible" "$OUT" ""

expect_no_cgroups
done_testing
