/* The sentence for each way a run ends (src/service/status.c): from a
 * Result with its policy's values (ward run), from a result document
 * without them (ward mcp), and for statuses and limits it does not know. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "policy/policy.h"
#include "service/status.h"
#include "supervise/result.h"

static void text_of_result(run_status st, const char *limit, const policy *p, char *out, size_t len) {
        result r;
        result_init(&r, 1024);
        r.status = st;
        if (limit)
                result_event(&r, "limit", limit, 1);
        status_facts f;
        status_facts_from_result(&r, p, &f);
        status_text(&f, out, len);
        result_free(&r);
}

static void from_results(void **state) {
        (void)state;
        policy p;
        policy_init_default(&p);
        p.wall_time_ms = 1500;
        p.cpu_time_ms = 2000;
        p.memory = 64u << 20;
        p.pids = 16;
        p.output = 1024;
        p.file_size = 1u << 20;
        p.disk = 8u << 20;
        p.max_violations = 5;
        p.net.max_bytes_in = 1u << 20;
        p.net.max_bytes_out = 64u << 10;
        p.net.max_connections = 2;
        static const struct {
                run_status st;
                const char *limit, *want;
        } cases[] = {
                {STATUS_TIMEOUT, "wall_time", "timeout: the wall-time limit (1500ms) ended the run"},
                {STATUS_CPU_LIMIT, "cpu_time", "cpu_limit: the CPU-time limit (2000ms) ended the run"},
                {STATUS_MEMORY_LIMIT, "memory", "memory_limit: the sandbox ran out of its 64M of memory"},
                {STATUS_PIDS_LIMIT, "pids", "pids_limit: the sandbox hit its limit of 16 processes"},
                {STATUS_OUTPUT_LIMIT, "output", "output_limit: the program wrote more than 1K"},
                {STATUS_FILE_SIZE_LIMIT, "file_size", "file_size_limit: the program wrote a file larger than 1M"},
                {STATUS_DISK_LIMIT, "disk", "disk_limit: the sandbox filled its 8M of writable space"},
                {STATUS_VIOLATION, NULL, "violation: more than 5 denied system calls"},
                {STATUS_NETWORK_LIMIT, "network_bytes_in",
                 "network_limit: the program received more than 1M over the network"},
                {STATUS_NETWORK_LIMIT, "network_bytes_out",
                 "network_limit: the program sent more than 64K over the network"},
                {STATUS_NETWORK_LIMIT, "network_connections",
                 "network_limit: the program tried more than 2 network connections"},
                {STATUS_NETWORK_LIMIT, NULL, "network_limit: a network limit ended the run"},
                {STATUS_NETWORK_LIMIT, "network_something", "network_limit: a network limit ended the run"},
                {STATUS_ERROR, NULL, "error: the code raised an error or the sandbox failed"},
        };
        char text[256];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                text_of_result(cases[i].st, cases[i].limit, &p, text, sizeof text);
                assert_string_equal(text, cases[i].want);
        }
        /* A limit the policy does not set: the sentence without a value. */
        p.net.max_bytes_in = 0;
        text_of_result(STATUS_NETWORK_LIMIT, "network_bytes_in", &p, text, sizeof text);
        assert_string_equal(text, "network_limit: the program received more over the network than its limit allows");
        /* An error says what failed, as it is. */
        result r;
        result_init(&r, 1024);
        r.status = STATUS_ERROR;
        snprintf(r.error, sizeof r.error, "run: cannot spawn the sandbox: EPERM");
        status_facts f;
        status_facts_from_result(&r, &p, &f);
        status_text(&f, text, sizeof text);
        assert_string_equal(text, "run: cannot spawn the sandbox: EPERM");
        result_free(&r);
        policy_free(&p);
}

static void from_docs(void **state) {
        (void)state;
        static const struct {
                const char *doc, *want;
        } cases[] = {
                {"{\"status\": \"exit\", \"exit_code\": 4, \"signal\": null}", "exit: the program exited with code 4"},
                {"{\"status\": \"signal\", \"exit_code\": null, \"signal\": 9}",
                 "signal: the program was killed by signal 9"},
                {"{\"status\": \"timeout\", \"events\": [{\"type\": \"limit\", \"limit\": \"wall_time\"}]}",
                 "timeout: the wall-time limit ended the run"},
                {"{\"status\": \"network_limit\", \"events\": [{\"type\": \"dns\", \"detail\": \"a\"}, {\"type\": "
                 "\"limit\", \"limit\": \"network_connections\"}]}",
                 "network_limit: the program tried more network connections than its limit allows"},
                {"{\"status\": \"memory_limit\"}", "memory_limit: the sandbox ran out of its memory"},
                {"{\"status\": \"crashed\"}", "crashed: the interpreter died; the session is gone"},
                {"{\"status\": \"cancelled\"}", "cancelled: the call was cancelled and the cell interrupted"},
                {"{\"status\": \"error\"}", "error: the code raised an error or the sandbox failed"},
                {"{\"status\": \"something_new\"}", "something_new"},
                {"{}", "unknown: the run ended without a status"},
        };
        char text[256];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                json_error_t jerr;
                json_t *doc = json_loads(cases[i].doc, 0, &jerr);
                assert_non_null(doc);
                status_facts f;
                status_facts_from_doc(doc, &f);
                status_text(&f, text, sizeof text);
                assert_string_equal(text, cases[i].want);
                json_decref(doc);
        }
}

/* A short buffer: cut, never overrun. */
static void short_buffer(void **state) {
        (void)state;
        status_facts f = {.status = "timeout", .exit_code = -1, .value = 1000};
        char text[8];
        memset(text, 'x', sizeof text);
        status_text(&f, text, sizeof text);
        assert_string_equal(text, "timeout");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(from_results),
                cmocka_unit_test(from_docs),
                cmocka_unit_test(short_buffer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
