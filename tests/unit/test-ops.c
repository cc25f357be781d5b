/* The table of operations ward serve's parent admits from its front
 * (src/server/ops.c): what an unprivileged front may ask, and nothing
 * else. Each case is a frame as a (possibly hostile) front could write
 * it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "basic/limits.h"
#include "server/ops.h"

/* Parses json (and an optional blob) as a FRAME_REQUEST. */
static int parse(const char *json, const char *blob, op_request *r, ward_error *e) {
        frame f = {.hdr = {.type = FRAME_REQUEST,
                           .json_len = (uint32_t)strlen(json),
                           .id = 7,
                           .blob_len = blob ? strlen(blob) : 0},
                   .json = (char *)json,
                   .blob = (char *)blob};
        err_clear(e);
        return op_request_parse(&f, r, e);
}

/* A frame the table must refuse, with this reason, naming `needle`. */
static void refused(const char *json, const char *blob, const char *reason, const char *needle) {
        op_request r = {.id = 99};
        ward_error e;
        int rc = parse(json, blob, &r, &e);
        if (rc >= 0)
                fail_msg("admitted: %s", json);
        assert_int_equal(r.id, 99); /* untouched on failure */
        assert_non_null(e.reason);
        assert_string_equal(e.reason, reason);
        if (needle && !strstr(e.msg, needle) && strcmp(e.field, needle) != 0)
                fail_msg("'%s' is not named in \"%s\" (field \"%s\")", needle, e.msg, e.field);
}

/* A frame whose envelope the table admits and whose body (the blob) it
 * then refuses, with this reason, naming `needle`. */
static void body_refused(const char *json, const char *blob, const char *reason, const char *needle) {
        op_request r;
        ward_error e;
        if (parse(json, blob, &r, &e) < 0)
                fail_msg("envelope refused: %s: %s", json, e.msg);
        int rc = op_request_body(&r, &e);
        op_request_free(&r);
        if (rc >= 0)
                fail_msg("body admitted: %s", blob ? blob : "(none)");
        assert_string_equal(e.reason, reason);
        if (needle && !strstr(e.msg, needle) && strcmp(e.field, needle) != 0)
                fail_msg("'%s' is not named in \"%s\" (field \"%s\")", needle, e.msg, e.field);
}

static void admitted(const char *json, const char *blob, op_id op, op_request *r) {
        ward_error e;
        if (parse(json, blob, r, &e) < 0)
                fail_msg("refused: %s: %s", json, e.msg);
        assert_int_equal(r->op, op);
        assert_int_equal(r->id, 7);
}

static void every_op_by_name(void **state) {
        (void)state;
        for (int k = 0; k < OP__COUNT; k++) {
                const char *name = op_name((op_id)k);
                assert_non_null(name);
                char json[512];
                /* The fields each one must carry, at their smallest. */
                snprintf(json, sizeof json, "{\"op\":\"%s\",\"session\":\"ses_1\",\"path\":\"a\"}", name);
                const char *blob = k == OP_RUN || k == OP_CELL || k == OP_SESSION_CREATE ? "{}" : NULL;
                op_request r;
                ward_error e;
                int rc = parse(json, blob, &r, &e);
                if (rc < 0) { /* carries a field it may not: strip to what it must */
                        snprintf(json, sizeof json, "{\"op\":\"%s\"%s%s}", name,
                                 k >= OP_SESSION_GET ? ",\"session\":\"ses_1\"" : "",
                                 k >= OP_FILE_PUT && k <= OP_FILE_DELETE ? ",\"path\":\"a\"" : "");
                        admitted(json, blob, (op_id)k, &r);
                } else {
                        assert_int_equal(r.op, k);
                }
                assert_int_equal(op_request_body(&r, &e), 0);
                assert_true(blob ? json_is_object(r.body) : r.body == NULL);
                op_request_free(&r);
        }
        assert_null(op_name(OP__COUNT));
}

static void unknown_op(void **state) {
        (void)state;
        refused("{\"op\":\"shell\"}", NULL, "not_found", "shell");
        refused("{\"op\":\"\"}", NULL, "not_found", NULL);
        refused("{\"op\":\"RUN\"}", "{}", "not_found", "RUN");
}

static void unknown_field(void **state) {
        (void)state;
        /* A field no operation has. */
        refused("{\"op\":\"run\",\"tenant\":\"other\"}", "{}", "invalid_request", "tenant");
        refused("{\"op\":\"health\",\"admin\":true}", NULL, "invalid_request", "admin");
        /* A field of another operation. */
        refused("{\"op\":\"run\",\"session\":\"ses_1\"}", "{}", "invalid_request", "session");
        refused("{\"op\":\"session.get\",\"session\":\"ses_1\",\"path\":\"x\"}", NULL, "invalid_request", "path");
        /* The body is the blob, never a field of the envelope. */
        refused("{\"op\":\"run\",\"body\":{}}", NULL, "invalid_request", "body");
        refused("{\"op\":\"file.list\",\"session\":\"ses_1\"}", "{}", "invalid_request", "file.list");
}

