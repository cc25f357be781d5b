/* Sizes, durations and integers: what users type on the command line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "basic/parse.h"

static void sizes(void **state) {
        (void)state;
        uint64_t v = 0;
        assert_int_equal(parse_size("123", &v), 0);
        assert_int_equal(v, 123);
        assert_int_equal(parse_size("64K", &v), 0);
        assert_int_equal(v, 65536);
        assert_int_equal(parse_size("256M", &v), 0);
        assert_int_equal(v, 256ull << 20);
        assert_int_equal(parse_size("1g", &v), 0);
        assert_int_equal(v, 1ull << 30);
        assert_int_equal(parse_size("2TiB", &v), 0);
        assert_int_equal(v, 2ull << 40);
        assert_int_equal(parse_size("10MB", &v), 0);
        assert_int_equal(v, 10ull << 20);
}

static void bad_sizes(void **state) {
        (void)state;
        uint64_t v = 42;
        const char *bad[] = {"", "M", "-1", "12Q", "1.5G", " 1M", "1M ", "0x10", "+5", "1MM"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                assert_int_equal(parse_size(bad[i], &v), -EINVAL);
                assert_int_equal(v, 42); /* untouched on failure */
        }
        assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
        assert_int_equal(parse_size(NULL, &v), -EINVAL);
        assert_int_equal(v, 42);
}

static void durations(void **state) {
        (void)state;
        uint64_t v = 0;
        assert_int_equal(parse_duration_ms("500ms", &v), 0);
        assert_int_equal(v, 500);
        assert_int_equal(parse_duration_ms("5s", &v), 0);
        assert_int_equal(v, 5000);
        assert_int_equal(parse_duration_ms("2m", &v), 0);
        assert_int_equal(v, 120000);
        assert_int_equal(parse_duration_ms("1h", &v), 0);
        assert_int_equal(v, 3600000);
        assert_int_equal(parse_duration_ms("7", &v), 0);
        assert_int_equal(v, 7000);
        v = 9;
        assert_int_equal(parse_duration_ms("5x", &v), -EINVAL);
        assert_int_equal(parse_duration_ms("-5s", &v), -EINVAL);
        assert_int_equal(parse_duration_ms("s", &v), -EINVAL);
        assert_int_equal(parse_duration_ms("1.5s", &v), -EINVAL);
        assert_int_equal(parse_duration_ms("18446744073709551615h", &v), -ERANGE);
        assert_int_equal(v, 9);
}

static void integers(void **state) {
        (void)state;
        uint64_t v = 0;
        assert_int_equal(parse_uint64("64", 1, 100, &v), 0);
        assert_int_equal(v, 64);
        assert_int_equal(parse_uint64("0", 1, 100, &v), -ERANGE);
        assert_int_equal(parse_uint64("101", 1, 100, &v), -ERANGE);
        assert_int_equal(parse_uint64("1e3", 1, 10000, &v), -EINVAL);
        assert_int_equal(parse_uint64("", 0, 10, &v), -EINVAL);
}

static void formatting(void **state) {
        (void)state;
        char b[32];
        format_size(512ull << 20, b, sizeof b);
        assert_string_equal(b, "512M");
        format_size(1000, b, sizeof b);
        assert_string_equal(b, "1000");
        format_size(1ull << 40, b, sizeof b);
        assert_string_equal(b, "1T");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sizes),    cmocka_unit_test(bad_sizes),  cmocka_unit_test(durations),
                cmocka_unit_test(integers), cmocka_unit_test(formatting),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
