/* basic/: the UTF-8 rule every face shares, string vectors, clocks and the
 * scope-bound child process. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/strv.h"
#include "basic/utf8.h"

#define OK(lit) assert_true(utf8_valid((lit), sizeof(lit) - 1))
#define BAD(lit) assert_false(utf8_valid((lit), sizeof(lit) - 1))

static void utf8(void **state) {
        (void)state;
        OK("");
        OK("plain ascii");
        OK("caf\xc3\xa9");       /* U+00E9 */
        OK("\xe2\x82\xac");      /* U+20AC */
        OK("\xf0\x9f\x98\x80");  /* U+1F600 */
        OK("\xf4\x8f\xbf\xbf");  /* U+10FFFF, the last */
        BAD("a\0b");             /* NUL: refused everywhere */
        BAD("\xc0\x80");         /* overlong NUL */
        BAD("\xc1\xbf");         /* overlong */
        BAD("\xe0\x80\xaf");     /* overlong '/' */
        BAD("\xf0\x80\x80\xaf"); /* overlong '/' */
        BAD("\xed\xa0\x80");     /* U+D800, a surrogate */
        BAD("\xf4\x90\x80\x80"); /* past U+10FFFF */
        BAD("\xc3");             /* cut short */
        BAD("\xe2\x82");         /* cut short */
        BAD("\x80");             /* a lone continuation byte */
        BAD("\xc3\x28");         /* a bad continuation byte */
        BAD("\xff");
        /* The length given is the text: a valid prefix of a longer buffer. */
        assert_true(utf8_valid("ab\xc3\xa9\xff", 4));
        assert_false(utf8_valid("ab\xc3\xa9\xff", 3));
}

static void strv_ops(void **state) {
        (void)state;
        char *src[] = {"python3", "-c", "print(1)", NULL};
        _cleanup_strv_free_ strv all = strv_copy_n(src, (size_t)-1);
        assert_non_null(all);
        assert_int_equal(strv_length(all), 3);
        assert_string_equal(all[2], "print(1)");
        assert_ptr_not_equal(all[0], src[0]); /* copies, not the same strings */
        _cleanup_strv_free_ strv two = strv_copy_n(src, 2);
        assert_int_equal(strv_length(two), 2);
        assert_null(two[2]);
        assert_int_equal(strv_push(&two, "x"), 0);
        assert_int_equal(strv_length(two), 3);
        assert_string_equal(two[2], "x");
        assert_int_equal(strv_length(NULL), 0);
        _cleanup_strv_free_ strv none = strv_copy_n(NULL, 5);
        assert_non_null(none);
        assert_null(none[0]);
        strv_free(NULL);
}

static void clocks(void **state) {
        (void)state;
        uint64_t a = clock_mono_ms();
        assert_true(clock_mono_ms() >= a);
        assert_int_equal(clock_ms_left(0), 0);
        assert_int_equal(clock_ms_left(a), 0);
        int left = clock_ms_left(clock_mono_ms() + 60000);
        assert_true(left > 50000 && left <= 60000);
        assert_int_equal(clock_ms_left(UINT64_MAX), INT32_MAX);
        /* Real time is after 2020 and near the monotonic clock's pace. */
        assert_true(clock_real_ms() > 1577836800000ull);
}

/* A child that a scope started is gone when the scope ends. */
static void pid_scope(void **state) {
        (void)state;
        pid_t seen;
        {
                _cleanup_pid_ pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        pause();
                        _exit(0);
                }
                seen = pid;
        }
        errno = 0;
        assert_int_equal(kill(seen, 0), -1);
        assert_int_equal(errno, ESRCH);
        assert_int_equal(waitpid(seen, NULL, WNOHANG), -1); /* already reaped */
        pid_t taken;
        {
                _cleanup_pid_ pid_t pid = fork();
                if (pid == 0)
                        _exit(7);
                taken = TAKE_PID(pid);
        }
        int st = 0;
        assert_int_equal(waitpid(taken, &st, 0), taken);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(utf8),
                cmocka_unit_test(strv_ops),
                cmocka_unit_test(clocks),
                cmocka_unit_test(pid_scope),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
