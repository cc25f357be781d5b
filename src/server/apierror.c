/* ward_error to HTTP (see apierror.h). */
#include "server/apierror.h"

#include <errno.h>
#include <string.h>

#include "basic/cleanup.h"

/* Every error code ward's API answers with, and its status. A reason not
 * here is a bug in ward, answered 500 so that it is seen. */
static const struct {
        const char *reason;
        unsigned status;
} reasons[] = {
        {"invalid_request", 400},
        {"invalid_json", 400},
        {"invalid_body", 400},
        {"invalid_field", 400},
        {"unknown_field", 400},
        {"unauthorized", 401},
        {"forbidden", 403},
        {"over_tier", 403},
        {"not_found", 404},
        {"method_not_allowed", 405},
        {"busy", 409},
        {"conflict", 409},
        {"too_large", 413},
        {"unsupported_media_type", 415},
        {"misdirected_request", 421},
        {"quota", 429},
        {"internal", 500},
        {"bad_gateway", 502},
        {"unavailable", 503},
};

static const char *reason_of_errno(int code) {
        switch (code) {
        case -ENOENT:
                return "not_found";
        case -EACCES:
        case -EPERM:
                return "forbidden";
        case -EFBIG:
        case -ENOSPC:
        case -E2BIG:
        case -EMSGSIZE:
                return "too_large";
        case -EEXIST:
        case -EISDIR:
        case -ENOTDIR:
        case -ENOTEMPTY:
                return "conflict";
        case -ENOMEM:
        case -EAGAIN:
                return "unavailable";
        default:
                return "invalid_field";
        }
}

unsigned apierror_status(const ward_error *e, const char **ret_reason) {
        const char *reason = e->reason ? e->reason : reason_of_errno(e->code);
        for (size_t i = 0; i < ELEMENTSOF(reasons); i++)
                if (strcmp(reasons[i].reason, reason) == 0) {
                        *ret_reason = reasons[i].reason;
                        return reasons[i].status;
                }
        *ret_reason = "internal";
        return 500;
}