static void wrong_types(void **state) {
        (void)state;
        refused("{\"op\":\"run\",\"stream\":\"yes\"}", "{}", "invalid_request", "stream");
        body_refused("{\"op\":\"run\"}", "[]", "invalid_body", "body");
        body_refused("{\"op\":\"run\"}", "\"print(1)\"", "invalid_body", "body");
        body_refused("{\"op\":\"run\"}", "{\"code\":", "invalid_json", "body");
        body_refused("{\"op\":\"run\"}", "{\"a\":1,\"a\":2}", "invalid_json", "body");
        refused("{\"op\":\"session.get\",\"session\":7}", NULL, "invalid_request", "session");
        refused("{\"op\":\"metrics\",\"token\":null}", NULL, "invalid_request", "token");
        refused("{\"op\":7}", NULL, "invalid_request", NULL);
}

static void out_of_bounds(void **state) {
        (void)state;
        char json[WARD_PATH_MAX + 256], big[WARD_PATH_MAX + 2];
        /* A token one byte past its cap. */
        memset(big, 'a', WARD_API_TOKEN_MAX + 1);
        big[WARD_API_TOKEN_MAX + 1] = '\0';
        snprintf(json, sizeof json, "{\"op\":\"metrics\",\"token\":\"%s\"}", big);
        refused(json, NULL, "invalid_request", "token");
        big[WARD_API_TOKEN_MAX] = '\0';
        snprintf(json, sizeof json, "{\"op\":\"metrics\",\"token\":\"%s\"}", big);
        op_request r;
        admitted(json, NULL, OP_METRICS, &r);
        assert_int_equal(strlen(r.token), WARD_API_TOKEN_MAX);
        op_request_free(&r);
        refused("{\"op\":\"metrics\",\"token\":\"\"}", NULL, "invalid_request", "token");
        /* Session ids: length and bytes. */
        memset(big, 'a', WARD_API_SESSION_ID_MAX + 1);
        big[WARD_API_SESSION_ID_MAX + 1] = '\0';
        snprintf(json, sizeof json, "{\"op\":\"session.get\",\"session\":\"%s\"}", big);
        refused(json, NULL, "invalid_request", "session");
        refused("{\"op\":\"session.get\",\"session\":\"../ses_1\"}", NULL, "invalid_request", "session");
        refused("{\"op\":\"session.get\",\"session\":\"ses 1\"}", NULL, "invalid_request", "session");
        refused("{\"op\":\"session.get\",\"session\":\"\"}", NULL, "invalid_request", "session");
        /* Paths: length and NUL. */
        memset(big, 'p', WARD_PATH_MAX + 1);
        big[WARD_PATH_MAX + 1] = '\0';
        snprintf(json, sizeof json, "{\"op\":\"file.get\",\"session\":\"s\",\"path\":\"%s\"}", big);
        refused(json, NULL, "invalid_request", "path");
        /* A NUL never gets as far as a field (jansson refuses \u0000
         * unless asked); the field rule would refuse it too. */
        refused("{\"op\":\"file.get\",\"session\":\"s\",\"path\":\"a\\u0000b\"}", NULL, "invalid_request", NULL);
        refused("{\"op\":\"file.list\",\"session\":\"s\",\"dir\":\"\\u0000\"}", NULL, "invalid_request", NULL);
}

static void missing_fields(void **state) {
        (void)state;
        body_refused("{\"op\":\"run\"}", NULL, "invalid_body", "body");
        body_refused("{\"op\":\"cell\",\"session\":\"ses_1\"}", NULL, "invalid_body", "body");
        refused("{\"op\":\"cell\"}", "{}", "invalid_request", "session");
        refused("{\"op\":\"file.get\",\"session\":\"ses_1\"}", NULL, "invalid_request", "path");
        op_request r;
        admitted("{\"op\":\"session.create\"}", NULL, OP_SESSION_CREATE, &r);
        ward_error e;
        assert_int_equal(op_request_body(&r, &e), 0);
        assert_null(r.body);
        op_request_free(&r);
        admitted("{\"op\":\"file.list\",\"session\":\"ses_1\"}", NULL, OP_FILE_LIST, &r);
        assert_null(r.dir);
        op_request_free(&r);
}

