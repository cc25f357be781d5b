/* The HTTP front's route table (src/server/front-route.c): every route
 * src/server/openapi.json documents maps to its op, body kind and URL
 * parts; unknown URLs are 404; a method a URL does not take is 405 with
 * that URL's Allow; session ids and paths are %-decoded, and those with
 * bad bytes are refused with the status and field a client sees. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "server/apierror.h"
#include "server/front-internal.h"

/* The answer for one request: 0 and the route, or the error's status. */
typedef struct routed {
        int r;
        front_route route;
        char allow[FRONT_ALLOW_MAX];
        ward_error err;
        unsigned status;
        const char *code;
} routed;

static routed do_route(const char *method, const char *url, const char *dir) {
        routed o = {0};
        o.r = front_route_match(url, method, dir, &o.route, o.allow, &o.err);
        if (o.r < 0)
                o.status = apierror_status(&o.err, &o.code);
        return o;
}

static void expect_error(const char *method, const char *url, const char *dir, unsigned status, const char *code,
                         const char *field) {
        routed o = do_route(method, url, dir);
        if (o.r >= 0)
                fail_msg("%s %s: routed to %s, expected %u", method, url, o.route.op, status);
        assert_int_equal(o.status, status);
        assert_string_equal(o.code, code);
        assert_string_equal(o.err.field, field);
        assert_true(o.err.msg[0] != '\0');
        assert_null(o.route.path);
        assert_null(o.route.dir);
}

static void documented_routes(void **state) {
        static const struct {
                const char *method, *url, *dir;
                const char *op; /* NULL: the OpenAPI document */
                enum front_body body;
                const char *session, *path, *dir_taken; /* "" / NULL: none */
        } cases[] = {
                {"GET", "/healthz", NULL, "health", BODY_NONE, "", NULL, NULL},
                {"HEAD", "/healthz", NULL, "health", BODY_NONE, "", NULL, NULL},
                {"GET", "/metrics", NULL, "metrics", BODY_NONE, "", NULL, NULL},
                {"GET", "/v1/openapi.json", NULL, NULL, BODY_NONE, "", NULL, NULL},
                {"POST", "/v1/runs", NULL, "run", BODY_OBJECT, "", NULL, NULL},
                {"GET", "/v1/sessions", NULL, "session.list", BODY_NONE, "", NULL, NULL},
                {"POST", "/v1/sessions", NULL, "session.create", BODY_OBJECT_OR_EMPTY, "", NULL, NULL},
                {"GET", "/v1/sessions/s1", NULL, "session.get", BODY_NONE, "s1", NULL, NULL},
                {"HEAD", "/v1/sessions/s1", NULL, "session.get", BODY_NONE, "s1", NULL, NULL},
                {"DELETE", "/v1/sessions/A-z_09", NULL, "session.delete", BODY_NONE, "A-z_09", NULL, NULL},
                {"POST", "/v1/sessions/s1/cells", NULL, "cell", BODY_OBJECT, "s1", NULL, NULL},
                {"GET", "/v1/sessions/s1/files", NULL, "file.list", BODY_NONE, "s1", NULL, ""},
                {"GET", "/v1/sessions/s1/files/", "sub%2Fdir", "file.list", BODY_NONE, "s1", NULL, "sub/dir"},
                {"GET", "/v1/sessions/s1/files/a.txt", NULL, "file.get", BODY_NONE, "s1", "a.txt", NULL},
                {"PUT", "/v1/sessions/s1/files/d/e%20f.txt", NULL, "file.put", BODY_BLOB, "s1", "d/e f.txt", NULL},
                {"DELETE", "/v1/sessions/s1/files//abs", NULL, "file.delete", BODY_NONE, "s1", "/abs", NULL},
                /* a session id is %-decoded too */
                {"GET", "/v1/sessions/a%2Db", NULL, "session.get", BODY_NONE, "a-b", NULL, NULL},
                /* a query on a route that takes none is not read */
                {"GET", "/v1/sessions/s1/files/x", "%00", "file.get", BODY_NONE, "s1", "x", NULL},
        };
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                routed o = do_route(cases[i].method, cases[i].url, cases[i].dir);
                if (o.r < 0)
                        fail_msg("%s %s: %s", cases[i].method, cases[i].url, o.err.msg);
                if (cases[i].op)
                        assert_string_equal(o.route.op, cases[i].op);
                else
                        assert_null(o.route.op);
                assert_int_equal(o.route.body, cases[i].body);
                assert_string_equal(o.route.session, cases[i].session);
                if (cases[i].path)
                        assert_string_equal(o.route.path, cases[i].path);
                else
                        assert_null(o.route.path);
                if (cases[i].dir_taken)
                        assert_string_equal(o.route.dir, cases[i].dir_taken);
                else
                        assert_null(o.route.dir);
                front_route_done(&o.route);
        }
}

static void unknown_urls(void **state) {
        static const char *const urls[] = {
                "/",
                "",
                "/healthz/",
                "/v1",
                "/v1/run",
                "/v1/runs/",
                "/v1/sessionsx",
                "/v1/openapi.json/x",
                "/v1/sessions/s1/",
                "/v1/sessions/s1/cell",
                "/v1/sessions/s1/cells/",
                "/v1/sessions/s1/filesx",
                "/V1/runs",
        };
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(urls); i++) {
                expect_error("GET", urls[i], NULL, 404, "not_found", "");
                routed o = do_route("GET", urls[i], NULL);
                assert_string_equal(o.err.msg, "no such route");
        }
}

