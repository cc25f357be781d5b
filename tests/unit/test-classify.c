/* The decision of a run's final status (supervise/classify.c): every
 * status it can give, from the facts alone, and the order in which those
 * facts count. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "supervise/classify.h"

/* What the init reports for a program that exited with `code` or was
 * killed by `sig`. */
static classify_input exited(int code) {
        return (classify_input){.have_status = true, .wait_status = W_EXITCODE(code, 0), .killed_for = STATUS_OK};
}

static classify_input signalled(int sig) {
        return (classify_input){.have_status = true, .wait_status = W_EXITCODE(0, sig), .killed_for = STATUS_OK};
}

static classify_verdict run(const classify_input *in) {
        classify_verdict v;
        memset(&v, 0xa5, sizeof v); /* every field must be set */
        run_status s = classify_run(in, &v);
        assert_int_equal(s, v.status);
        return v;
}

static void ok_and_exit_codes(void **state) {
        (void)state;
        classify_input in = exited(0);
        classify_verdict v = run(&in);
        assert_int_equal(v.status, STATUS_OK);
        assert_int_equal(v.exit_code, 0);
        assert_int_equal(v.signal, 0);
        assert_null(v.limit);
        assert_null(v.error);

        in = exited(3);
        v = run(&in);
        assert_int_equal(v.status, STATUS_EXIT);
        assert_int_equal(v.exit_code, 3);
        assert_int_equal(v.signal, 0);
        assert_null(v.limit);
        in = exited(0);
        assert_false(classify_needs_big_file(&in));
}

static void signals(void **state) {
        (void)state;
        classify_input in = signalled(SIGSEGV);
        classify_verdict v = run(&in);
        assert_int_equal(v.status, STATUS_SIGNAL);
        assert_int_equal(v.exit_code, -1);
        assert_int_equal(v.signal, SIGSEGV);
        assert_null(v.limit);
        /* With forks refused, a signal is the fork bomb's end. */
        in.pids_max_hits = 5;
        assert_int_equal(run(&in).status, STATUS_PIDS_LIMIT);
}

static void rlimit_signals(void **state) {
        (void)state;
        classify_input in = signalled(SIGXCPU);
        classify_verdict v = run(&in);
        assert_int_equal(v.status, STATUS_CPU_LIMIT);
        assert_string_equal(v.limit, "cpu_time");
        assert_int_equal(v.signal, SIGXCPU);

        in = signalled(SIGXFSZ);
        v = run(&in);
        assert_int_equal(v.status, STATUS_FILE_SIZE_LIMIT);
        assert_string_equal(v.limit, "file_size");
}

static void ended_by_ward(void **state) {
        (void)state;
        static const run_status why[] = {STATUS_TIMEOUT,       STATUS_CPU_LIMIT, STATUS_OUTPUT_LIMIT,
                                         STATUS_NETWORK_LIMIT, STATUS_VIOLATION, STATUS_ERROR};
        for (size_t i = 0; i < sizeof why / sizeof why[0]; i++) {
                /* The init never reported: ward killed the sandbox. */
                classify_input in = {.have_status = false, .killed_for = why[i]};
                classify_verdict v = run(&in);
                assert_int_equal(v.status, why[i]);
                assert_int_equal(v.signal, SIGKILL);
                assert_int_equal(v.exit_code, -1);
                assert_null(v.limit); /* end_run() reported it already */
                assert_null(v.error);
                /* What ward ended the run for outranks the OOM killer and
                 * whatever the program's status says. */
                in = exited(0);
                in.killed_for = why[i];
                in.oom_kills = 1;
                assert_int_equal(run(&in).status, why[i]);
                assert_false(classify_needs_big_file(&in));
        }
        /* A fork bomb that spun until its time ran out is a pids limit. */
        classify_input in = {.killed_for = STATUS_TIMEOUT, .pids_max_hits = 1};
        assert_int_equal(run(&in).status, STATUS_PIDS_LIMIT);
        in.killed_for = STATUS_CPU_LIMIT;
        assert_int_equal(run(&in).status, STATUS_PIDS_LIMIT);
        in.killed_for = STATUS_OUTPUT_LIMIT;
        assert_int_equal(run(&in).status, STATUS_OUTPUT_LIMIT);
}

static void memory(void **state) {
        (void)state;
        /* The OOM killer took the program, or the init with it. */
        classify_input in = signalled(SIGKILL);
        in.oom_kills = 2;
        assert_int_equal(run(&in).status, STATUS_MEMORY_LIMIT);
        in = (classify_input){.have_status = false, .killed_for = STATUS_OK, .oom_kills = 1};
        classify_verdict v = run(&in);
        assert_int_equal(v.status, STATUS_MEMORY_LIMIT);
        assert_int_equal(v.signal, SIGKILL);
        /* A child was killed, and the program went on to exit 0. */
        in = exited(0);
        in.oom_kills = 1;
        assert_int_equal(run(&in).status, STATUS_MEMORY_LIMIT);
}

static void no_status_is_an_error(void **state) {
        (void)state;
        classify_input in = {.have_status = false, .killed_for = STATUS_OK};
        classify_verdict v = run(&in);
        assert_int_equal(v.status, STATUS_ERROR);
        assert_non_null(v.error);
        assert_non_null(strstr(v.error, "without reporting"));
        assert_int_equal(v.signal, SIGKILL);
}

static void failures_blamed_on_limits(void **state) {
        (void)state;
        /* A full scratch tmpfs explains a failing exit. */
        classify_input in = exited(1);
        in.disk_full = true;
        assert_false(classify_needs_big_file(&in));
        assert_int_equal(run(&in).status, STATUS_DISK_LIMIT);
        /* ... but not a successful one. */
        in = exited(0);
        in.disk_full = true;
        assert_int_equal(run(&in).status, STATUS_OK);

        /* A shell passes a child's SIGXFSZ on as 128+SIGXFSZ. */
        in = exited(128 + SIGXFSZ);
        assert_false(classify_needs_big_file(&in));
        classify_verdict v = run(&in);
        assert_int_equal(v.status, STATUS_FILE_SIZE_LIMIT);
        assert_string_equal(v.limit, "file_size");
        assert_int_equal(v.exit_code, 128 + SIGXFSZ);

        /* A file of the size limit in the scratch tmpfs. */
        in = exited(1);
        assert_true(classify_needs_big_file(&in));
        in.big_file = true;
        v = run(&in);
        assert_int_equal(v.status, STATUS_FILE_SIZE_LIMIT);
        assert_string_equal(v.limit, "file_size");

        /* Refused forks explain a failing exit, after the disk and the
         * file size. */
        in = exited(1);
        in.pids_max_hits = 3;
        assert_int_equal(run(&in).status, STATUS_PIDS_LIMIT);
        in.disk_full = true;
        assert_int_equal(run(&in).status, STATUS_DISK_LIMIT);
        in.disk_full = false;
        in.big_file = true;
        assert_int_equal(run(&in).status, STATUS_FILE_SIZE_LIMIT);
        /* A successful exit with forks refused is still a success. */
        in = exited(0);
        in.pids_max_hits = 3;
        assert_int_equal(run(&in).status, STATUS_OK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(ok_and_exit_codes),
                cmocka_unit_test(signals),
                cmocka_unit_test(rlimit_signals),
                cmocka_unit_test(ended_by_ward),
                cmocka_unit_test(memory),
                cmocka_unit_test(no_status_is_an_error),
                cmocka_unit_test(failures_blamed_on_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
