#!/bin/bash
# Attack: make ward's handling of --output-dir work for the sandbox. Inside
# /output the sandbox leaves symlinks to host paths (a secret file, the
# host's /root), a FIFO (a copier that opens it blocks forever), a sparse
# file of 60M logical size that takes no space, and one 4M file under 16
# hard links (4M of the disk budget, 64M if each link is copied as a file
# of its own): the last two would let a sandbox write far more than its
# disk cap to the host's disk through the copy-out. A second run writes a
# regular file over the name of a symlink that the first run left pointing
# at a host victim file. Judged from outside: ward finished both runs and
# copied an ordinary file out, no
# regular file in the output directory holds the secret, the victim is
# unchanged, and the output directory takes no more disk than the cap.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

S=$(new_secret)
chmod 0755 "$T_TMP"
mkdir -m 0777 "$T_TMP/outdir"
printf '%s\n' "$S" >"$T_TMP/secret"
printf 'victim\n' >"$T_TMP/victim"
chmod 0666 "$T_TMP/victim"
sandbox_must_work --output-dir "$T_TMP/outdir"

run_sb --output-dir "$T_TMP/outdir" --disk 32M --wall-time 20s -- /bin/sh -c "
  cd /output || exit 3
  echo copied > marker
  ln -s '$T_TMP/secret' leak
  ln -s /root rootdir
  ln -s '$T_TMP/victim' evil
  mkfifo fifo
  /usr/bin/python3 -c 'import os; f = os.open(\"sparse\", os.O_CREAT | os.O_WRONLY, 0o644); os.ftruncate(f, 60 << 20)'
  head -c 4M /dev/zero > big && for i in \$(seq 16); do ln big link\$i; done
  ls -la /output; echo done"
expect_document
expect_match "the first run ran" "$SOUT" 'done'
expect_no_secret "first run" "$S"

run_sb --output-dir "$T_TMP/outdir" --wall-time 20s -- /bin/sh -c 'cd /output && rm -f evil 2>/dev/null; echo pwned > evil; echo pwned > leak 2>/dev/null; echo done'
expect_document
expect_match "the second run ran" "$SOUT" 'done'

# The copy-out works at all: otherwise nothing below means anything.
expect_eq "an ordinary file reached the output directory" "$(cat "$T_TMP/outdir/marker" 2>/dev/null)" copied
expect_eq "host victim" "$(cat "$T_TMP/victim")" victim
expect_eq "host secret file" "$(cat "$T_TMP/secret")" "$S"
leaked=$(find "$T_TMP/outdir" -type f -exec grep -l -- "$S" {} + 2>/dev/null)
expect_eq "regular files in the output directory holding the secret" "$leaked" ""
used=$(du -sB1 "$T_TMP/outdir" | cut -f1)
if [ "$used" -le $((33 << 20)) ]; then ok; else fail "the output directory takes $used bytes on the host with a 32M disk cap ($(cd "$T_TMP/outdir" && du -sh -- * 2>/dev/null | tr '\n\t' '; '))"; fi
if find "$T_TMP/outdir" -type p | grep -q .; then
  echo "note [$T_NAME]: a FIFO made inside reached the host's output directory" >&2
fi

done_testing