static void wrong_methods(void **state) {
        static const struct {
                const char *method, *url, *allow;
        } cases[] = {
                {"POST", "/healthz", "GET, HEAD"},
                {"DELETE", "/metrics", "GET, HEAD"},
                {"PUT", "/v1/openapi.json", "GET, HEAD"},
                {"GET", "/v1/runs", "POST"},
                {"DELETE", "/v1/runs", "POST"},
                {"DELETE", "/v1/sessions", "GET, HEAD, POST"},
                {"POST", "/v1/sessions/s1", "GET, HEAD, DELETE"},
                {"GET", "/v1/sessions/s1/cells", "POST"},
                {"PUT", "/v1/sessions/s1/files", "GET, HEAD"},
                {"DELETE", "/v1/sessions/s1/files/", "GET, HEAD"},
                {"POST", "/v1/sessions/s1/files/a", "GET, HEAD, PUT, DELETE"},
                {"PATCH", "/v1/sessions/s1/files/a", "GET, HEAD, PUT, DELETE"},
                /* methods are case-sensitive */
                {"get", "/healthz", "GET, HEAD"},
                /* the method is refused before the path is looked at */
                {"POST", "/v1/sessions/s1/files/%00", "GET, HEAD, PUT, DELETE"},
        };
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                expect_error(cases[i].method, cases[i].url, NULL, 405, "method_not_allowed", "");
                routed o = do_route(cases[i].method, cases[i].url, NULL);
                assert_string_equal(o.allow, cases[i].allow);
        }
        /* A method's bytes are quoted in the message as printable ASCII
         * only, and at most 16 of them. */
        routed o = do_route("G\x01\xffT0123456789abcdefXYZ", "/healthz", NULL);
        assert_int_equal(o.status, 405);
        assert_string_equal(o.err.msg, "G??T0123456789ab is not allowed here; use GET, HEAD");
}

static void bad_session_ids(void **state) {
        (void)state;
        static const char *const urls[] = {
                "/v1/sessions/",          "/v1/sessions//cells", "/v1/sessions/a.b",   "/v1/sessions/a%2Fb/cells",
                "/v1/sessions/a%00",      "/v1/sessions/a%zz",   "/v1/sessions/a%2",   "/v1/sessions/%C3%A9",
                "/v1/sessions/a b/files", "/v1/sessions/!/x/y",  "/v1/sessions/a%20b",
        };
        for (size_t i = 0; i < ELEMENTSOF(urls); i++) {
                expect_error("GET", urls[i], NULL, 404, "not_found", "");
                routed o = do_route("GET", urls[i], NULL);
                assert_string_equal(o.err.msg, "no such session");
        }
        /* 64 bytes is the longest id; 65 is no session. */
        char url[160];
        memcpy(url, "/v1/sessions/", 13);
        memset(url + 13, 'a', WARD_API_SESSION_ID_MAX);
        url[13 + WARD_API_SESSION_ID_MAX] = '\0';
        routed o = do_route("GET", url, NULL);
        assert_int_equal(o.r, 0);
        assert_int_equal(strlen(o.route.session), WARD_API_SESSION_ID_MAX);
        url[13 + WARD_API_SESSION_ID_MAX] = 'a';
        url[14 + WARD_API_SESSION_ID_MAX] = '\0';
        expect_error("GET", url, NULL, 404, "not_found", "");
}

static void bad_paths(void **state) {
        static const char *const raw[] = {"a%00b", "a%", "a%4", "a%g0", "%ff", "a%C3%28"};
        char url[256];
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(raw); i++) {
                snprintf(url, sizeof url, "/v1/sessions/s1/files/%s", raw[i]);
                expect_error("GET", url, NULL, 400, "invalid_request", "path");
                expect_error("PUT", url, NULL, 400, "invalid_request", "path");
                expect_error("GET", "/v1/sessions/s1/files", raw[i], 400, "invalid_request", "dir");
        }
        /* WARD_PATH_MAX bytes once decoded, and not one more. */
        size_t n = strlen("/v1/sessions/s1/files/");
        _cleanup_free_ char *big = malloc(n + 3 * WARD_PATH_MAX + 2);
        assert_non_null(big);
        memcpy(big, "/v1/sessions/s1/files/", n);
        memset(big + n, 'x', WARD_PATH_MAX);
        big[n + WARD_PATH_MAX] = '\0';
        routed o = do_route("GET", big, NULL);
        assert_int_equal(o.r, 0);
        assert_int_equal(strlen(o.route.path), WARD_PATH_MAX);
        front_route_done(&o.route);
        big[n + WARD_PATH_MAX] = 'y';
        big[n + WARD_PATH_MAX + 1] = '\0';
        expect_error("GET", big, NULL, 400, "invalid_request", "path");
        /* %-escapes count as the byte they stand for. */
        for (size_t i = 0; i < WARD_PATH_MAX; i++)
                memcpy(big + n + 3 * i, "%41", 3);
        big[n + 3 * WARD_PATH_MAX] = '\0';
        o = do_route("GET", big, NULL);
        assert_int_equal(o.r, 0);
        assert_int_equal(strlen(o.route.path), WARD_PATH_MAX);
        assert_true(o.route.path[0] == 'A');
        front_route_done(&o.route);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(documented_routes), cmocka_unit_test(unknown_urls), cmocka_unit_test(wrong_methods),
                cmocka_unit_test(bad_session_ids),   cmocka_unit_test(bad_paths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