static void blobs(void **state) {
        (void)state;
        refused("{\"op\":\"health\"}", "bytes", "invalid_request", "health");
        refused("{\"op\":\"file.get\",\"session\":\"s\",\"path\":\"a\"}", "bytes", "invalid_request", "file.get");
        op_request r;
        admitted("{\"op\":\"file.put\",\"session\":\"s\",\"path\":\"a\",\"stream\":false}", "bytes", OP_FILE_PUT, &r);
        assert_int_equal(r.blob_len, 5);
        assert_memory_equal(r.blob, "bytes", 5);
        assert_string_equal(r.session, "s");
        assert_string_equal(r.path, "a");
        assert_false(r.stream);
        op_request_free(&r);
}

static void malformed(void **state) {
        (void)state;
        refused("", NULL, "invalid_request", NULL);
        refused("[]", NULL, "invalid_request", NULL);
        refused("{\"op\":\"run\"", NULL, "invalid_request", NULL);
        refused("{\"stream\":true}", NULL, "invalid_request", NULL);
        /* Duplicate keys: which one wins must never be a question. */
        refused("{\"op\":\"health\",\"op\":\"run\"}", NULL, "invalid_request", NULL);
        frame f = {.hdr = {.type = FRAME_CANCEL, .json_len = 2}, .json = "{}"};
        op_request r;
        ward_error e = {0};
        assert_true(op_request_parse(&f, &r, &e) < 0);
}

static void access_rules(void **state) {
        (void)state;
        for (int k = 0; k < OP__COUNT; k++) {
                assert_int_equal(op_is_public((op_id)k), k == OP_HEALTH);
                assert_int_equal(op_while_draining((op_id)k), k == OP_HEALTH || k == OP_METRICS);
        }
        op_request r;
        admitted("{\"op\":\"run\",\"stream\":true,\"token\":\"t\",\"peer\":\"127.0.0.1\"}", "{\"code\":\"1\"}", OP_RUN,
                 &r);
        ward_error e;
        assert_int_equal(op_request_body(&r, &e), 0);
        assert_true(r.stream);
        assert_string_equal(r.token, "t");
        assert_string_equal(r.peer, "127.0.0.1");
        assert_true(json_is_object(r.body));
        op_request_free(&r);
}

/* What the parent parses is bounded before jansson builds anything: the
 * envelope by its size, a body by its values and nesting. */
static void bounds(void **state) {
        (void)state;
        static char big[WARD_API_ENVELOPE_MAX + 64];
        int n = snprintf(big, sizeof big, "{\"op\":\"health\",\"peer\":\"");
        memset(big + n, ' ', sizeof big - (size_t)n - 4);
        memcpy(big + sizeof big - 4, "\"}", 3);
        refused(big, NULL, "invalid_request", NULL);

        /* One value more than the cap: "[[],[],...]" */
        size_t values = WARD_JSON_VALUES_MAX;
        static char many[3 * WARD_JSON_VALUES_MAX + 16];
        size_t k = (size_t)snprintf(many, sizeof many, "{\"a\":[");
        for (size_t i = 0; i + 3 < values; i++) { /* {, "a" and [ are three */
                memcpy(many + k, i ? ",[]" : "[]", i ? 3 : 2);
                k += i ? 3 : 2;
        }
        memcpy(many + k, "]}", 3);
        op_request r;
        admitted("{\"op\":\"run\"}", many, OP_RUN, &r); /* exactly at the cap */
        ward_error e;
        assert_int_equal(op_request_body(&r, &e), 0);
        op_request_free(&r);
        memcpy(many + k, ",[]]}", 6);
        body_refused("{\"op\":\"run\"}", many, "invalid_json", "too many values");

        /* Nesting one level past the cap. */
        char deep[2 * WARD_JSON_DEPTH_MAX + 16];
        k = (size_t)snprintf(deep, sizeof deep, "{\"a\":");
        for (unsigned i = 0; i < WARD_JSON_DEPTH_MAX; i++)
                deep[k++] = '[';
        for (unsigned i = 0; i < WARD_JSON_DEPTH_MAX; i++)
                deep[k++] = ']';
        memcpy(deep + k, "}", 2);
        body_refused("{\"op\":\"run\"}", deep, "invalid_json", "nested deeper");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_op_by_name), cmocka_unit_test(unknown_op),  cmocka_unit_test(bounds),
                cmocka_unit_test(unknown_field),    cmocka_unit_test(wrong_types), cmocka_unit_test(out_of_bounds),
                cmocka_unit_test(missing_fields),   cmocka_unit_test(blobs),       cmocka_unit_test(malformed),
                cmocka_unit_test(access_rules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
