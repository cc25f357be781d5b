/* The audit record (see audit.h). */
#include "service/audit.h"

#include <errno.h>
#include <string.h>

#include "audit/audit.h"
#include "basic/cleanup.h"
#include "basic/digest.h"
#include "basic/jsontext.h"

/* The digest of what ran: the code, or the argv fed as each argument and
 * its NUL (so that `printf '%s\0' ARGS | sha256sum` gives the same). */
static int subject_digest(const service_audit_rec *rec, char out[DIGEST_HEX_LEN]) {
        if (rec->code) {
                digest_sha256_hex(rec->code, rec->code_len, out);
                return 0;
        }
        digest_ctx *dc = digest_new();
        if (!dc)
                return -ENOMEM;
        for (char *const *a = rec->argv; a && *a; a++)
                digest_add(dc, *a, strlen(*a) + 1);
        digest_finish(dc, out);
        return 0;
}

/* results[] and displays[] become the list of each bundle's types. */
static int name_rich_outputs(json_t *line) {
        static const char *const rich[] = {"results", "displays"};
        for (size_t i = 0; i < ELEMENTSOF(rich); i++) {
                json_t *arr = json_object_get(line, rich[i]);
                if (!arr)
                        continue;
                json_t *types = json_array();
                size_t k;
                json_t *bundle;
                json_array_foreach(arr, k, bundle) {
                        const char *mime;
                        json_t *v;
                        json_t *names = json_array();
                        json_object_foreach(bundle, mime, v) {
                                json_array_append_new(names, json_string(mime));
                        }
                        json_array_append_new(types, names);
                }
                if (!types || json_object_set_new(line, rich[i], types) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int service_audit(int fd, const service_audit_rec *rec, ward_error *err) {
        char policy_sha[DIGEST_HEX_LEN], subject_sha[DIGEST_HEX_LEN];
        _cleanup_json_ json_t *line = json_deep_copy(rec->doc);
        if (!line || policy_digest(rec->policy, policy_sha) < 0 || subject_digest(rec, subject_sha) < 0 ||
            name_rich_outputs(line) < 0)
                return err_set(err, -ENOMEM, "audit: out of memory while building the record");
        int bad = 0;
        if (rec->kind)
                bad |= json_object_set_new(line, "kind", json_string(rec->kind));
        if (rec->tenant)
                bad |= json_object_set_new(line, "tenant", json_string(rec->tenant));
        if (rec->session && rec->session[0])
                bad |= json_object_set_new(line, "session", json_string(rec->session));
        if (bad)
                return err_set(err, -ENOMEM, "audit: out of memory while building the record");
        return audit_append(fd, rec->max_len, line, policy_sha, rec->code ? "code_sha256" : "argv_sha256", subject_sha,
                            err);
}
