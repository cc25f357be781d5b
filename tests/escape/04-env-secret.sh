#!/bin/bash
# Attack: read ward's environment. Secrets are exported in the environment
# ward is started with (WARD_TEST_SECRET and a token-like name); the sandbox
# dumps its environment, /proc/self/environ, /proc/1/environ (the sandbox's
# init) and every other environ it can open. A variable passed on purpose
# with --env must arrive, so the dump is known to work. Judged from outside:
# neither secret appears in anything ward printed.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

S=$(new_secret)
S2=$(new_secret)
export WARD_TEST_SECRET=$S
export GITHUB_TOKEN=$S2

sandbox_must_work
expect_no_secret "environment, benign run" "$S"

read -r -d '' CODE <<'PY'
import os
for k, v in sorted(os.environ.items()):
    print("env", k, v)
for d in sorted(os.listdir("/proc")):
    if not d.isdigit() and d not in ("self", "thread-self"):
        continue
    try:
        with open(f"/proc/{d}/environ", "rb") as f:
            print("environ", d, f.read().replace(b"\0", b" ").decode(errors="replace"))
    except OSError as e:
        print("environ", d, e.__class__.__name__)
print("done")
PY

run_sb --env WARD_VISIBLE=passed-on-purpose -- /usr/bin/python3 -c "$CODE"
expect_document
expect_match "the dump ran" "$SOUT" $'\n''done'
expect_match "--env reaches the program" "$SOUT" 'env WARD_VISIBLE passed-on-purpose'
expect_match "/proc/1/environ was looked at" "$SOUT" 'environ 1 '
expect_no_secret "WARD_TEST_SECRET" "$S"
expect_no_secret "GITHUB_TOKEN" "$S2"
expect_no_match "the variable's name" "$SOUT" 'WARD_TEST_SECRET|GITHUB_TOKEN'

# The same through a shell and a language runtime's own view.
run_sb -- /bin/sh -c 'env; cat /proc/self/environ /proc/1/environ 2>&1; set'
expect_document
expect_match "the shell dump ran" "$SOUT" 'PATH='
expect_no_secret "WARD_TEST_SECRET via sh" "$S"
expect_no_secret "GITHUB_TOKEN via sh" "$S2"

done_testing
