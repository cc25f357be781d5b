/* Fuzz target: the number parsers of basic/parse.c, parse_size(),
 * parse_duration_ms() and parse_uint64(), and format_size().
 *
 * The input is split at NUL bytes and every piece goes to every parser.
 * Each result is compared with a reading of the documented grammar (digits,
 * then a unit) done here with checked arithmetic, so that an overflow check
 * off by one in parse.c shows as a difference, not as a crash that never
 * comes. Also checked: the output is untouched on failure, parse_uint64
 * honours its range, format_size() output reads back to the same value and
 * stays inside the buffer it is given. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "basic/parse.h"
#include "fuzz.h"

/* Pieces per input; more only makes each input slower. */
#define PIECES_MAX 64

/* What parse_size() may be written with (parse.h: binary units, "k", "KiB",
 * "MB" spellings, any case) and parse_duration_ms() (parse.h: "ms", "s",
 * "m", "h", bare seconds; "sec" and "min" are read too). */
struct unit {
        const char *suffix;
        uint64_t mul;
};
static const struct unit size_units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1ull << 10},
        {"kb", 1ull << 10},
        {"kib", 1ull << 10},
        {"m", 1ull << 20},
        {"mb", 1ull << 20},
        {"mib", 1ull << 20},
        {"g", 1ull << 30},
        {"gb", 1ull << 30},
        {"gib", 1ull << 30},
        {"t", 1ull << 40},
        {"tb", 1ull << 40},
        {"tib", 1ull << 40},
};
static const struct unit duration_units[] = {
        {"", 1000}, {"ms", 1}, {"s", 1000}, {"sec", 1000}, {"m", 60000}, {"min", 60000}, {"h", 3600000},
};

/* The reference reading: one or more ASCII digits, then exactly one of
 * `units`. Returns what the parsers are documented to return: 0 with the
 * value, -ERANGE when the number does not fit in 64 bits, -EINVAL when it
 * is malformed. A number too long for 64 bits followed by a bad unit may
 * be either error: both are right, so it is reported as 1, "don't care". */
static int reference(const char *s, const struct unit *units, size_t n_units, bool any_case, uint64_t *ret) {
        uint64_t v = 0;
        bool overflow = false;
        const char *c = s;
        if (*c < '0' || *c > '9')
                return -EINVAL;
        for (; *c >= '0' && *c <= '9'; c++)
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*c - '0'), &v))
                        overflow = true;
        for (size_t i = 0; i < n_units; i++) {
                bool same = any_case ? strcasecmp(c, units[i].suffix) == 0 : strcmp(c, units[i].suffix) == 0;
                if (!same)
                        continue;
                if (overflow || __builtin_mul_overflow(v, units[i].mul, &v))
                        return -ERANGE;
                *ret = v;
                return 0;
        }
        return overflow ? 1 : -EINVAL;
}

#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static void compare(const char *what, const char *s, int r, uint64_t got, int want_r, uint64_t want) {
        if (r != 0 && got != SENTINEL)
                fuzz_fail("%s('%.64s') failed with %d but wrote its output", what, s, r);
        if (want_r == 1 ? r != -EINVAL && r != -ERANGE : r != want_r)
                fuzz_fail("%s('%.64s') returned %d, the grammar says %d", what, s, r, want_r);
        if (r == 0 && got != want)
                fuzz_fail("%s('%.64s') = %llu, the grammar says %llu", what, s, (unsigned long long)got,
                          (unsigned long long)want);
}

/* format_size() is documented to write what parse_size() reads. It must
 * also stay inside a short buffer and terminate it: each length gets an
 * exact-size allocation, so ASan sees a write past the end. */
static void check_format(uint64_t bytes) {
        char full[32];
        uint64_t back = SENTINEL;
        format_size(bytes, full, sizeof full);
        if (strnlen(full, sizeof full) >= sizeof full)
                fuzz_fail("format_size(%llu) filled 32 bytes", (unsigned long long)bytes);
        int r = parse_size(full, &back);
        if (r != 0 || back != bytes)
                fuzz_fail("format_size(%llu) = '%s', which parse_size reads as %d/%llu", (unsigned long long)bytes,
                          full, r, (unsigned long long)back);
        static const unsigned lens[] = {1, 2, 5, 21};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
                char *small = malloc(lens[i]);
                if (!small)
                        return;
                format_size(bytes, small, lens[i]);
                size_t n = strnlen(small, lens[i]);
                if (n >= lens[i] || strncmp(small, full, n) != 0)
                        fuzz_fail("format_size(%llu) into %u bytes gave a bad prefix", (unsigned long long)bytes,
                                  lens[i]);
                free(small);
        }
}

static void check_piece(const char *s) {
        uint64_t got, want = 0;
        int r, want_r;

        got = SENTINEL;
        r = parse_size(s, &got);
        want_r = reference(s, size_units, sizeof size_units / sizeof size_units[0], true, &want);
        compare("parse_size", s, r, got, want_r, want);
        if (r == 0)
                check_format(got);

        got = SENTINEL;
        r = parse_duration_ms(s, &got);
        want_r = reference(s, duration_units, sizeof duration_units / sizeof duration_units[0], false, &want);
        compare("parse_duration_ms", s, r, got, want_r, want);

        /* The whole range first, then ranges around the value read, so that
         * both ends of the range check are crossed. */
        uint64_t all = SENTINEL;
        int r_all = parse_uint64(s, 0, UINT64_MAX, &all);
        want_r = reference(s, size_units, 1, false, &want);
        compare("parse_uint64", s, r_all, all, want_r, want);
        if (r_all == 0) {
                const uint64_t v = all;
                const struct {
                        uint64_t min, max;
                        bool in;
                } ranges[] = {
                        {v, v, true},
                        {0, v > 0 ? v - 1 : 0, v == 0},
                        {v < UINT64_MAX ? v + 1 : v, UINT64_MAX, v == UINT64_MAX},
                        {1, 65536, v >= 1 && v <= 65536},
                };
                for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
                        got = SENTINEL;
                        r = parse_uint64(s, ranges[i].min, ranges[i].max, &got);
                        if (ranges[i].in ? r != 0 || got != v : r != -ERANGE || got != SENTINEL)
                                fuzz_fail("parse_uint64('%.64s', %llu, %llu) returned %d", s,
                                          (unsigned long long)ranges[i].min, (unsigned long long)ranges[i].max, r);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        const char *s = buf;
        for (unsigned n = 0; n < PIECES_MAX && s <= buf + size; n++) {
                check_piece(s);
                s += strlen(s) + 1;
        }
        /* Any 64-bit value, not only those a parser produced, must format
         * and read back. */
        if (size >= sizeof(uint64_t)) {
                uint64_t v;
                memcpy(&v, data, sizeof v);
                check_format(v);
        }
        free(buf);
        return 0;
}
