/* ward mcp's argument checks (src/mcp/mcp-tools.c, linked alone): each
 * tool's required arguments, wrong types, unknown arguments, the ranges of
 * the timeouts, the enums (language, encoding), the session id's format;
 * the schemas tools/list publishes from the same table; and the requests
 * checked arguments become. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "basic/cleanup.h"
#include "basic/limits.h"
#include "mcp/mcp-internal.h"

static char msg[512];

/* mcp_check_args on the arguments as JSON text; the message is in msg. */
static int check(const char *tool, const char *args_json) {
        const mcp_tool *t = mcp_tool_find(tool);
        assert_non_null(t);
        json_error_t jerr;
        json_t *args = json_loads(args_json, 0, &jerr);
        if (!args)
                fail_msg("bad test JSON %s: %s", args_json, jerr.text);
        msg[0] = '\0';
        int r = mcp_check_args(t, args, msg, sizeof msg);
        json_decref(args);
        return r;
}

static void accepted(const char *tool, const char *args_json) {
        if (check(tool, args_json) != 0)
                fail_msg("%s %s refused: %s", tool, args_json, msg);
}

/* Refused, with this message. */
static void refused(const char *tool, const char *args_json, const char *want) {
        int r = check(tool, args_json);
        if (r != -EINVAL)
                fail_msg("%s %s: %d, want -EINVAL", tool, args_json, r);
        assert_string_equal(msg, want);
}

static void unknown_tool(void **state) {
        (void)state;
        assert_null(mcp_tool_find("run"));
        assert_null(mcp_tool_find(""));
        assert_null(mcp_tool_find("RUN_CODE"));
        assert_string_equal(mcp_tool_name(mcp_tool_find("run_code")), "run_code");
}

static void required(void **state) {
        (void)state;
        accepted("run_code", "{\"language\": \"python\", \"code\": \"print(1)\"}");
        refused("run_code", "{\"code\": \"x\"}", "run_code: missing required argument 'language'");
        refused("run_code", "{\"language\": \"sh\"}", "run_code: missing required argument 'code'");
        refused("run_code", "{}", "run_code: missing required argument 'language'");

        accepted("session_create", "{\"language\": \"bash\"}");
        refused("session_create", "{}", "session_create: missing required argument 'language'");

        accepted("session_exec", "{\"session_id\": \"ses_1\", \"code\": \"x\"}");
        refused("session_exec", "{\"code\": \"x\"}", "session_exec: missing required argument 'session_id'");
        refused("session_exec", "{\"session_id\": \"ses_1\"}", "session_exec: missing required argument 'code'");

        accepted("session_files_write", "{\"session_id\": \"ses_1\", \"path\": \"a\", \"content\": \"\"}");
        refused("session_files_write", "{\"session_id\": \"ses_1\", \"path\": \"a\"}",
                "session_files_write: missing required argument 'content'");
        refused("session_files_write", "{\"session_id\": \"ses_1\", \"content\": \"\"}",
                "session_files_write: missing required argument 'path'");
        refused("session_files_write", "{\"path\": \"a\", \"content\": \"\"}",
                "session_files_write: missing required argument 'session_id'");

        accepted("session_files_read", "{\"session_id\": \"ses_1\", \"path\": \"a\"}");
        refused("session_files_read", "{\"session_id\": \"ses_1\"}",
                "session_files_read: missing required argument 'path'");
        refused("session_files_read", "{\"path\": \"a\"}",
                "session_files_read: missing required argument 'session_id'");

        accepted("session_files_list", "{\"session_id\": \"ses_1\"}");
        accepted("session_files_list", "{\"session_id\": \"ses_1\", \"dir\": \"sub\"}");
        refused("session_files_list", "{\"dir\": \"sub\"}",
                "session_files_list: missing required argument 'session_id'");

        accepted("session_end", "{\"session_id\": \"ses_1\"}");
        refused("session_end", "{}", "session_end: missing required argument 'session_id'");
}

