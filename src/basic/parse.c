/* Strict parsers for sizes, durations and integers. */
#include "basic/parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Reads leading decimal digits; at least one, no overflow. */
static int parse_digits(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;
        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *ret = v;
        return 0;
}

int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v;
        if (!s)
                return -EINVAL;
        int r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        if (*s != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static const struct {
        const char *suffix;
        unsigned shift;
} size_units[] = {
        {"", 0},     {"b", 0},  {"k", 10},  {"kb", 10},  {"kib", 10}, {"m", 20},  {"mb", 20},
        {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40},   {"tb", 40}, {"tib", 40},
};

int parse_size(const char *s, uint64_t *ret_bytes) {
        uint64_t v;
        if (!s)
                return -EINVAL;
        int r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
                if (strcasecmp(s, size_units[i].suffix) != 0)
                        continue;
                unsigned shift = size_units[i].shift;
                if (shift && v > (UINT64_MAX >> shift))
                        return -ERANGE;
                *ret_bytes = v << shift;
                return 0;
        }
        return -EINVAL;
}

static const struct {
        const char *suffix;
        uint64_t ms;
} duration_units[] = {
        {"", 1000}, {"ms", 1}, {"s", 1000}, {"sec", 1000}, {"m", 60000}, {"min", 60000}, {"h", 3600000},
};

int parse_duration_ms(const char *s, uint64_t *ret_ms) {
        uint64_t v;
        if (!s)
                return -EINVAL;
        int r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
                if (strcmp(s, duration_units[i].suffix) != 0)
                        continue;
                uint64_t mul = duration_units[i].ms;
                if (v > UINT64_MAX / mul)
                        return -ERANGE;
                *ret_ms = v * mul;
                return 0;
        }
        return -EINVAL;
}

int parse_cpu_rate_milli(const char *s, uint64_t *ret_milli) {
        uint64_t whole, frac = 0;
        if (!s)
                return -EINVAL;
        int r = parse_digits(&s, &whole);
        if (r < 0)
                return r;
        if (strcmp(s, "m") == 0) {
                *ret_milli = whole;
                return 0;
        }
        if (*s == '.') {
                s++;
                /* One to three decimals: a thousandth of a core is the
                 * finest a rate is given in. */
                unsigned n = 0;
                for (; *s >= '0' && *s <= '9'; s++, n++) {
                        if (n == 3)
                                return -EINVAL;
                        frac = frac * 10 + (uint64_t)(*s - '0');
                }
                if (n == 0)
                        return -EINVAL;
                for (; n < 3; n++)
                        frac *= 10;
        }
        if (*s != '\0')
                return -EINVAL;
        if (whole > (UINT64_MAX - frac) / 1000)
                return -ERANGE;
        *ret_milli = whole * 1000 + frac;
        return 0;
}

void format_cpu_rate(uint64_t milli, char *buf, unsigned len) {
        if (milli % 1000 == 0)
                snprintf(buf, len, "%llu", (unsigned long long)(milli / 1000));
        else
                snprintf(buf, len, "%llum", (unsigned long long)milli);
}

void format_size(uint64_t bytes, char *buf, unsigned len) {
        static const char units[] = "KMGT";
        int u = -1;
        while (u < 3 && bytes >= 1024 && bytes % 1024 == 0) {
                bytes /= 1024;
                u++;
        }
        if (u < 0)
                snprintf(buf, len, "%llu", (unsigned long long)bytes);
        else
                snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
}
