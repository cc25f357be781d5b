/* Checks shared by the fuzz targets that build a policy (fuzz-policy from a
 * JSON document, fuzz-options from command-line options). Each failed check
 * calls fuzz_fail(), which aborts. */
#pragma once

#include "policy/policy.h"

/* A setter or loader that failed says so the documented way: the negative
 * errno it returns is in err, with a one-line message. */
void check_error(int r, const ward_error *err);

/* Every value in p is one a setter may have accepted: limits in range, env
 * names valid and unique, paths clean, mount targets not reserved. Holds
 * after a failure too, since a failed setter must leave p as it was. */
void check_policy(const policy *p);

/* What policy_validate() promises when it succeeds that can be checked
 * without the host: no two mounts on the same sandbox path, however
 * spelled. */
void check_validated(const policy *p);

/* The canonical JSON of p is a policy that, applied to the defaults, gives
 * p back field by field, with the same canonical text and digest; and a
 * deep copy of that (policy_copy) is the same policy again. */
void check_round_trip(const policy *p);

/* Deep equality, env compared as a set (its order is not part of a policy:
 * the canonical JSON sorts it). */
bool policy_equal(const policy *a, const policy *b);
