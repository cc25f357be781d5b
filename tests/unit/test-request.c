/* API bodies to typed requests (src/server/request.c): what request_run,
 * request_session and request_cell accept, and for what they refuse, the
 * reason, the field and the HTTP status a client sees (apierror.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/limits.h"
#include "server/apierror.h"
#include "server/request.h"

/* A tier below the defaults in every limit (its sessions' bounds above
 * what a session gets unless it asks), with a network allowlist. */
static const char tier_json[] =
        "{\"name\":\"gold\",\"limits\":{\"memory\":\"256M\",\"cpu_time\":\"5s\","
        "\"wall_time\":\"20s\",\"pids\":32,\"file_size\":\"16M\",\"disk\":\"64M\","
        "\"output\":\"512K\",\"cpu_rate\":\"1.5\",\"session_idle_timeout\":\"30m\","
        "\"session_max_lifetime\":\"4h\"},\"env\":{\"TIER\":\"1\"},\"network\":{\"mode\":\"allowlist\","
        "\"allow\":[\"api.test:443\",\"cdn.test\"],\"deny\":[\"10.0.0.0/8\"]}}";

static int setup(void **state) {
        policy *tier = malloc(sizeof *tier);
        ward_error err = {0};
        assert_non_null(tier);
        policy_init_default(tier);
        if (policy_apply_json(tier, tier_json, strlen(tier_json), "tier", &err) < 0)
                fail_msg("tier: %s", err.msg);
        *state = tier;
        return 0;
}

static int teardown(void **state) {
        policy_free(*state);
        free(*state);
        return 0;
}

static json_t *body(const char *text) {
        json_error_t jerr;
        json_t *b = json_loads(text, 0, &jerr);
        if (!b)
                fail_msg("test body '%s': %s", text, jerr.text);
        return b;
}

/* e is the refusal a client sees as status, with that reason and field
 * (NULL: none), and a message that names the field. */
static void expect_error(const ward_error *e, unsigned status, const char *reason, const char *field) {
        const char *code;
        assert_true(e->code < 0);
        assert_non_null(e->reason);
        assert_string_equal(e->reason, reason);
        assert_string_equal(e->field, field ? field : "");
        assert_int_equal(apierror_status(e, &code), status);
        assert_string_equal(code, reason);
        if (field && !strstr(e->msg, field))
                fail_msg("message '%s' does not name %s", e->msg, field);
}

typedef enum { RUN, SESSION, CELL } kind;
typedef union {
        run_request run;
        session_request session;
        cell_request cell;
} any_request;

/* b (a body, taken) as a request of kind k; 0, or the error in *e. A cell
 * borrows its code from the body, which is gone on return: only its error
 * is to be read. */
static int parse_body(kind k, const policy *tier, json_t *b, void *ret, ward_error *e) {
        int r = k == RUN       ? request_run(b, tier, ret, e)
                : k == SESSION ? request_session(b, tier, ret, e)
                               : request_cell(b, tier, ret, e);
        json_decref(b);
        return r;
}

static int parse(kind k, const policy *tier, const char *text, void *ret, ward_error *e) {
        return parse_body(k, tier, body(text), ret, e);
}

static void request_free(kind k, any_request *rq) {
        if (k == RUN)
                run_request_free(&rq->run);
        else if (k == SESSION)
                policy_free(&rq->session.policy);
}

/* b (taken; what names it) is refused as a request of kind k, as
 * expect_error() says. */
static void refused_body(kind k, const policy *tier, json_t *b, const char *what, unsigned status, const char *reason,
                         const char *field) {
        any_request rq;
        ward_error e = {0};
        assert_non_null(b);
        if (parse_body(k, tier, b, &rq, &e) == 0)
                fail_msg("accepted: %s", what);
        expect_error(&e, status, reason, field);
        request_free(k, &rq);
}

static void refused(kind k, const policy *tier, const char *text, unsigned status, const char *reason,
                    const char *field) {
        refused_body(k, tier, body(text), text, status, reason, field);
}

/* text is accepted as a run or a session (the caller frees *ret). */
static void accepted(kind k, const policy *tier, const char *text, void *ret) {
        ward_error e = {0};
        assert_true(k != CELL);
        if (parse(k, tier, text, ret, &e) < 0)
                fail_msg("refused: %s: %s", text, e.msg);
}

