#!/bin/bash
# --output-dir: regular files written in /output are copied to the host
# directory after the run; symlinks, fifos and special files are not, setuid
# and setgid bits are not, and what is copied stays within the disk cap.
source "$(dirname "$0")/../helpers/lib.sh"

out="$T_TMP/out.d"
mkdir "$out"
run_ward run --output-dir "$out" -- sh -c '
echo hello > /output/a.txt
mkdir /output/sub /output/sub/deeper
echo nested > /output/sub/deeper/b.txt
head -c 3000 /dev/urandom > /output/bin
sha256sum < /output/bin | cut -d" " -f1
ln -s /etc/passwd /output/link
ln -s / /output/rootlink
ln -s a.txt /output/rel-link
mkfifo /output/fifo
echo s > /output/suid; chmod 4755 /output/suid
echo g > /output/sgid; chmod 2755 /output/sgid
echo x > /output/exec; chmod 755 /output/exec
python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"/output/sock\")"
ls -A /output | tr "\n" " " >&2'
expect_rc 0
expect_eq "a.txt copied" "$(cat "$out/a.txt" 2>/dev/null)" hello
expect_eq "nested file copied" "$(cat "$out/sub/deeper/b.txt" 2>/dev/null)" nested
expect_eq "binary file intact" "$(sha256sum <"$out/bin" 2>/dev/null | cut -d' ' -f1)" "$OUT"
for f in link rootlink rel-link fifo sock; do
  if [ -e "$out/$f" ] || [ -L "$out/$f" ]; then fail "$f copied: $(ls -l "$out/$f")"; else ok; fi
done
for f in suid sgid; do
  if [ -e "$out/$f" ]; then
    expect_no_match "$f: mode on the host" "$(stat -c %A "$out/$f")" '[sS]'
  else ok; fi
done
expect_eq "exec bit kept" "$(stat -c %A "$out/exec" 2>/dev/null | cut -c4)" x
expect_match "the sandbox did create them" "$ERR" "fifo.*link|link.*fifo"
# Nothing outside /output came along (the symlink to / was not followed).
expect_eq "no host files pulled in" "$(cd "$out" && find . -mindepth 1 | sort | tr '\n' ' ')" \
  "./a.txt ./bin ./exec ./sgid ./sub ./sub/deeper ./sub/deeper/b.txt ./suid "

# Files appear only after the run: the host dir does not expose /output live.
out2="$T_TMP/out2.d"
mkdir "$out2"
"$WARD" run --output-dir "$out2" -- sh -c 'echo early > /output/e; sleep 1' </dev/null >/dev/null 2>&1 &
wpid=$!
sleep 0.5
expect_eq "not copied before the end" "$(ls -A "$out2")" ""
wait $wpid
expect_eq "copied at the end" "$(cat "$out2/e" 2>/dev/null)" early

# Within the disk cap: 20M asked, 8M disk.
out3="$T_TMP/out3.d"
mkdir "$out3"
run_json --disk 8M --output-dir "$out3" -- dd if=/dev/zero of=/output/big bs=1M count=20
expect_status disk_limit
total=0
for n in $(find "$out3" -type f -printf '%s\n'); do total=$((total + n)); done
if [ "$total" -le $((8 << 20)) ]; then ok; else fail "output-dir holds $total bytes with an 8M disk"; fi

# A hard link inside /output to a file elsewhere in the sandbox is only
# sandbox data; a run that writes nothing leaves the dir empty.
out4="$T_TMP/out4.d"
mkdir "$out4"
run_ward run --output-dir "$out4" -- true
expect_rc 0
expect_eq "nothing written, nothing copied" "$(ls -A "$out4")" ""

# Files named like an escape stay inside the output dir.
out5="$T_TMP/out5.d"
mkdir "$out5"
run_ward run --output-dir "$out5" -- sh -c 'echo a > "/output/..."; echo b > "/output/-rf"; echo c > "/output/new
line"'
expect_eq "odd names: all inside" "$(find "$out5" -type f -printf x | wc -c)" 3
expect_eq "odd names: nothing beside the dir" "$(ls -A "$T_TMP" | grep -c -v -e '^out[0-9]*\.d$' -e '^out$' -e '^err$')" 0

expect_no_cgroups
done_testing
