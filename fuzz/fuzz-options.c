/* Fuzz target: the setters behind the command-line options of ward run,
 * policy_set() (--memory, --cpu-time, --workdir, ...), policy_add_env()
 * (--env NAME=VALUE) and policy_add_mount() (--ro/--rw HOST[:SANDBOX]).
 *
 * The input is a list of NUL-terminated strings taken in pairs, the way
 * argv holds them: a key, then its value. The key is "env", "ro", "rw", or
 * anything else, which goes to policy_set() as the policy key. Unlike the
 * command line, a failed option does not end the run: the next ones are
 * applied to what the failure left, which must be the policy as it was.
 * At the end the policy must hold only valid values and survive the trip
 * through its canonical JSON. */
#include <string.h>

#include "check-policy.h"
#include "fuzz.h"
#include "policy/policy.h"

/* Enough for every option the command line has, several times over; more
 * only makes each input slower. */
#define OPTIONS_MAX 128

/* A successful --env NAME=VALUE is in the policy exactly once, as given. */
static void check_env_added(const policy *p, const char *nv) {
        size_t name_len = strcspn(nv, "=") + 1, n = 0;
        bool exact = false;
        for (size_t i = 0; i < p->n_env; i++)
                if (strncmp(p->env[i], nv, name_len) == 0) {
                        n++;
                        exact = strcmp(p->env[i], nv) == 0;
                }
        if (n != 1 || !exact)
                fuzz_fail("--env '%.64s' accepted but is in the policy %zu times, %s", nv, n,
                          exact ? "as given" : "changed");
}

/* A successful --ro/--rw HOST[:SANDBOX] is the last mount, split at the
 * first colon, with the sandbox path defaulting to the host path. */
static void check_mount_added(const policy *p, size_t n_before, const char *spec, bool rw) {
        if (p->n_mounts != n_before + 1)
                fuzz_fail("--%s '%.64s' accepted but the mount count went from %zu to %zu", rw ? "rw" : "ro", spec,
                          n_before, p->n_mounts);
        const policy_mount *m = &p->mounts[n_before];
        size_t source_len = strcspn(spec, ":");
        const char *target = spec[source_len] ? spec + source_len + 1 : spec;
        if (m->rw != rw || strlen(m->source) != source_len || strncmp(m->source, spec, source_len) != 0 ||
            strcmp(m->target, target) != 0)
                fuzz_fail("--%s '%.64s' became source '%.64s' target '%.64s'", rw ? "rw" : "ro", spec, m->source,
                          m->target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        policy p;
        ward_error err = {0};
        /* One copy with a NUL after the last string, so that every string,
         * the last one included, is terminated. */
        char *buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        policy_init_default(&p);

        const char *end = buf + size;
        const char *s = buf;
        for (unsigned n = 0; n < OPTIONS_MAX && s < end; n++) {
                const char *key = s;
                s += strlen(s) + 1;
                if (s > end)
                        break;
                const char *value = s;
                s += strlen(s) + 1;

                /* A shallow copy is enough to see a change: a setter that
                 * replaced or freed a string, or moved an array, leaves this
                 * copy pointing at freed memory, which ASan reports. */
                const policy before = p;
                int r;
                if (strcmp(key, "env") == 0) {
                        r = policy_add_env(&p, value, &err);
                        if (r >= 0)
                                check_env_added(&p, value);
                } else if (strcmp(key, "ro") == 0 || strcmp(key, "rw") == 0) {
                        bool rw = key[1] == 'w';
                        r = policy_add_mount(&p, value, rw, &err);
                        if (r >= 0)
                                check_mount_added(&p, before.n_mounts, value, rw);
                } else {
                        r = policy_set(&p, key, value, &err);
                }
                if (r < 0) {
                        check_error(r, &err);
                        if (!policy_equal(&before, &p))
                                fuzz_fail("a failed '%.64s' changed the policy", key);
                }
        }

        check_policy(&p);
        int r = policy_validate(&p, &err);
        if (r < 0)
                check_error(r, &err);
        else
                check_validated(&p);
        check_round_trip(&p);
        policy_free(&p);
        free(buf);
        return 0;
}
