/* Parsing of numbers, sizes and durations from outside input.
 *
 * No atoi: every parser checks the whole string, overflow and range, and
 * returns -EINVAL (malformed) or -ERANGE (out of range) without touching
 * its output on failure. */
#pragma once

#include <stdint.h>

/* "123", "64K", "256M", "1G", "2T"; "k"/"KiB"/"MB" spellings too. Binary
 * units (1K = 1024). No sign, no fraction, no spaces. */
int parse_size(const char *s, uint64_t *ret_bytes);

/* "500ms", "5s", "2m", "1h", "1500" (seconds). Result in milliseconds. */
int parse_duration_ms(const char *s, uint64_t *ret_ms);

/* A CPU rate in cores: "1", "0.5", "2.25" (at most three decimals), or
 * "500m" (thousandths of a core). Result in millicores. */
int parse_cpu_rate_milli(const char *s, uint64_t *ret_milli);
/* The form parse_cpu_rate_milli reads back: "2" for whole cores, else
 * "1500m". */
void format_cpu_rate(uint64_t milli, char *buf, unsigned len);

/* A decimal unsigned integer within [min, max]. */
int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Formats bytes the way parse_size reads them ("512M"), for messages. */
void format_size(uint64_t bytes, char *buf, unsigned len);
