/* Who may send the HTTP front a body: the parent's word on tokens.
 *
 * A client without a valid token must not make ward read, hold or parse
 * its body: the front refuses it (401) from the headers alone, before a
 * byte of the body. The parent decides who a token is; it sends the front
 * a FRAME_AUTH when the front starts and after each reload: {"open": true}
 * when the server takes no tokens (no --config), or {"tokens": [...]}, the
 * hex SHA-256 of each tenant's token (a front sees every token in clear
 * as it passes, so their hashes give it nothing more). Until the first
 * FRAME_AUTH the front knows no token and serves no body (fail closed).
 * The parent still authenticates every request itself. */
#include "server/front-internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "basic/digest.h"
#include "basic/jsontext.h"

static struct {
        pthread_mutex_t lock;
        bool known; /* a FRAME_AUTH came */
        bool open;  /* no tokens: every request may send its body */
        size_t n;
        char (*hashes)[DIGEST_HEX_LEN];
} auth = {.lock = PTHREAD_MUTEX_INITIALIZER};

int front_auth_update(const frame *f) {
        json_error_t jerr;
        _cleanup_json_ json_t *doc =
                json_load_bounded(f->json, f->hdr.json_len, JSON_REJECT_DUPLICATES, JSON_BOUNDS_INPUT, &jerr);
        json_t *tokens = json_object_get(doc, "tokens");
        bool open = json_is_true(json_object_get(doc, "open"));
        if (!json_is_object(doc) || (!open && (!json_is_array(tokens) || json_array_size(tokens) > WARD_TENANTS_MAX)))
                return -EBADMSG;
        size_t n = open ? 0 : json_array_size(tokens);
        char(*hashes)[DIGEST_HEX_LEN] = n ? calloc(n, sizeof *hashes) : NULL;
        if (n && !hashes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *h = json_string_value(json_array_get(tokens, i));
                if (!digest_hex_valid(h)) {
                        free(hashes);
                        return -EBADMSG;
                }
                memcpy(hashes[i], h, DIGEST_HEX_LEN);
        }
        pthread_mutex_lock(&auth.lock);
        free(auth.hashes);
        auth.hashes = hashes;
        auth.n = n;
        auth.open = open;
        auth.known = true;
        pthread_mutex_unlock(&auth.lock);
        return 0;
}

bool front_auth_known(const char *token) {
        char hash[DIGEST_HEX_LEN];
        bool have = token && token[0];
        if (have)
                digest_sha256_hex(token, strlen(token), hash);
        pthread_mutex_lock(&auth.lock);
        bool ok = auth.known && auth.open;
        for (size_t i = 0; have && !ok && i < auth.n; i++)
                ok = digest_hex_equal(hash, auth.hashes[i]);
        pthread_mutex_unlock(&auth.lock);
        return ok;
}

bool front_auth_ready(void) {
        pthread_mutex_lock(&auth.lock);
        bool known = auth.known;
        pthread_mutex_unlock(&auth.lock);
        return known;
}
