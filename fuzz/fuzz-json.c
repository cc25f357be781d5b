/* Fuzz target: json_load_bounded (src/basic/jsontext.h), the one loader
 * of JSON that comes from outside: API bodies in the HTTP front and in the
 * parent, ward mcp's messages, a session driver's lines.
 *
 * The input is the text. With small bounds (16 values, 4 levels), so that
 * inputs reach them, checked against jansson's own reading of the text:
 *   - what the loader admits, jansson reads too, and its tree holds at
 *     most 16 values (a member's name counts as one) nested at most 4
 *     deep: no text gets past the bounds;
 *   - what jansson reads within those bounds, the loader admits: the
 *     bounds refuse nothing they should not;
 *   - a refusal on the bounds says which, in jansson's error text. */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "basic/jsontext.h"
#include "fuzz.h"

static const json_bounds small = {.values = 16, .depth = 4};

/* Values (names of members included) and depth of a tree. Recursive: a
 * tree jansson built is at most 2048 deep (its JSON_PARSER_MAX_DEPTH). */
// NOLINTNEXTLINE(misc-no-recursion)
static void measure(const json_t *v, unsigned level, size_t *values, unsigned *depth) {
        (*values)++;
        if (json_is_object(v) || json_is_array(v)) {
                if (level + 1 > *depth)
                        *depth = level + 1;
        }
        if (json_is_object(v)) {
                const char *k;
                const json_t *m;
                json_object_foreach((json_t *)v, k, m) {
                        (*values)++;
                        measure(m, level + 1, values, depth);
                }
        } else if (json_is_array(v)) {
                for (size_t i = 0; i < json_array_size(v); i++)
                        measure(json_array_get(v, i), level + 1, values, depth);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
        json_error_t e1, e2;
        json_t *plain = json_loadb((const char *)data, size, flags, &e1);
        json_t *bounded = json_load_bounded((const char *)data, size, flags, small, &e2);
        size_t values = 0;
        unsigned depth = 0;
        if (plain)
                measure(plain, 0, &values, &depth);
        bool within = plain && values <= small.values && depth <= small.depth;
        if (bounded && !plain)
                fuzz_fail("admitted what jansson refuses: %s", e1.text);
        if (bounded && !within)
                fuzz_fail("admitted %zu values, %u deep, past the bounds", values, depth);
        if (within && !bounded)
                fuzz_fail("refused %zu values, %u deep, within the bounds: %s", values, depth, e2.text);
        if (!bounded && plain && !strstr(e2.text, "too many values") && !strstr(e2.text, "nested deeper"))
                fuzz_fail("a refusal on the bounds that does not say which: %s", e2.text);
        json_decref(plain);
        json_decref(bounded);
        return 0;
}
