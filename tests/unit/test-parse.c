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

static void cpu_rates(void **state) {
        (void)state;
        static const struct {
                const char *text;
                uint64_t milli;
        } good[] = {
                {"1", 1000},   {"0.5", 500},  {"2.25", 2250}, {"0.001", 1},
                {"1.5", 1500}, {"500m", 500}, {"0m", 0},      {"1.000", 1000},
        };
        uint64_t v = 0;
        for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
                assert_int_equal(parse_cpu_rate_milli(good[i].text, &v), 0);
                assert_int_equal(v, good[i].milli);
        }
        /* A thousandth of a core is the finest: a fourth decimal is not
         * rounded away, it is refused; so are signs, exponents, spaces,
         * a bare point and other units. */
        static const char *const bad[] = {"", ".5", "1.", "0.0001", "-1", "+1", "1e3", " 1", "1 ", "1.5m", "2c", "1,5"};
        v = 7;
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(parse_cpu_rate_milli(bad[i], &v), -EINVAL);
        assert_int_equal(parse_cpu_rate_milli("99999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_cpu_rate_milli("18446744073709552", &v), -ERANGE); /* * 1000 overflows */
        assert_int_equal(parse_cpu_rate_milli(NULL, &v), -EINVAL);
        assert_int_equal(v, 7);
        /* What format_cpu_rate writes is read back the same. */
        char b[32];
        static const uint64_t rates[] = {1000, 500, 1, 2250, 1024000};
        for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
                format_cpu_rate(rates[i], b, sizeof b);
                assert_int_equal(parse_cpu_rate_milli(b, &v), 0);
                assert_int_equal(v, rates[i]);
        }
        format_cpu_rate(2000, b, sizeof b);
        assert_string_equal(b, "2");
        format_cpu_rate(1500, b, sizeof b);
        assert_string_equal(b, "1500m");
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
                cmocka_unit_test(sizes),    cmocka_unit_test(bad_sizes), cmocka_unit_test(durations),
                cmocka_unit_test(integers), cmocka_unit_test(cpu_rates), cmocka_unit_test(formatting),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
