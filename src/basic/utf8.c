/* UTF-8 validation (see utf8.h). */
#include "basic/utf8.h"

#include <stdint.h>

bool utf8_valid(const void *data, size_t len) {
        const unsigned char *s = data;
        for (size_t i = 0; i < len;) {
                unsigned c = s[i];
                size_t n;
                uint32_t cp;
                if (c == 0)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                /* The lead byte says how many continuation bytes follow;
                 * 0xc0, 0xc1 and 0xf5.. can only start overlong or
                 * out-of-range forms. */
                if (c >= 0xc2 && c <= 0xdf) {
                        n = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 3;
                        cp = c & 0x07;
                } else {
                        return false;
                }
                if (len - i <= n)
                        return false;
                for (size_t k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (s[i + k] & 0x3fu);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n + 1;
        }
        return true;
}