/* Bodies refused, with the status, reason and field a client sees. */
static const struct {
        kind k;
        unsigned status;
        const char *body, *reason, *field;
} refusals[] = {
        /* A run: argv, or a language and its code. */
        {RUN, 400, "{\"argv\":[\"ls\"],\"language\":\"python\",\"code\":\"1\"}", "invalid_field", "argv"},
        {RUN, 400, "{}", "invalid_field", "language"},
        {RUN, 400, "{\"code\":\"1\"}", "invalid_field", "language"},
        {RUN, 400, "{\"argv\":\"ls -l\"}", "invalid_field", "argv"},
        {RUN, 400, "{\"argv\":[]}", "invalid_field", "argv"},
        {RUN, 400, "{\"argv\":[\"ls\",1]}", "invalid_field", "argv"},
        {RUN, 400, "{\"language\":\"cobol\",\"code\":\"1\"}", "invalid_field", "language"},
        {RUN, 400, "{\"language\":\"python\"}", "invalid_field", "code"},
        /* A run: unknown fields and wrong types, at every level. */
        {RUN, 400, "{\"argv\":[\"ls\"],\"colour\":\"red\"}", "unknown_field", "colour"},
        {RUN, 400, "{\"language\":1,\"code\":\"1\"}", "invalid_field", "language"},
        {RUN, 400, "{\"language\":\"python\",\"code\":[\"1\"]}", "invalid_field", "code"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"stdin\":5}", "invalid_field", "stdin"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":[]}", "invalid_field", "limits"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"memory\":true}}", "invalid_field", "limits.memory"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"memory\":-1}}", "invalid_field", "limits.memory"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"memory\":\"12Q\"}}", "invalid_field", "limits.memory"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"pids\":0}}", "invalid_field", "limits.pids"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"bogus\":1}}", "unknown_field", "limits.bogus"},
        /* Policy keys a request may not set. */
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"max_violations\":1}}", "unknown_field", "limits.max_violations"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"output_mode\":\"truncate\"}}", "unknown_field",
         "limits.output_mode"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"env\":[\"A=1\"]}", "invalid_field", "env"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"env\":{\"A\":1}}", "invalid_field", "env.A"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"env\":{\"1A\":\"x\"}}", "invalid_field", "env.1A"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"network\":true}", "invalid_field", "network"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"network\":{\"deny\":[]}}", "unknown_field", "network.deny"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"network\":{\"allow\":\"api.test:443\"}}", "invalid_field", "network.allow"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"network\":{\"allow\":[443]}}", "invalid_field", "network.allow[0]"},
        /* A run: each limit above the tier's, named. */
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"memory\":\"257M\"}}", "over_tier", "limits.memory"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"cpu_time\":\"6s\"}}", "over_tier", "limits.cpu_time"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"wall_time\":21}}", "over_tier", "limits.wall_time"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"pids\":33}}", "over_tier", "limits.pids"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"file_size\":\"17M\"}}", "over_tier", "limits.file_size"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"disk\":\"65M\"}}", "over_tier", "limits.disk"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"output\":\"513K\"}}", "over_tier", "limits.output"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"cpu_rate\":\"1501m\"}}", "over_tier", "limits.cpu_rate"},
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"cpu_rate\":0.001}}", "invalid_field", "limits.cpu_rate"},
        /* A session's bounds are the tier's, not a run's. */
        {RUN, 400, "{\"argv\":[\"ls\"],\"limits\":{\"session_max_lifetime\":\"1s\"}}", "unknown_field",
         "limits.session_max_lifetime"},
        /* With others that are within it. */
        {RUN, 403, "{\"argv\":[\"ls\"],\"limits\":{\"memory\":\"8M\",\"pids\":64,\"disk\":\"1M\"}}", "over_tier",
         "limits.pids"},
        /* A run: a destination the tier does not list, however close. */
        {RUN, 403, "{\"argv\":[\"ls\"],\"network\":{\"allow\":[\"cdn.test\",\"api.test:80\"]}}", "over_tier",
         "network.allow[1]"},
        {RUN, 403, "{\"argv\":[\"ls\"],\"network\":{\"allow\":[\"*.test\"]}}", "over_tier", "network.allow[0]"},
        /* A run: stdin, and its encoding. */
        {RUN, 400, "{\"argv\":[\"cat\"],\"stdin\":\"a@b=\",\"stdin_encoding\":\"base64\"}", "invalid_field", "stdin"},
        {RUN, 400, "{\"argv\":[\"cat\"],\"stdin\":\"aGk\",\"stdin_encoding\":\"base64\"}", "invalid_field", "stdin"},
        {RUN, 400, "{\"argv\":[\"cat\"],\"stdin\":\"x\",\"stdin_encoding\":\"hex\"}", "invalid_field",
         "stdin_encoding"},
        {RUN, 400, "{\"argv\":[\"cat\"],\"stdin_encoding\":\"base64\"}", "invalid_field", "stdin_encoding"},
        /* A run: files, each an object of a path, its content and its encoding. */
        {RUN, 400, "{\"language\":\"python\",\"code\":\"1\",\"files\":{}}", "invalid_field", "files"},
        {RUN, 400, "{\"language\":\"python\",\"code\":\"1\",\"files\":[\"a.txt\"]}", "invalid_field", "files[0]"},
        {RUN, 400, "{\"language\":\"python\",\"code\":\"1\",\"files\":[{\"path\":\"a\"}]}", "invalid_field",
         "files[0]"},
        {RUN, 400, "{\"language\":\"python\",\"code\":\"1\",\"files\":[{\"path\":\"a\",\"content\":1}]}",
         "invalid_field", "files[0]"},
        {RUN, 400,
         "{\"language\":\"python\",\"code\":\"1\",\"files\":[{\"path\":\"a\",\"content\":\"x\","
         "\"mode\":\"0755\"}]}",
         "unknown_field", "files[].mode"},
        {RUN, 400,
         "{\"language\":\"python\",\"code\":\"1\",\"files\":[{\"path\":\"a\",\"content\":\"x\","
         "\"encoding\":\"hex\"}]}",
         "invalid_field", "files[0]"},
        {RUN, 400,
         "{\"language\":\"python\",\"code\":\"1\",\"files\":[{\"path\":\"a\",\"content\":\"!!\","
         "\"encoding\":\"base64\"}]}",
         "invalid_field", "files[0]"},
        /* Files go into a driver's work dir: not with argv, nor sh. */
        {RUN, 400, "{\"argv\":[\"ls\"],\"files\":[{\"path\":\"a\",\"content\":\"x\"}]}", "invalid_field", "files"},
        {RUN, 400, "{\"language\":\"sh\",\"code\":\"1\",\"files\":[{\"path\":\"a\",\"content\":\"x\"}]}",
         "invalid_field", "files"},
        /* A session. */
        {SESSION, 400, "{}", "invalid_field", "language"},
        {SESSION, 400, "{\"language\":\"sh\"}", "invalid_field", "language"},
        {SESSION, 400, "{\"language\":7}", "invalid_field", "language"},
        {SESSION, 400, "{\"language\":\"python\",\"code\":\"1\"}", "unknown_field", "code"},
        {SESSION, 403, "{\"language\":\"python\",\"tier\":\"platinum\"}", "forbidden", "tier"},
        {SESSION, 400, "{\"language\":\"python\",\"tier\":1}", "invalid_field", "tier"},
        {SESSION, 400, "{\"language\":\"python\",\"idle_timeout\":\"soon\"}", "invalid_field", "idle_timeout"},
        {SESSION, 400, "{\"language\":\"python\",\"idle_timeout\":0}", "invalid_field", "idle_timeout"},
        {SESSION, 400, "{\"language\":\"python\",\"max_lifetime\":[]}", "invalid_field", "max_lifetime"},
        {SESSION, 400, "{\"language\":\"python\",\"max_lifetime\":\"25h\"}", "invalid_field", "max_lifetime"},
        /* A session's time within the tier's: 4h and 30m. */
        {SESSION, 403, "{\"language\":\"python\",\"max_lifetime\":\"24h\"}", "over_tier", "max_lifetime"},
        {SESSION, 403, "{\"language\":\"python\",\"max_lifetime\":14401}", "over_tier", "max_lifetime"},
        {SESSION, 403, "{\"language\":\"python\",\"idle_timeout\":\"31m\"}", "over_tier", "idle_timeout"},
        {SESSION, 403, "{\"language\":\"python\",\"limits\":{\"cpu_rate\":2}}", "over_tier", "limits.cpu_rate"},
        {SESSION, 400, "{\"language\":\"python\",\"limits\":{\"cpu_rate\":\"fast\"}}", "invalid_field",
         "limits.cpu_rate"},
        /* A session's time is its lifetime, not a limit. */
        {SESSION, 400, "{\"language\":\"python\",\"limits\":{\"wall_time\":\"1s\"}}", "unknown_field",
         "limits.wall_time"},
        {SESSION, 400, "{\"language\":\"python\",\"limits\":{\"cpu_time\":\"1s\"}}", "unknown_field",
         "limits.cpu_time"},
        {SESSION, 403, "{\"language\":\"python\",\"limits\":{\"memory\":\"1G\"}}", "over_tier", "limits.memory"},
        {SESSION, 403, "{\"language\":\"python\",\"limits\":{\"output\":\"1M\"}}", "over_tier", "limits.output"},
        /* A cell. */
        {CELL, 400, "{}", "invalid_field", "code"},
        {CELL, 400, "{\"code\":1}", "invalid_field", "code"},
        {CELL, 400, "{\"code\":\"1\",\"language\":\"python\"}", "unknown_field", "language"},
        {CELL, 400, "{\"code\":\"1\",\"timeout\":\"later\"}", "invalid_field", "timeout"},
        {CELL, 400, "{\"code\":\"1\",\"cpu_time\":false}", "invalid_field", "cpu_time"},
        {CELL, 403, "{\"code\":\"1\",\"timeout\":\"21s\"}", "over_tier", "timeout"},
        {CELL, 403, "{\"code\":\"1\",\"cpu_time\":\"6s\"}", "over_tier", "cpu_time"},
};