static void types(void **state) {
        (void)state;
        refused("run_code", "{\"language\": \"python\", \"code\": 1}", "run_code: 'code' must be a string");
        refused("run_code", "{\"language\": [\"python\"], \"code\": \"x\"}", "run_code: 'language' must be a string");
        refused("run_code", "{\"language\": \"python\", \"code\": null}", "run_code: 'code' must be a string");
        refused("run_code", "{\"language\": \"python\", \"code\": \"x\", \"stdin\": false}",
                "run_code: 'stdin' must be a string");
        refused("run_code", "{\"language\": \"python\", \"code\": \"x\", \"timeout\": \"5\"}",
                "run_code: 'timeout' must be a number");
        refused("session_create", "{\"language\": \"python\", \"idle_timeout\": true}",
                "session_create: 'idle_timeout' must be a number");
        refused("session_exec", "{\"session_id\": 7, \"code\": \"x\"}", "session_exec: 'session_id' must be a string");
        refused("session_files_write", "{\"session_id\": \"ses_1\", \"path\": \"a\", \"content\": {}}",
                "session_files_write: 'content' must be a string");
        refused("session_files_list", "{\"session_id\": \"ses_1\", \"dir\": 0}",
                "session_files_list: 'dir' must be a string");
        /* An integer is a number. */
        accepted("run_code", "{\"language\": \"python\", \"code\": \"x\", \"timeout\": 5}");

        /* files: an array of {path, content, encoding?}. */
        accepted("run_code", "{\"language\": \"python\", \"code\": \"x\", \"files\": []}");
        accepted("run_code", "{\"language\": \"python\", \"code\": \"x\", \"files\": [{\"path\": \"a\", \"content\": "
                             "\"b\"}, {\"path\": \"c\", \"content\": \"ZA==\", \"encoding\": \"base64\"}]}");
        refused("run_code", "{\"language\": \"python\", \"code\": \"x\", \"files\": {}}",
                "run_code: 'files' must be an array of at most 256 files");
        const char *bad_files[] = {
                "[1]",
                "[{\"path\": \"a\"}]",
                "[{\"content\": \"a\"}]",
                "[{\"path\": 1, \"content\": \"a\"}]",
                "[{\"path\": \"a\", \"content\": \"b\", \"mode\": \"0755\"}]",
                "[{\"path\": \"a\", \"content\": \"b\", \"encoding\": \"hex\"}]",
                "[{\"path\": \"a\", \"content\": \"b\", \"encoding\": null}]",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad_files); i++) {
                char args[256];
                snprintf(args, sizeof args, "{\"language\": \"python\", \"code\": \"x\", \"files\": %s}", bad_files[i]);
                refused("run_code", args,
                        "run_code: files[0] must be {path, content, encoding?} with string path and content and "
                        "encoding utf-8 or base64");
        }
        /* More than 256 files. */
        json_t *files = json_array();
        for (int i = 0; i < 257; i++)
                json_array_append_new(files, json_pack("{s:s, s:s}", "path", "a", "content", ""));
        json_t *args = json_pack("{s:s, s:s, s:o}", "language", "python", "code", "x", "files", files);
        assert_int_equal(mcp_check_args(mcp_tool_find("run_code"), args, msg, sizeof msg), -EINVAL);
        assert_string_equal(msg, "run_code: 'files' must be an array of at most 256 files");
        json_decref(args);
}

static void unknown_args(void **state) {
        (void)state;
        refused("run_code", "{\"language\": \"python\", \"code\": \"x\", \"argv\": []}",
                "run_code: unknown argument 'argv'");
        refused("session_create", "{\"language\": \"python\", \"memory\": \"1G\"}",
                "session_create: unknown argument 'memory'");
        /* Unknown arguments are refused before missing ones are looked for. */
        refused("session_end", "{\"id\": \"ses_1\"}", "session_end: unknown argument 'id'");
        /* Each tool has its own arguments: session_exec's timeout is not
         * session_create's. */
        refused("session_create", "{\"language\": \"python\", \"timeout\": 5}",
                "session_create: unknown argument 'timeout'");
        refused("session_files_read", "{\"session_id\": \"ses_1\", \"path\": \"a\", \"encoding\": \"base64\"}",
                "session_files_read: unknown argument 'encoding'");
}

