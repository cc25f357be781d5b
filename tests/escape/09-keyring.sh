#!/bin/bash
# Attack: the kernel keyring, shared across containers before keyring
# namespaces: keyctl (join or create the session keyring), add_key (store a
# key), request_key (ask the kernel's upcall). Judged: each call fails;
# where an unprivileged host process could make it (no capability check
# stands in the way), it failed with EPERM and the JSON events record a
# syscall_denied for it.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
run_probe -- keyctl add_key request_key
expect_blocked_by_filter keyctl add_key request_key

done_testing
