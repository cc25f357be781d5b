/* The audit log: one JSON line per run, appended. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

/* Opens (creates, mode 0600) the log for appending, before the run, so
 * that a log that cannot be written stops the run instead of losing it.
 * No symlink in the path is followed. Returns the fd. */
int audit_open(const char *path, ward_error *err);
/* Appends `doc` (the result document) with a run id, the time, the policy
 * digest and the digest of the code or argv, as one line of at most
 * max_len bytes, under a lock. */
int audit_append(int fd, size_t max_len, json_t *doc, const char *policy_digest, const char *subject_kind,
                 const char *subject_digest, ward_error *err);
