/* SHA-256 through nettle. */
#include "basic/digest.h"

#include <nettle/sha2.h>
#include <string.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct digest_ctx {
        struct sha256_ctx sha;
};

static void to_hex(const uint8_t *d, char out[DIGEST_HEX_LEN]) {
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 15];
        }
        out[64] = '\0';
}

void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN]) {
        struct sha256_ctx c;
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_init(&c);
        sha256_update(&c, len, data);
        sha256_digest(&c, sizeof d, d);
        to_hex(d, out);
}

digest_ctx *digest_new(void) {
        digest_ctx *c = malloc(sizeof *c);
        if (c)
                sha256_init(&c->sha);
        return c;
}

void digest_add(digest_ctx *c, const void *data, size_t len) {
        sha256_update(&c->sha, len, data);
}

void digest_finish(digest_ctx *c, char out[DIGEST_HEX_LEN]) {
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_digest(&c->sha, sizeof d, d);
        to_hex(d, out);
        free(c);
}

bool digest_hex_valid(const char *s) {
        return s && strlen(s) == DIGEST_HEX_LEN - 1 && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN - 1;
}

bool digest_hex_equal(const char *a, const char *b) {
        unsigned char d = 0;
        for (size_t i = 0; i < DIGEST_HEX_LEN - 1; i++)
                d |= (unsigned char)(a[i] ^ b[i]);
        return d == 0;
}