static void ranges(void **state) {
        (void)state;
        static const char *const tools[] = {"run_code", "session_exec"};
        static const char *const base[] = {"\"language\": \"python\", \"code\": \"x\"",
                                           "\"session_id\": \"ses_1\", \"code\": \"x\""};
        static const char *const ok[] = {"0.001", "1", "30.5", "86400"};
        static const char *const bad[] = {"0", "-1", "0.0009", "86400.001", "1e9"};
        char args[256], want[256];
        for (size_t t = 0; t < ELEMENTSOF(tools); t++) {
                for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                        snprintf(args, sizeof args, "{%s, \"timeout\": %s}", base[t], ok[i]);
                        accepted(tools[t], args);
                }
                snprintf(want, sizeof want, "%s: 'timeout' must be from 0.001 to 86400", tools[t]);
                for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                        snprintf(args, sizeof args, "{%s, \"timeout\": %s}", base[t], bad[i]);
                        refused(tools[t], args, want);
                }
        }
        accepted("session_create", "{\"language\": \"python\", \"idle_timeout\": 1}");
        accepted("session_create", "{\"language\": \"python\", \"idle_timeout\": 86400}");
        refused("session_create", "{\"language\": \"python\", \"idle_timeout\": 0.5}",
                "session_create: 'idle_timeout' must be from 1 to 86400");
        refused("session_create", "{\"language\": \"python\", \"idle_timeout\": 86401}",
                "session_create: 'idle_timeout' must be from 1 to 86400");
}

static void enums(void **state) {
        (void)state;
        /* run_code: every language, by name, and javascript. */
        static const char *const run_ok[] = {"python", "node", "javascript", "bash", "sh"};
        /* Spellings ward knows but does not list, and others. */
        static const char *const run_bad[] = {"python3", "js", "Python", "ruby", "", "python "};
        char args[128], want[256];
        for (size_t i = 0; i < ELEMENTSOF(run_ok); i++) {
                snprintf(args, sizeof args, "{\"language\": \"%s\", \"code\": \"x\"}", run_ok[i]);
                accepted("run_code", args);
        }
        for (size_t i = 0; i < ELEMENTSOF(run_bad); i++) {
                snprintf(args, sizeof args, "{\"language\": \"%s\", \"code\": \"x\"}", run_bad[i]);
                snprintf(want, sizeof want, "run_code: 'language' must be one of the listed values, not '%s'",
                         run_bad[i]);
                refused("run_code", args, want);
        }
        /* session_create: the languages with a driver; sh has none. */
        static const char *const session_ok[] = {"python", "node", "javascript", "bash"};
        for (size_t i = 0; i < ELEMENTSOF(session_ok); i++) {
                snprintf(args, sizeof args, "{\"language\": \"%s\"}", session_ok[i]);
                accepted("session_create", args);
        }
        refused("session_create", "{\"language\": \"sh\"}",
                "session_create: 'language' must be one of the listed values, not 'sh'");
        refused("session_create", "{\"language\": \"js\"}",
                "session_create: 'language' must be one of the listed values, not 'js'");

        /* encoding */
        accepted("session_files_write",
                 "{\"session_id\": \"ses_1\", \"path\": \"a\", \"content\": \"\", \"encoding\": \"utf-8\"}");
        accepted("session_files_write",
                 "{\"session_id\": \"ses_1\", \"path\": \"a\", \"content\": \"\", \"encoding\": \"base64\"}");
        refused("session_files_write",
                "{\"session_id\": \"ses_1\", \"path\": \"a\", \"content\": \"\", \"encoding\": \"hex\"}",
                "session_files_write: 'encoding' must be one of the listed values, not 'hex'");
        refused("session_files_write",
                "{\"session_id\": \"ses_1\", \"path\": \"a\", \"content\": \"\", \"encoding\": \"UTF-8\"}",
                "session_files_write: 'encoding' must be one of the listed values, not 'UTF-8'");
}