static void refusals_name_the_field(void **state) {
        for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++)
                refused(refusals[i].k, *state, refusals[i].body, refusals[i].status, refusals[i].reason,
                        refusals[i].field);
}

static void run_language_and_code(void **state) {
        const policy *tier = *state;
        run_request rq;
        accepted(RUN, tier,
                 "{\"language\":\"python3\",\"code\":\"print(1)\",\"env\":{\"A\":\"x=y\"},"
                 "\"limits\":{\"memory\":\"64M\",\"wall_time\":\"5s\",\"pids\":\"8\",\"output\":1024}}",
                 &rq);
        assert_string_equal(rq.language, "python"); /* the name, not the spelling */
        assert_string_equal(rq.code, "print(1)");
        assert_int_equal(rq.code_len, 8);
        assert_null(rq.argv);
        assert_null(rq.stdin_data);
        assert_int_equal(rq.n_files, 0);
        /* The request's limits on top of the tier's. */
        assert_int_equal(rq.policy.memory, 64ull << 20);
        assert_int_equal(rq.policy.wall_time_ms, 5000);
        assert_int_equal(rq.policy.pids, 8);
        assert_int_equal(rq.policy.output, 1024);
        assert_int_equal(rq.policy.cpu_time_ms, tier->cpu_time_ms);
        assert_int_equal(rq.policy.disk, tier->disk);
        assert_int_equal(rq.policy.n_env, 2);
        assert_string_equal(rq.policy.env[0], "TIER=1");
        assert_string_equal(rq.policy.env[1], "A=x=y");
        /* No "network": the tier's. */
        assert_int_equal(rq.policy.net.mode, NET_MODE_ALLOWLIST);
        assert_int_equal(rq.policy.net.n_allow, 2);
        /* The tier itself is untouched. */
        assert_int_equal(tier->memory, 256ull << 20);
        assert_int_equal(tier->n_env, 1);
        assert_ptr_not_equal(rq.policy.name, tier->name);
        run_request_free(&rq);
        /* Every language ward knows, code with NULs. */
        json_t *b = json_pack("{s:s, s:s#}", "language", "sh", "code", "a\0b", (size_t)3);
        ward_error e = {0};
        assert_int_equal(request_run(b, tier, &rq, &e), 0);
        assert_string_equal(rq.language, "sh");
        assert_int_equal(rq.code_len, 3);
        assert_memory_equal(rq.code, "a\0b", 4);
        run_request_free(&rq);
        json_decref(b);
}

