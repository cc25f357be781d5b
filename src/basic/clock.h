/* Clocks in milliseconds: one helper for every timer and deadline.
 *
 * Monotonic time measures intervals and deadlines (it never jumps with the
 * wall clock); real time is only for what people read (timestamps in
 * answers and audit records). Both are unsigned milliseconds since an
 * epoch; a deadline is "now + interval", compared with >=. */
#pragma once

#include <stdint.h>

uint64_t clock_mono_ms(void);
uint64_t clock_real_ms(void);
/* Milliseconds left until deadline (a clock_mono_ms() value), as a poll()
 * timeout: 0 once it has passed, capped at INT32_MAX. */
int clock_ms_left(uint64_t deadline);
