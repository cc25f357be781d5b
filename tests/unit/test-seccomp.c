/* The seccomp program compiled into ward at build time must be exactly
 * what the allowlist in seccomp-rules.c makes with this libseccomp: a
 * stale or hand-edited table would silently change what the sandbox may
 * call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jail/jail.h"

static void check_program(bool net, const struct sock_filter *compiled, size_t compiled_len) {
        ward_error err = {0};
        scmp_filter_ctx ctx = NULL;
        assert_int_equal(seccomp_build(&ctx, net, &err), 0);
        struct sock_filter *prog = NULL;
        size_t len = 0;
        assert_int_equal(seccomp_export_program(ctx, &prog, &len), 0);
        seccomp_release(ctx);
        assert_int_equal(len, compiled_len);
        assert_memory_equal(prog, compiled, len * sizeof *prog);
        free(prog);
}

static void test_compiled_program_matches_rules(void **state) {
        (void)state;
        check_program(false, seccomp_program, seccomp_program_len);
}

static void test_compiled_net_program_matches_rules(void **state) {
        (void)state;
        check_program(true, seccomp_program_net, seccomp_program_net_len);
        /* Mediation changes the program: connect() must not be allowed. */
        assert_true(seccomp_program_net_len != seccomp_program_len ||
                    memcmp(seccomp_program_net, seccomp_program, seccomp_program_len * sizeof *seccomp_program) != 0);
}

static void test_program_checks_the_architecture_first(void **state) {
        (void)state;
        /* The first instruction loads seccomp_data.arch (offset 4): a
         * filter that did not would let i386 or x32 numbers through. */
        assert_true(seccomp_program_len > 2);
        assert_int_equal(seccomp_program[0].code, BPF_LD | BPF_W | BPF_ABS);
        assert_int_equal(seccomp_program[0].k, offsetof(struct seccomp_data, arch));
}

int main(void) {
        /* valgrind 3.19 does not know the seccomp system call, with which
         * libseccomp asks the kernel what it supports. */
        if (getenv("WARD_UNDER_VALGRIND")) {
                fputs("skipped: valgrind cannot run libseccomp's seccomp(2) probes\n", stderr);
                return 77;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_compiled_program_matches_rules),
                cmocka_unit_test(test_compiled_net_program_matches_rules),
                cmocka_unit_test(test_program_checks_the_architecture_first),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
