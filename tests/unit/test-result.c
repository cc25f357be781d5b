/* The result document: statuses, exit codes, encodings, events. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "jail/jail.h"
#include "supervise/result.h"

static void utf8_and_binary(void **state) {
        (void)state;
        result r;
        result_init(&r, 16);
        buf_append(&r.out, "h\xc3\xa9llo", 6);
        buf_append(&r.err, "\xff\x00\x01", 3);
        json_t *doc = result_to_json(&r);
        assert_string_equal(json_string_value(json_object_get(doc, "stdout")), "h\xc3\xa9llo");
        assert_string_equal(json_string_value(json_object_get(doc, "stdout_encoding")), "utf-8");
        assert_string_equal(json_string_value(json_object_get(doc, "stderr")), "/wAB");
        assert_string_equal(json_string_value(json_object_get(doc, "stderr_encoding")), "base64");
        json_decref(doc);
        result_free(&r);
}

static void truncation(void **state) {
        (void)state;
        result r;
        result_init(&r, 4);
        assert_int_equal(buf_append(&r.out, "abcdef", 6), 4);
        json_t *doc = result_to_json(&r);
        assert_string_equal(json_string_value(json_object_get(doc, "stdout")), "abcd");
        assert_true(json_is_true(json_object_get(doc, "stdout_truncated")));
        assert_true(json_is_false(json_object_get(doc, "stderr_truncated")));
        json_decref(doc);
        result_free(&r);
}

static void exit_codes(void **state) {
        (void)state;
        result r;
        result_init(&r, 1);
        r.status = STATUS_OK;
        r.exit_code = 0;
        assert_int_equal(result_exit_code(&r), 0);
        r.status = STATUS_EXIT;
        r.exit_code = 3;
        assert_int_equal(result_exit_code(&r), 3);
        r.status = STATUS_SIGNAL;
        r.exit_code = -1;
        r.signal = SIGSEGV;
        assert_int_equal(result_exit_code(&r), 128 + SIGSEGV);
        r.status = STATUS_TIMEOUT;
        assert_int_equal(result_exit_code(&r), 124);
        r.status = STATUS_CPU_LIMIT;
        assert_int_equal(result_exit_code(&r), 124);
        r.status = STATUS_MEMORY_LIMIT;
        r.signal = SIGKILL;
        assert_int_equal(result_exit_code(&r), 137);
        r.status = STATUS_ERROR;
        assert_int_equal(result_exit_code(&r), 125);
        r.status = STATUS_EXIT;
        r.exec_class = 127;
        r.exit_code = 127;
        assert_int_equal(result_exit_code(&r), 127);
        result_free(&r);
}

static void events_are_counted_and_bounded(void **state) {
        (void)state;
        result r;
        result_init(&r, 1);
        result_event(&r, "syscall_denied", "ptrace", 1);
        result_event(&r, "syscall_denied", "ptrace", 1);
        result_event(&r, "limit", "memory", 1);
        assert_int_equal(r.n_events, 2);
        assert_int_equal(r.events[0].count, 2);
        for (int i = 0; i < 2000; i++) {
                char name[32];
                snprintf(name, sizeof name, "call%d", i);
                result_event(&r, "syscall_denied", name, 1);
        }
        assert_int_equal(r.n_events, WARD_EVENTS_MAX);
        assert_true(r.events_dropped > 0);
        json_t *doc = result_to_json(&r);
        json_t *ev = json_object_get(doc, "events");
        assert_int_equal(json_array_size(ev), WARD_EVENTS_MAX + 1);
        json_t *first = json_array_get(ev, 0);
        assert_string_equal(json_string_value(json_object_get(first, "syscall")), "ptrace");
        assert_int_equal(json_integer_value(json_object_get(first, "count")), 2);
        json_decref(doc);
        result_free(&r);
}

static void statuses_and_protections(void **state) {
        (void)state;
        result r;
        result_init(&r, 1);
        r.status = STATUS_PIDS_LIMIT;
        r.protections = PROT_USERNS | PROT_SECCOMP | PROT_CGROUP_MEMORY;
        r.cgroup_version = 1;
        json_t *doc = result_to_json(&r);
        assert_string_equal(json_string_value(json_object_get(doc, "status")), "pids_limit");
        assert_string_equal(json_string_value(json_object_get(doc, "cgroup")), "v1");
        json_t *prot = json_object_get(doc, "protections");
        assert_int_equal(json_array_size(prot), 3);
        assert_string_equal(json_string_value(json_array_get(prot, 0)), "userns");
        assert_string_equal(json_string_value(json_array_get(prot, 1)), "seccomp");
        assert_string_equal(json_string_value(json_array_get(prot, 2)), "cgroup-memory");
        assert_true(json_is_null(json_object_get(doc, "exit_code")));
        assert_null(json_object_get(doc, "error"));
        json_decref(doc);
        result_free(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(utf8_and_binary),
                cmocka_unit_test(truncation),
                cmocka_unit_test(exit_codes),
                cmocka_unit_test(events_are_counted_and_bounded),
                cmocka_unit_test(statuses_and_protections),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
