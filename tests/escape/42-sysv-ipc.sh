#!/bin/bash
# Attack: read host shared memory. The host creates a System V shared
# memory segment (mode 0666) and a POSIX shared memory file in /dev/shm,
# both holding a secret; the sandbox looks the segment up by key, scans
# segment ids with SHM_STAT, attaches whatever it finds, and opens the
# /dev/shm file. Judged from outside: the secret never appears.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

[ -x "$HOST_PY" ] || skip "needs python3 on the host"
sandbox_must_work
S=$(new_secret)
TAG=${S#wardsecret-}
KEY=$(( 0x5a000000 + (RANDOM << 8) + RANDOM % 256 ))

read -r -d '' MAKE <<'PY'
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
key, secret = int(sys.argv[1]), sys.argv[2].encode()
shmid = libc.shmget(key, 4096, 0o1000 | 0o666)   # IPC_CREAT
if shmid < 0:
    raise SystemExit("shmget %d" % ctypes.get_errno())
addr = libc.shmat(shmid, None, 0)
ctypes.memmove(addr, secret, len(secret))
libc.shmdt(ctypes.c_void_p(addr))
print(shmid)
PY
shmid=$("$HOST_PY" -c "$MAKE" "$KEY" "$S") || { fail "could not create a host segment"; done_testing; }
at_exit "ipcrm -m $shmid"
printf '%s\n' "$S" >"/dev/shm/ward-canary-$TAG"
chmod 0666 "/dev/shm/ward-canary-$TAG"
at_exit "rm -f '/dev/shm/ward-canary-$TAG'"

read -r -d '' CODE <<'PY'
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
key, tag = int(sys.argv[1]), sys.argv[2]
def dump(shmid, how):
    addr = libc.shmat(shmid, None, 0o10000)   # SHM_RDONLY
    if addr in (None, ctypes.c_void_p(-1).value):
        print(how, shmid, "attach", ctypes.get_errno()); return
    print(how, shmid, "data", ctypes.string_at(addr, 64))
shmid = libc.shmget(key, 0, 0)
print("byKey", shmid, ctypes.get_errno())
if shmid >= 0:
    dump(shmid, "key")
buf = ctypes.create_string_buffer(256)
for idx in range(0, 256):
    sid = libc.shmctl(idx, 13, buf)   # SHM_STAT
    if sid >= 0:
        dump(sid, "scan")
try:
    print("posix", open("/dev/shm/ward-canary-" + tag).read())
except OSError as e:
    print("posix", e.__class__.__name__)
print("done")
PY
run_sb -- /usr/bin/python3 -c "$CODE" "$KEY" "$TAG"
expect_document
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_match "lookup by key fails" "$SOUT" 'byKey -1 '
expect_no_secret "host shared memory" "$S"

done_testing
