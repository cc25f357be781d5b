#!/bin/bash
# Request bodies at ward serve's HTTP front that a proxy and the front
# could read differently, or that pass the cap without a declared length:
# a request with both Content-Length and Transfer-Encoding is refused 400
# invalid_request, and the request smuggled in its body is never answered
# (request smuggling behind a proxy); a chunked body over the cap (JSON,
# and a PUT file) is answered 413 too_large with the JSON error, not an
# empty reply; a chunked body under the cap still works.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"

serve_start --pool 0
RUN='{"language":"bash","code":"echo ok"}'

WHAT="Content-Length and Transfer-Encoding"
req POST /v1/runs -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' -H "Content-Length: ${#RUN}" --data-binary "$RUN"
expect_error "$WHAT" 400 null
expect_eq "$WHAT: code" "$(j .error.code)" invalid_request

# On one connection, as a proxy that trusts Content-Length would pass it
# on: the front must not read a second request out of the first's body.
answers=$(python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
smuggled = b"GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port
body = b"0\r\n\r\n" + smuggled
s.sendall(b"POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % (port, len(body)) + body)
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except socket.timeout:
    pass
print(" ".join(l.split()[1].decode() for l in data.split(b"\r\n") if l.startswith(b"HTTP/1.")))
PY
)
expect_eq "a smuggled request: the answers on the connection" "$answers" 400

WHAT="a chunked JSON body over the cap"
head -c $((40 << 20)) /dev/zero | tr '\0' ' ' >"$T_TMP/big"
req POST /v1/runs -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$T_TMP/big"
expect_error "$WHAT" 413 body
expect_eq "$WHAT: code" "$(j .error.code)" too_large
WHAT="a chunked file over the cap"
head -c $((70 << 20)) /dev/zero >"$T_TMP/bigfile"
req PUT /v1/sessions/nope/files/f -H 'Transfer-Encoding: chunked' --data-binary @"$T_TMP/bigfile"
expect_error "$WHAT" 413 body
rm -f "$T_TMP/big" "$T_TMP/bigfile"
WHAT="a chunked body under the cap"
post /v1/runs "$RUN" -H 'Transfer-Encoding: chunked'
expect_eq "$WHAT" "$CODE $(j .stdout)" "200 ok"
expect_healthy "after the bodies"
serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "after the bodies"
done_testing