static void session_ids(void **state) {
        (void)state;
        assert_true(mcp_session_id_ok("ses_0123456789abcdef"));
        assert_true(mcp_session_id_ok("a"));
        assert_true(mcp_session_id_ok("ses-A_b"));
        assert_false(mcp_session_id_ok(""));
        assert_false(mcp_session_id_ok("ses_1/../x"));
        assert_false(mcp_session_id_ok("ses 1"));
        assert_false(mcp_session_id_ok("ses_1\n"));
        assert_false(mcp_session_id_ok("ses.1"));
        assert_false(mcp_session_id_ok("s\xc3\xa9s"));
        char id[WARD_API_SESSION_ID_MAX + 2];
        memset(id, 'a', sizeof id - 1);
        id[WARD_API_SESSION_ID_MAX] = '\0';
        assert_true(mcp_session_id_ok(id)); /* at the limit */
        id[WARD_API_SESSION_ID_MAX] = 'a';
        id[WARD_API_SESSION_ID_MAX + 1] = '\0';
        assert_false(mcp_session_id_ok(id)); /* one over */
}

static json_t *tool_schema(json_t *list, const char *name) {
        size_t i;
        json_t *t;
        json_array_foreach(list, i, t) {
                if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
                        return t;
        }
        fail_msg("no tool %s in tools/list", name);
        return NULL;
}

