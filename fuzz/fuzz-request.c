/* Fuzz target: what ward serve's parent admits from a front,
 * op_request_parse() and op_request_body() (src/server/ops.h): the
 * envelope, and then the body, of a FRAME_REQUEST.
 *
 * The input's first byte is the envelope's length (at most what is left);
 * the envelope's JSON follows, and the rest is the blob (a body's JSON
 * text, or a file's bytes). Checked, from ops.h:
 *   - a refusal has a reason and a one-line message, and leaves the
 *     request untouched;
 *   - an admitted request names an operation of the table, its strings
 *     are within their bounds (token, peer, session id, path), a session
 *     id follows op_session_id_valid, and nothing is left unowned;
 *   - a body, once op_request_body admits it, is a JSON object, and the
 *     blob is no longer the request's; a refused body says why with the
 *     field "body". */
#include <string.h>

#include "basic/limits.h"
#include "fuzz.h"
#include "server/ops.h"

static void one_line(const ward_error *e, const char *what) {
        if (!e->reason || !e->reason[0] || !e->msg[0] || strchr(e->msg, '\n'))
                fuzz_fail("%s: a refusal without a reason or a one-line message: '%s'", what, e->msg);
}

static void within(const char *s, size_t min, size_t max, const char *what) {
        if (s && (strlen(s) < min || strlen(s) > max))
                fuzz_fail("%s of %zu bytes admitted", what, strlen(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        size_t env = data[0] < size - 1 ? data[0] : size - 1;
        char *json = malloc(env + 1);
        if (!json)
                return 0;
        memcpy(json, data + 1, env);
        json[env] = '\0';
        size_t blob_len = size - 1 - env;
        frame f = {.hdr = {.type = FRAME_REQUEST, .json_len = (uint32_t)env, .id = 5, .blob_len = blob_len},
                   .json = json,
                   .blob = blob_len ? (char *)data + 1 + env : NULL};
        op_request r = {.id = 77};
        ward_error e = {0};
        if (op_request_parse(&f, &r, &e) < 0) {
                one_line(&e, "envelope");
                if (r.id != 77 || r.doc)
                        fuzz_fail("a refused request was touched");
                free(json);
                return 0;
        }
        if (r.op >= OP__COUNT || r.id != 5)
                fuzz_fail("admitted operation %d, id %llu", (int)r.op, (unsigned long long)r.id);
        within(r.token, 1, WARD_API_TOKEN_MAX, "a token");
        within(r.peer, 1, WARD_API_PEER_MAX, "a peer");
        within(r.path, 0, WARD_PATH_MAX, "a path");
        within(r.dir, 0, WARD_PATH_MAX, "a dir");
        if (r.session && !op_session_id_valid(r.session, strlen(r.session)))
                fuzz_fail("session id '%s' admitted", r.session);
        err_clear(&e);
        if (op_request_body(&r, &e) < 0) {
                one_line(&e, "body");
                if (strcmp(e.field, "body") != 0)
                        fuzz_fail("a refused body names the field '%s'", e.field);
        } else if (r.body && (!json_is_object(r.body) || r.blob)) {
                fuzz_fail("an admitted body that is not an object, or a blob still held");
        }
        op_request_free(&r);
        free(json);
        return 0;
}
