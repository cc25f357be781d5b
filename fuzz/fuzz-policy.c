/* Fuzz target: the JSON policy loader, policy_apply_json().
 *
 * A policy file comes from whoever calls ward, so the loader must refuse
 * anything malformed or out of range with a message, and never crash or
 * leak. Beyond that, an accepted policy must hold only valid values
 * (check_policy), every env entry must be the one the file wrote, and its
 * canonical JSON, which the audit log digests, must mean the same policy
 * (check_round_trip). */
#include <string.h>

#include "basic/limits.h"
#include "check-policy.h"
#include "fuzz.h"
#include "policy/policy.h"

/* The file's "env" object, read again with jansson: each NAME: VALUE must
 * be in the policy as exactly NAME=VALUE. A key the loader splits or cuts
 * ("A=B", a key longer than it keeps) would give another variable. */
static void check_env_as_written(const uint8_t *data, size_t size, const policy *p) {
        json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
        json_t *env = root ? json_object_get(root, "env") : NULL;
        const char *key;
        json_t *v;
        json_object_foreach(env, key, v) {
                const char *value = json_string_value(v);
                size_t key_len = strlen(key);
                bool found = false;
                if (!value)
                        fuzz_fail("env.%.64s accepted with a value that is not a string", key);
                /* The entry's name is what precedes its first '=': "A=B=C"
                 * is A with the value "B=C", whatever key it came from. */
                for (size_t i = 0; i < p->n_env && !found; i++)
                        found = strcspn(p->env[i], "=") == key_len && strncmp(p->env[i], key, key_len) == 0 &&
                                strcmp(p->env[i] + key_len + 1, value) == 0;
                if (!found)
                        fuzz_fail("env key '%.64s' was accepted but is not in the policy as written", key);
        }
        json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        policy p;
        ward_error err = {0};
        /* policy_load_file refuses larger files before the loader sees them. */
        if (size > WARD_POLICY_FILE_MAX)
                return 0;
        policy_init_default(&p);
        int r = policy_apply_json(&p, (const char *)data, size, "fuzz.json", &err);
        if (r < 0) {
                check_error(r, &err);
                /* The keys before the bad one were applied; each was checked
                 * on its own, so what is there must still be valid. */
                check_policy(&p);
        } else {
                check_policy(&p);
                check_env_as_written(data, size, &p);
                /* Host checks: stat() of the paths, so the result depends on
                 * this machine; only that it fails properly is checked. */
                r = policy_validate(&p, &err);
                if (r < 0)
                        check_error(r, &err);
                else
                        check_validated(&p);
                check_round_trip(&p);
        }
        policy_free(&p);
        return 0;
}