static void expect_strings(const json_t *arr, const char *const *want, size_t n) {
        assert_true(json_is_array(arr));
        assert_int_equal(json_array_size(arr), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(json_string_value(json_array_get(arr, i)), want[i]);
}

/* The schemas are the table the checks use: same required lists, same
 * enums, no other property. */
static void schemas(void **state) {
        (void)state;
        json_t *list = mcp_tools_json("POLICY");
        assert_int_equal(json_array_size(list), 7);
        static const struct {
                const char *tool;
                const char *required[3];
                size_t n;
        } req[] = {
                {"run_code", {"language", "code"}, 2},
                {"session_create", {"language"}, 1},
                {"session_exec", {"session_id", "code"}, 2},
                {"session_files_write", {"session_id", "path", "content"}, 3},
                {"session_files_read", {"session_id", "path"}, 2},
                {"session_files_list", {"session_id"}, 1},
                {"session_end", {"session_id"}, 1},
        };
        for (size_t i = 0; i < ELEMENTSOF(req); i++) {
                json_t *s = json_object_get(tool_schema(list, req[i].tool), "inputSchema");
                expect_strings(json_object_get(s, "required"), req[i].required, req[i].n);
                assert_true(json_is_false(json_object_get(s, "additionalProperties")));
        }
        json_t *run = tool_schema(list, "run_code");
        json_t *lang = json_object_get(json_object_get(json_object_get(run, "inputSchema"), "properties"), "language");
        static const char *const run_langs[] = {"python", "node", "javascript", "bash", "sh"};
        expect_strings(json_object_get(lang, "enum"), run_langs, ELEMENTSOF(run_langs));
        assert_string_equal(json_string_value(json_object_get(lang, "description")),
                            "The language of `code`: python (Python 3), node or javascript (Node.js), bash, or sh.");
        assert_non_null(strstr(json_string_value(json_object_get(run, "description")), " Policy: POLICY"));
        json_t *sc = tool_schema(list, "session_create");
        lang = json_object_get(json_object_get(json_object_get(sc, "inputSchema"), "properties"), "language");
        static const char *const session_langs[] = {"python", "node", "javascript", "bash"};
        expect_strings(json_object_get(lang, "enum"), session_langs, ELEMENTSOF(session_langs));
        assert_string_equal(json_string_value(json_object_get(lang, "description")),
                            "The session's interpreter: python (Python 3), node or javascript (Node.js), or bash.");
        json_t *timeout = json_object_get(
                json_object_get(json_object_get(tool_schema(list, "session_exec"), "inputSchema"), "properties"),
                "timeout");
        assert_string_equal(json_string_value(json_object_get(timeout, "type")), "number");
        assert_true(json_real_value(json_object_get(timeout, "maximum")) == 86400);
        json_decref(list);
}

/* What checked arguments become: the parent's ops. */
static json_t *request(const char *tool, const char *args_json, bool stream, mcp_request *rq) {
        json_error_t jerr;
        json_t *args = json_loads(args_json, 0, &jerr);
        assert_non_null(args);
        const mcp_tool *t = mcp_tool_find(tool);
        assert_int_equal(mcp_check_args(t, args, msg, sizeof msg), 0);
        assert_int_equal(mcp_tool_request(t, args, stream, rq, msg, sizeof msg), 0);
        return args;
}

static void requests(void **state) {
        (void)state;
        mcp_request rq;
        json_t *args =
                request("run_code", "{\"language\": \"javascript\", \"code\": \"1\", \"timeout\": 1.5}", true, &rq);
        assert_int_equal(rq.kind, K_RUN);
        assert_string_equal(json_string_value(json_object_get(rq.msg, "op")), "run");
        assert_true(json_is_true(json_object_get(rq.msg, "stream")));
        json_t *body = json_object_get(rq.msg, "body");
        assert_string_equal(json_string_value(json_object_get(body, "language")), "node");
        assert_string_equal(json_string_value(json_object_get(json_object_get(body, "limits"), "wall_time")), "1500ms");
        json_decref(rq.msg);
        free(rq.blob);
        json_decref(args);

        args = request("session_create", "{\"language\": \"bash\", \"idle_timeout\": 1.0001}", false, &rq);
        assert_int_equal(rq.kind, K_SCREATE);
        body = json_object_get(rq.msg, "body");
        assert_string_equal(json_string_value(json_object_get(body, "idle_timeout")), "1001ms");
        json_decref(rq.msg);
        json_decref(args);

        args = request("session_files_write",
                       "{\"session_id\": \"ses_9\", \"path\": \"d/f\", \"content\": \"aGk=\", \"encoding\": "
                       "\"base64\"}",
                       false, &rq);
        assert_int_equal(rq.kind, K_PUT);
        assert_string_equal(rq.sid, "ses_9");
        assert_string_equal(rq.path, "d/f");
        assert_int_equal(rq.blob_len, 2);
        assert_memory_equal(rq.blob, "hi", 2);
        assert_string_equal(json_string_value(json_object_get(rq.msg, "op")), "file.put");
        json_decref(rq.msg);
        free(rq.blob);
        json_decref(args);

        args = request("session_end", "{\"session_id\": \"ses_9\"}", false, &rq);
        assert_int_equal(rq.kind, K_END);
        assert_string_equal(json_string_value(json_object_get(rq.msg, "op")), "session.delete");
        assert_null(rq.blob);
        json_decref(rq.msg);
        json_decref(args);

        /* Content that is not base64: -32602's message. */
        json_t *bad = json_pack("{s:s, s:s, s:s, s:s}", "session_id", "ses_9", "path", "f", "content", "!!not base64",
                                "encoding", "base64");
        const mcp_tool *t = mcp_tool_find("session_files_write");
        assert_int_equal(mcp_check_args(t, bad, msg, sizeof msg), 0);
        assert_int_equal(mcp_tool_request(t, bad, false, &rq, msg, sizeof msg), -EINVAL);
        assert_string_equal(msg, "session_files_write: content is not valid base64");
        json_decref(bad);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(unknown_tool), cmocka_unit_test(required), cmocka_unit_test(types),
                cmocka_unit_test(unknown_args), cmocka_unit_test(ranges),   cmocka_unit_test(enums),
                cmocka_unit_test(session_ids),  cmocka_unit_test(schemas),  cmocka_unit_test(requests),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
