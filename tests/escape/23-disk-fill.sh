#!/bin/bash
# Attack: fill every place the sandbox can write (/tmp, /dev/shm,
# /home/user and /output, which share one --disk budget) and try the ones
# it must not (/, /etc, /usr, /var, /run, /mnt). Each fill is bounded at
# 512M so a broken ward cannot take the host's disk down with it. Judged
# from outside: all writes together stop at the 16M cap (plus a page of
# rounding per file system), every fill ended with ENOSPC/EDQUOT/EFBIG or
# the run ended as disk_limit, the read-only places refused, the output
# directory on the host holds no more than the cap, and the host's free
# disk space did not drop by more than noise.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

mkdir "$T_TMP/outdir"
CAP=$((16 << 20))
sandbox_must_work --disk 16M --output-dir "$T_TMP/outdir"

S=$(new_secret)
TAG=${S#wardsecret-}
for d in /tmp /dev/shm /home/user /output /etc /usr /var /run /mnt; do at_exit "rm -f $d/ward-fill-$TAG /ward-fill-$TAG"; done
avail() { df -B1 --output=avail "$1" | tail -1; }
before_tmp=$(avail "$T_TMP")

read -r -d '' CODE <<'PY'
import errno, os, sys
tag = sys.argv[1]
bound = 512 << 20
chunk = b"x" * (1 << 20)
total = 0
for d in ("/tmp", "/dev/shm", "/home/user", "/output"):
    n, err = 0, "none"
    try:
        with open(os.path.join(d, "ward-fill-" + tag), "wb", buffering=0) as f:
            while n < bound:
                n += f.write(chunk)
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
    print("fill", d, n, err, flush=True)
    total += n
print("total", total, flush=True)
for d in ("/", "/etc", "/usr", "/var", "/run", "/mnt"):
    try:
        with open(os.path.join(d, "ward-fill-" + tag), "wb") as f:
            f.write(b"x")
        print("ro", d, "OK")
    except OSError as e:
        print("ro", d, errno.errorcode.get(e.errno, str(e.errno)))
print("done")
PY

run_sb --disk 16M --output-dir "$T_TMP/outdir" --wall-time 60s -- /usr/bin/python3 -c "$CODE" "$TAG"
expect_document
status=$(j .status)
case "$status" in
  ok)
    expect_match "the fill ran to the end" "$SOUT" $'\n''done'
    fills=$(grep -c '^fill ' <<<"$SOUT")
    expect_eq "places filled" "$fills" 4
    while read -r _ d n err; do
      expect_match "fill of $d stopped by the cap" "$err" '^(ENOSPC|EDQUOT|EFBIG)$'
    done < <(grep '^fill ' <<<"$SOUT")
    expect_no_match "a read-only place was written" "$SOUT" 'ro [^ ]+ OK'
    ;;
  disk_limit|file_size_limit)
    expect_eq "limit event" "$(j '[.events[]? | select(.type == "limit") | .limit] | join(" ")')" "${status%_limit}"
    ;;
  *) fail "unexpected status $status (stdout ${SOUT:0:300})" ;;
esac
written=0
while read -r _ d n _; do written=$((written + n)); done < <(grep '^fill ' <<<"$SOUT")
if [ "$written" -le $((CAP + (4 << 20))) ]; then ok; else fail "the sandbox wrote $written bytes with a 16M disk cap"; fi
out_bytes=$(du -sb "$T_TMP/outdir" | cut -f1)
if [ "$out_bytes" -le $((CAP + (1 << 20))) ]; then ok; else fail "the output directory on the host holds $out_bytes bytes"; fi
after_tmp=$(avail "$T_TMP")
drop=$((before_tmp - after_tmp - out_bytes))
if [ "$drop" -le $((256 << 20)) ]; then ok; else fail "the host's free space dropped by $drop bytes"; fi
for d in /tmp /dev/shm /home/user /etc /usr /var /run /mnt; do
  [ -e "$d/ward-fill-$TAG" ] && fail "the fill reached the host's $d"
done
ok

done_testing