static void run_argv(void **state) {
        const policy *tier = *state;
        run_request rq;
        accepted(RUN, tier, "{\"argv\":[\"echo\",\"a b\",\"\"]}", &rq);
        assert_string_equal(rq.language, "");
        assert_int_equal(rq.argc, 3);
        assert_string_equal(rq.argv[0], "echo");
        assert_string_equal(rq.argv[1], "a b");
        assert_string_equal(rq.argv[2], "");
        assert_null(rq.argv[3]);
        assert_null(rq.code);
        run_request_free(&rq);

        /* An argument with a NUL in it (the front's parser refuses one,
         * the parent checks again). */
        refused_body(RUN, tier, json_pack("{s:[s, s#]}", "argv", "ls", "a\0b", (size_t)3), "a NUL in argv", 400,
                     "invalid_field", "argv");
        /* More arguments than ward takes. */
        json_t *b = json_pack("{s:[]}", "argv");
        for (unsigned i = 0; i <= WARD_ARGV_MAX; i++)
                json_array_append_new(json_object_get(b, "argv"), json_string("x"));
        refused_body(RUN, tier, b, "too many arguments", 400, "invalid_field", "argv");
}

static void run_limits_within_the_tier(void **state) {
        const policy *tier = *state;
        /* The tier's own values are within it. */
        run_request rq;
        accepted(RUN, tier,
                 "{\"argv\":[\"ls\"],\"limits\":{\"memory\":\"256M\",\"cpu_time\":\"5s\",\"wall_time\":\"20s\","
                 "\"pids\":32,\"file_size\":\"16M\",\"disk\":\"64M\",\"output\":\"512K\"}}",
                 &rq);
        assert_int_equal(rq.policy.memory, tier->memory);
        run_request_free(&rq);
}

