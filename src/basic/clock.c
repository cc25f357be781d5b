/* Clocks in milliseconds (see clock.h). */
#include "basic/clock.h"

#include <time.h>

static uint64_t ms_of(clockid_t clk) {
        struct timespec ts;
        /* Neither clock can fail with a valid id and address. */
        (void)clock_gettime(clk, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t clock_mono_ms(void) {
        return ms_of(CLOCK_MONOTONIC);
}

uint64_t clock_real_ms(void) {
        return ms_of(CLOCK_REALTIME);
}

int clock_ms_left(uint64_t deadline) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline)
                return 0;
        return deadline - now > INT32_MAX ? INT32_MAX : (int)(deadline - now);
}
