/* The edge where a ward_error becomes an API answer: its HTTP status and
 * the error code clients read ("invalid_field", "quota", ...). One table
 * for the HTTP front and the parent alike. */
#pragma once

#include "basic/error.h"

/* The HTTP status of e, and in *ret_reason the code clients see: e's
 * reason when it has one, else one derived from its errno (a file or
 * session operation's: -ENOENT is not_found, -EFBIG too_large, ...). */
unsigned apierror_status(const ward_error *e, const char **ret_reason);