static void run_network(void **state) {
        const policy *tier = *state;
        run_request rq;
        /* One destination of the tier's: that one only, and the tier's
         * deny rules stay. */
        accepted(RUN, tier, "{\"argv\":[\"ls\"],\"network\":{\"allow\":[\"cdn.test\"]}}", &rq);
        assert_int_equal(rq.policy.net.mode, NET_MODE_ALLOWLIST);
        assert_int_equal(rq.policy.net.n_allow, 1);
        assert_string_equal(rq.policy.net.allow[0], "cdn.test");
        assert_int_equal(rq.policy.net.n_deny, 1);
        assert_string_equal(rq.policy.net.deny[0], "10.0.0.0/8");
        run_request_free(&rq);
        /* None at all. */
        accepted(RUN, tier, "{\"argv\":[\"ls\"],\"network\":{}}", &rq);
        assert_int_equal(rq.policy.net.mode, NET_MODE_NONE);
        assert_int_equal(rq.policy.net.n_allow, 0);
        run_request_free(&rq);
}

static void run_stdin(void **state) {
        const policy *tier = *state;
        run_request rq;
        accepted(RUN, tier, "{\"argv\":[\"cat\"],\"stdin\":\"hi\\n\"}", &rq);
        assert_int_equal(rq.stdin_len, 3);
        assert_string_equal(rq.stdin_data, "hi\n");
        run_request_free(&rq);
        accepted(RUN, tier, "{\"argv\":[\"cat\"],\"stdin\":\"aGk=\",\"stdin_encoding\":\"utf-8\"}", &rq);
        assert_string_equal(rq.stdin_data, "aGk=");
        run_request_free(&rq);
        /* base64: any bytes, NUL and 0xff included. */
        accepted(RUN, tier, "{\"argv\":[\"cat\"],\"stdin\":\"AAEC/w==\",\"stdin_encoding\":\"base64\"}", &rq);
        assert_int_equal(rq.stdin_len, 4);
        assert_memory_equal(rq.stdin_data, "\x00\x01\x02\xff", 4);
        run_request_free(&rq);
        accepted(RUN, tier, "{\"argv\":[\"cat\"],\"stdin\":\"\",\"stdin_encoding\":\"base64\"}", &rq);
        assert_int_equal(rq.stdin_len, 0);
        assert_non_null(rq.stdin_data);
        run_request_free(&rq);
}

