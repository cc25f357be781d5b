/* The audit log: one JSON line per run, appended. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

/* Appends `doc` (the result document) with a run id, the time, the policy
 * digest and the digest of the code or argv. */
int audit_append(const char *path, json_t *doc, const char *policy_digest, const char *subject_kind,
                 const char *subject_digest, ward_error *err);
