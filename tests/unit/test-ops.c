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
                snprintf(json, sizeof json, "{\"op\":\"%s\",\"session\":\"ses_1\",\"path\":\"a\",\"body\":{}}", name);
                op_request r;
                ward_error e;
                int rc = parse(json, NULL, &r, &e);
                if (rc < 0) { /* carries a field it may not: strip to what it must */
                        snprintf(json, sizeof json, "{\"op\":\"%s\"%s%s%s}", name,
                                 k >= OP_SESSION_GET ? ",\"session\":\"ses_1\"" : "",
                                 k >= OP_FILE_PUT && k <= OP_FILE_DELETE ? ",\"path\":\"a\"" : "",
                                 k == OP_RUN || k == OP_CELL ? ",\"body\":{}" : "");
                        admitted(json, NULL, (op_id)k, &r);
                } else {
                        assert_int_equal(r.op, k);
                }
                op_request_free(&r);
        }
        assert_null(op_name(OP__COUNT));
}

static void unknown_op(void **state) {
        (void)state;
        refused("{\"op\":\"shell\"}", NULL, "not_found", "shell");
        refused("{\"op\":\"\"}", NULL, "not_found", NULL);
        refused("{\"op\":\"RUN\",\"body\":{}}", NULL, "not_found", "RUN");
}

static void unknown_field(void **state) {
        (void)state;
        /* A field no operation has. */
        refused("{\"op\":\"run\",\"body\":{},\"tenant\":\"other\"}", NULL, "invalid_request", "tenant");
        refused("{\"op\":\"health\",\"admin\":true}", NULL, "invalid_request", "admin");
        /* A field of another operation. */
        refused("{\"op\":\"run\",\"body\":{},\"session\":\"ses_1\"}", NULL, "invalid_request", "session");
        refused("{\"op\":\"session.get\",\"session\":\"ses_1\",\"path\":\"x\"}", NULL, "invalid_request", "path");
        refused("{\"op\":\"file.list\",\"session\":\"ses_1\",\"body\":{}}", NULL, "invalid_request", "body");
}

static void wrong_types(void **state) {
        (void)state;
        refused("{\"op\":\"run\",\"body\":{},\"stream\":\"yes\"}", NULL, "invalid_request", "stream");
        refused("{\"op\":\"run\",\"body\":[]}", NULL, "invalid_body", "body");
        refused("{\"op\":\"run\",\"body\":\"print(1)\"}", NULL, "invalid_body", "body");
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
        refused("{\"op\":\"run\"}", NULL, "invalid_body", "body");
        refused("{\"op\":\"cell\",\"session\":\"ses_1\"}", NULL, "invalid_body", "body");
        refused("{\"op\":\"cell\",\"body\":{}}", NULL, "invalid_request", "session");
        refused("{\"op\":\"file.get\",\"session\":\"ses_1\"}", NULL, "invalid_request", "path");
        op_request r;
        admitted("{\"op\":\"session.create\"}", NULL, OP_SESSION_CREATE, &r);
        assert_null(r.body);
        op_request_free(&r);
        admitted("{\"op\":\"file.list\",\"session\":\"ses_1\"}", NULL, OP_FILE_LIST, &r);
        assert_null(r.dir);
        op_request_free(&r);
}

static void blobs(void **state) {
        (void)state;
        refused("{\"op\":\"run\",\"body\":{}}", "bytes", "invalid_request", "run");
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
        refused("{\"op\":\"run\",\"body\":{}", NULL, "invalid_request", NULL);
        refused("{\"body\":{}}", NULL, "invalid_request", NULL);
        /* Duplicate keys: which one wins must never be a question. */
        refused("{\"op\":\"health\",\"op\":\"run\",\"body\":{}}", NULL, "invalid_request", NULL);
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
        admitted("{\"op\":\"run\",\"body\":{\"code\":\"1\"},\"stream\":true,\"token\":\"t\",\"peer\":\"127.0.0.1\"}",
                 NULL, OP_RUN, &r);
        assert_true(r.stream);
        assert_string_equal(r.token, "t");
        assert_string_equal(r.peer, "127.0.0.1");
        assert_true(json_is_object(r.body));
        op_request_free(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_op_by_name),
                cmocka_unit_test(unknown_op),
                cmocka_unit_test(unknown_field),
                cmocka_unit_test(wrong_types),
                cmocka_unit_test(out_of_bounds),
                cmocka_unit_test(missing_fields),
                cmocka_unit_test(blobs),
                cmocka_unit_test(malformed),
                cmocka_unit_test(access_rules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