static void run_too_large(void **state) {
        const policy *tier = *state;
        char *big = malloc(WARD_CODE_MAX + 1);
        assert_non_null(big);
        memset(big, 'x', WARD_CODE_MAX + 1);
        run_request rq;
        ward_error e = {0};
        refused_body(RUN, tier, json_pack("{s:s, s:s#}", "language", "python", "code", big, (size_t)WARD_CODE_MAX + 1),
                     "code too large", 413, "too_large", "code");
        refused_body(RUN, tier, json_pack("{s:[s], s:s#}", "argv", "cat", "stdin", big, (size_t)WARD_CODE_MAX + 1),
                     "stdin too large", 413, "too_large", "stdin");
        refused_body(CELL, tier, json_pack("{s:s#}", "code", big, (size_t)WARD_CODE_MAX + 1), "cell code too large",
                     413, "too_large", "code");
        /* At the bound, both pass. */
        json_t *b = json_pack("{s:s, s:s#, s:s#}", "language", "python", "code", big, (size_t)WARD_CODE_MAX, "stdin",
                              big, (size_t)WARD_CODE_MAX);
        assert_int_equal(request_run(b, tier, &rq, &e), 0);
        assert_int_equal(rq.code_len, WARD_CODE_MAX);
        assert_int_equal(rq.stdin_len, WARD_CODE_MAX);
        run_request_free(&rq);
        json_decref(b);
        free(big);
}

