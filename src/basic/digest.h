/* SHA-256 digests as lowercase hex, for audit records. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 65 /* 64 hex digits and a NUL */

void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN]);
/* Exactly 64 lowercase hex digits. */
bool digest_hex_valid(const char *s);
/* Two valid digests compared in constant time: how long a wrong token
 * takes to refuse must not say how much of its hash was right. */
bool digest_hex_equal(const char *a, const char *b);

/* A digest fed in pieces (argv is fed as each argument and its NUL, so that
 * `printf '%s\0' ARGS | sha256sum` gives the same digest). */
typedef struct digest_ctx digest_ctx;
digest_ctx *digest_new(void);
void digest_add(digest_ctx *c, const void *data, size_t len);
void digest_finish(digest_ctx *c, char out[DIGEST_HEX_LEN]); /* frees c */
