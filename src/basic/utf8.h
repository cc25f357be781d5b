/* UTF-8 validation: one rule for every place where bytes become text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) is UTF-8 as JSON (RFC 8259) and the kernel's paths
 * accept it: no overlong forms, no surrogates, nothing past U+10FFFF,
 * and no NUL byte. NUL is refused everywhere because every reader of
 * ward's text (C strings, paths, jansson's callers, clients) may cut at
 * it: bytes holding one are carried as base64 instead. */
bool utf8_valid(const void *s, size_t len);