static void run_files(void **state) {
        const policy *tier = *state;
        run_request rq;
        accepted(RUN, tier,
                 "{\"language\":\"python\",\"code\":\"1\",\"files\":[{\"path\":\"data/in.bin\",\"content\":\"AP8=\","
                 "\"encoding\":\"base64\"},{\"path\":\"notes.txt\",\"content\":\"plain\",\"encoding\":\"utf-8\"},"
                 "{\"path\":\"dir/\",\"content\":\"\"}]}",
                 &rq);
        assert_int_equal(rq.n_files, 3);
        assert_string_equal(rq.files[0].path, "data/in.bin");
        assert_int_equal(rq.files[0].len, 2);
        assert_memory_equal(rq.files[0].data, "\x00\xff", 2);
        assert_string_equal(rq.files[1].path, "notes.txt");
        assert_int_equal(rq.files[1].len, 5);
        assert_string_equal(rq.files[1].data, "plain");
        assert_int_equal(rq.files[2].len, 0);
        run_request_free(&rq);

        /* Paths that are not plainly beneath the work dir. */
        static const char *const bad_paths[] = {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\u0001b"};
        for (size_t i = 0; i < sizeof bad_paths / sizeof *bad_paths; i++) {
                char text[256];
                snprintf(text, sizeof text,
                         "{\"language\":\"python\",\"code\":\"1\",\"files\":[{\"path\":\"ok\",\"content\":\"\"},"
                         "{\"path\":\"%s\",\"content\":\"x\"}]}",
                         bad_paths[i]);
                refused(RUN, tier, text, 400, "invalid_field", "files[1]");
        }
        /* At most WARD_RUN_FILES_MAX of them. */
        json_t *b = json_pack("{s:s, s:s, s:[]}", "language", "python", "code", "1", "files");
        for (unsigned i = 0; i < WARD_RUN_FILES_MAX; i++) {
                char path[32];
                snprintf(path, sizeof path, "f%u", i);
                json_array_append_new(json_object_get(b, "files"),
                                      json_pack("{s:s, s:s}", "path", path, "content", ""));
        }
        ward_error e = {0};
        assert_int_equal(request_run(b, tier, &rq, &e), 0);
        assert_int_equal(rq.n_files, WARD_RUN_FILES_MAX);
        run_request_free(&rq);
        json_array_append_new(json_object_get(b, "files"), json_pack("{s:s, s:s}", "path", "last", "content", ""));
        refused_body(RUN, tier, b, "too many files", 400, "invalid_field", "files");
}

static void session_bodies(void **state) {
        const policy *tier = *state;
        session_request sr;
        accepted(SESSION, tier, "{\"language\":\"bash\"}", &sr);
        assert_string_equal(sr.language, "bash");
        assert_int_equal(sr.idle_timeout_ms, WARD_SESSION_IDLE_DEFAULT_MS);
        assert_int_equal(sr.max_lifetime_ms, WARD_SESSION_LIFETIME_DEFAULT_MS);
        /* The sandbox lives as long as the session may. */
        assert_int_equal(sr.policy.wall_time_ms, WARD_SESSION_LIFETIME_DEFAULT_MS + 60000);
        assert_int_equal(sr.policy.cpu_time_ms, WARD_SESSION_LIFETIME_DEFAULT_MS);
        assert_int_equal(sr.policy.memory, tier->memory);
        assert_int_equal(sr.policy.cpu_rate_milli, 1500);
        /* Between cells, what a cell may use. */
        assert_int_equal(sr.idle_cpu_ms, tier->cpu_time_ms);
        policy_free(&sr.policy);
        accepted(SESSION, tier, "{\"language\":\"bash\",\"limits\":{\"cpu_rate\":0.5}}", &sr);
        assert_int_equal(sr.policy.cpu_rate_milli, 500);
        policy_free(&sr.policy);

        accepted(SESSION, tier,
                 "{\"language\":\"python\",\"tier\":\"gold\",\"idle_timeout\":\"5m\",\"max_lifetime\":7200,"
                 "\"limits\":{\"memory\":\"64M\",\"disk\":\"1M\",\"pids\":4,\"file_size\":\"1M\",\"output\":\"1K\"}}",
                 &sr);
        assert_int_equal(sr.idle_timeout_ms, 300000);
        assert_int_equal(sr.max_lifetime_ms, 7200000);
        assert_int_equal(sr.policy.wall_time_ms, 7200000 + 60000);
        assert_int_equal(sr.policy.memory, 64ull << 20);
        assert_int_equal(sr.policy.pids, 4);
        assert_int_equal(sr.policy.output, 1024);
        policy_free(&sr.policy);
        /* An idle timeout past the lifetime is the lifetime. */
        accepted(SESSION, tier, "{\"language\":\"node\",\"idle_timeout\":\"20m\",\"max_lifetime\":\"10m\"}", &sr);
        assert_int_equal(sr.idle_timeout_ms, 600000);
        policy_free(&sr.policy);
        /* Above the tier's idle timeout, but not past the lifetime asked,
         * which is within the tier's: the lifetime. */
        accepted(SESSION, tier, "{\"language\":\"node\",\"idle_timeout\":\"2h\",\"max_lifetime\":\"20m\"}", &sr);
        assert_int_equal(sr.idle_timeout_ms, 1200000);
        policy_free(&sr.policy);
        /* The tier's own bounds may be asked. */
        accepted(SESSION, tier, "{\"language\":\"python\",\"idle_timeout\":\"30m\",\"max_lifetime\":\"4h\"}", &sr);
        assert_int_equal(sr.idle_timeout_ms, 1800000);
        assert_int_equal(sr.max_lifetime_ms, 4 * 3600000);
        policy_free(&sr.policy);
}

static void session_default_tier(void **state) {
        (void)state;
        policy tier;
        session_request sr;
        policy_init_default(&tier);
        accepted(SESSION, &tier, "{\"language\":\"python\",\"tier\":\"default\"}", &sr);
        policy_free(&sr.policy);
        refused(SESSION, &tier, "{\"language\":\"python\",\"tier\":\"gold\"}", 403, "forbidden", "tier");
        /* The default tier's bounds are the defaults: no more may be
         * asked. */
        assert_int_equal(tier.session_idle_ms, WARD_SESSION_IDLE_DEFAULT_MS);
        assert_int_equal(tier.session_lifetime_ms, WARD_SESSION_LIFETIME_DEFAULT_MS);
        refused(SESSION, &tier, "{\"language\":\"python\",\"max_lifetime\":\"2h\"}", 403, "over_tier", "max_lifetime");
        refused(SESSION, &tier, "{\"language\":\"python\",\"idle_timeout\":\"11m\"}", 403, "over_tier", "idle_timeout");
        /* A tier with shorter bounds: a session that asks nothing gets
         * them. */
        tier.session_idle_ms = 60000;
        tier.session_lifetime_ms = 300000;
        accepted(SESSION, &tier, "{\"language\":\"python\"}", &sr);
        assert_int_equal(sr.idle_timeout_ms, 60000);
        assert_int_equal(sr.max_lifetime_ms, 300000);
        policy_free(&sr.policy);
        policy_free(&tier);
}

static void cell(void **state) {
        const policy *tier = *state;
        cell_request cr;
        ward_error e = {0};
        json_t *b = body("{\"code\":\"x = 1\"}");
        assert_int_equal(request_cell(b, tier, &cr, &e), 0);
        assert_string_equal(cr.code, "x = 1");
        assert_ptr_equal(cr.code, json_string_value(json_object_get(b, "code"))); /* borrowed */
        assert_int_equal(cr.code_len, 5);
        /* The default cell time, or the tier's when that is shorter. */
        assert_int_equal(cr.wall_ms, tier->wall_time_ms);
        assert_int_equal(cr.cpu_ms, tier->cpu_time_ms);
        json_decref(b);
        policy def;
        policy_init_default(&def);
        b = body("{\"code\":\"1\"}");
        assert_int_equal(request_cell(b, &def, &cr, &e), 0);
        assert_int_equal(cr.wall_ms, WARD_CELL_WALL_DEFAULT_MS);
        json_decref(b);
        policy_free(&def);
        b = body("{\"code\":\"1\",\"timeout\":\"2s\",\"cpu_time\":1}");
        assert_int_equal(request_cell(b, tier, &cr, &e), 0);
        assert_int_equal(cr.wall_ms, 2000);
        assert_int_equal(cr.cpu_ms, 1000);
        json_decref(b);
}

/* What a warm sandbox of the tier can serve, and the policy it starts with. */
static void pool(void **state) {
        (void)state;
        policy tier, p;
        run_request rq;
        policy_init_default(&tier);
        assert_int_equal(request_pool_policy(&tier, &p), 0);
        assert_int_equal(p.wall_time_ms, WARD_SESSION_LIFETIME_MAX_MS + 60000);
        assert_int_equal(p.cpu_time_ms, WARD_SESSION_LIFETIME_MAX_MS);
        assert_int_equal(p.memory, tier.memory);
        policy_free(&p);
        accepted(RUN, &tier,
                 "{\"language\":\"python\",\"code\":\"1\",\"limits\":{\"wall_time\":\"1s\",\"output\":\"1K\"}}", &rq);
        assert_true(request_pool_fits(&rq.policy, &tier));
        run_request_free(&rq);
        accepted(RUN, &tier, "{\"language\":\"python\",\"code\":\"1\",\"limits\":{\"memory\":\"64M\"}}", &rq);
        assert_false(request_pool_fits(&rq.policy, &tier));
        run_request_free(&rq);
        accepted(RUN, &tier, "{\"language\":\"python\",\"code\":\"1\",\"env\":{\"A\":\"1\"}}", &rq);
        assert_false(request_pool_fits(&rq.policy, &tier));
        run_request_free(&rq);
        /* A warm sandbox's cgroup has the tier's CPU rate. */
        accepted(RUN, &tier, "{\"language\":\"python\",\"code\":\"1\",\"limits\":{\"cpu_rate\":\"500m\"}}", &rq);
        assert_false(request_pool_fits(&rq.policy, &tier));
        run_request_free(&rq);
        policy_free(&tier);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(refusals_name_the_field, setup, teardown),
                cmocka_unit_test_setup_teardown(run_language_and_code, setup, teardown),
                cmocka_unit_test_setup_teardown(run_argv, setup, teardown),
                cmocka_unit_test_setup_teardown(run_limits_within_the_tier, setup, teardown),
                cmocka_unit_test_setup_teardown(run_network, setup, teardown),
                cmocka_unit_test_setup_teardown(run_stdin, setup, teardown),
                cmocka_unit_test_setup_teardown(run_too_large, setup, teardown),
                cmocka_unit_test_setup_teardown(run_files, setup, teardown),
                cmocka_unit_test_setup_teardown(session_bodies, setup, teardown),
                cmocka_unit_test(session_default_tier),
                cmocka_unit_test_setup_teardown(cell, setup, teardown),
                cmocka_unit_test(pool),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
