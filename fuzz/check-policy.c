/* Invariants of a policy, written independently of policy.c.
 *
 * A fuzzer that only waits for crashes finds memory bugs; these checks let
 * it find semantic ones too: a loader that accepts what it should refuse,
 * or a canonical form that does not mean what the policy means (the audit
 * digest is computed from it). The rules are restated from the man page
 * rather than shared with policy.c, so that a mistake there is not
 * repeated here. */
#include "check-policy.h"

#include <string.h>

#include "basic/limits.h"
#include "fuzz.h"

void check_error(int r, const ward_error *err) {
        if (r >= 0)
                fuzz_fail("check_error called with r=%d", r);
        if (err->code != r)
                fuzz_fail("returned %d but err.code is %d (%s)", r, err->code, err->msg);
        if (err->msg[0] == '\0')
                fuzz_fail("error %d without a message", r);
        if (strnlen(err->msg, sizeof err->msg) >= sizeof err->msg)
                fuzz_fail("error message not terminated");
        if (strpbrk(err->msg, "\r\n"))
                fuzz_fail("error message is not one line: %s", err->msg);
}

static void check_range(const char *key, uint64_t v, uint64_t min, uint64_t max) {
        if (v < min || v > max)
                fuzz_fail("%s=%llu is outside [%llu, %llu]", key, (unsigned long long)v, (unsigned long long)min,
                          (unsigned long long)max);
}

/* Absolute, at most WARD_PATH_MAX bytes, no control characters, no empty,
 * "." or ".." component, as the man page says. It does not forbid a
 * trailing slash, so neither does this; the checks on mount targets below
 * see through one instead ("/etc/" is "/etc"). */
static bool path_ok(const char *s) {
        size_t len = strlen(s);
        if (len == 0 || len > WARD_PATH_MAX || s[0] != '/')
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        for (size_t i = 1; i < len;) {
                size_t n = strcspn(s + i, "/");
                if (n == 0 || (n == 1 && s[i] == '.') || (n == 2 && s[i] == '.' && s[i + 1] == '.'))
                        return false;
                i += n + 1;
        }
        return true;
}

/* Length of a path without its trailing slash, if it has one: "/x/" and
 * "/x" name the same directory. */
static size_t path_len(const char *s) {
        size_t len = strlen(s);
        return len > 1 && s[len - 1] == '/' ? len - 1 : len;
}

/* "/", "/etc", or /proc, /dev, /sys or anything under them, however the
 * target is spelled: a trailing slash names the same directory. */
static bool reserved_target(const char *t) {
        static const char *const exact[] = {"/", "/etc"};
        static const char *const trees[] = {"/proc", "/dev", "/sys"};
        size_t len = path_len(t);
        for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
                if (len == strlen(exact[i]) && memcmp(t, exact[i], len) == 0)
                        return true;
        for (size_t i = 0; i < sizeof trees / sizeof trees[0]; i++) {
                size_t n = strlen(trees[i]);
                if (len >= n && memcmp(t, trees[i], n) == 0 && (len == n || t[n] == '/'))
                        return true;
        }
        return false;
}

static bool env_name_ok(const char *nv, size_t name_len) {
        if (name_len == 0)
                return false;
        for (size_t i = 0; i < name_len; i++) {
                char c = nv[i];
                bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
                if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
                        return false;
        }
        return true;
}

void check_policy(const policy *p) {
        check_range("memory", p->memory, WARD_MEMORY_MIN, WARD_MEMORY_MAX);
        check_range("cpu_time", p->cpu_time_ms, WARD_TIME_MIN_MS, WARD_TIME_MAX_MS);
        check_range("wall_time", p->wall_time_ms, WARD_TIME_MIN_MS, WARD_TIME_MAX_MS);
        check_range("pids", p->pids, WARD_PIDS_MIN, WARD_PIDS_MAX);
        check_range("file_size", p->file_size, 1, WARD_FILE_SIZE_MAX);
        check_range("disk", p->disk, WARD_DISK_MIN, WARD_DISK_MAX);
        check_range("output", p->output, 1, WARD_OUTPUT_MAX);
        check_range("max_violations", p->max_violations, 1, WARD_VIOLATIONS_MAX);
        if (p->output_mode != OUTPUT_MODE_STOP && p->output_mode != OUTPUT_MODE_TRUNCATE)
                fuzz_fail("output_mode=%d", (int)p->output_mode);
        if (p->name && strlen(p->name) > 128)
                fuzz_fail("name of %zu bytes", strlen(p->name));
        if (p->workdir && !path_ok(p->workdir))
                fuzz_fail("workdir '%s' is not clean", p->workdir);
        if (p->output_dir && !path_ok(p->output_dir))
                fuzz_fail("output_dir '%s' is not clean", p->output_dir);

        if (p->n_env > WARD_ENV_MAX)
                fuzz_fail("%zu env entries", p->n_env);
        for (size_t i = 0; i < p->n_env; i++) {
                const char *nv = p->env[i], *eq = strchr(nv, '=');
                if (!eq || !env_name_ok(nv, (size_t)(eq - nv)))
                        fuzz_fail("env entry '%.64s' is not NAME=VALUE", nv);
                if (strlen(nv) > WARD_ENV_ENTRY_MAX)
                        fuzz_fail("env entry '%.64s' of %zu bytes", nv, strlen(nv));
                size_t name_len = (size_t)(eq - nv) + 1;
                for (size_t j = 0; j < i; j++)
                        if (strncmp(p->env[j], nv, name_len) == 0)
                                fuzz_fail("env name '%.*s' twice", (int)(name_len - 1), nv);
        }

        if (p->n_mounts > WARD_MOUNTS_MAX)
                fuzz_fail("%zu mounts", p->n_mounts);
        for (size_t i = 0; i < p->n_mounts; i++) {
                const policy_mount *m = &p->mounts[i];
                if (!path_ok(m->source))
                        fuzz_fail("mount source '%s' is not clean", m->source);
                if (!path_ok(m->target))
                        fuzz_fail("mount target '%s' is not clean", m->target);
                if (reserved_target(m->target))
                        fuzz_fail("mount target '%s' is reserved", m->target);
        }
}

void check_validated(const policy *p) {
        for (size_t i = 0; i < p->n_mounts; i++)
                for (size_t j = 0; j < i; j++) {
                        const char *a = p->mounts[i].target, *b = p->mounts[j].target;
                        if (path_len(a) == path_len(b) && memcmp(a, b, path_len(a)) == 0)
                                fuzz_fail("policy_validate accepted mounts on '%s' and '%s'", b, a);
                }
}

static bool str_equal(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

bool policy_equal(const policy *a, const policy *b) {
        if (!str_equal(a->name, b->name) || a->memory != b->memory || a->cpu_time_ms != b->cpu_time_ms ||
            a->wall_time_ms != b->wall_time_ms || a->pids != b->pids || a->file_size != b->file_size ||
            a->disk != b->disk || a->output != b->output || a->output_mode != b->output_mode ||
            a->max_violations != b->max_violations || !str_equal(a->workdir, b->workdir) ||
            !str_equal(a->output_dir, b->output_dir) || a->allow_without_cgroups != b->allow_without_cgroups ||
            a->allow_without_landlock != b->allow_without_landlock || a->n_env != b->n_env ||
            a->n_mounts != b->n_mounts)
                return false;
        /* Names are unique (check_policy), so equal counts and every entry of
         * a found in b make the sets equal. */
        for (size_t i = 0; i < a->n_env; i++) {
                bool found = false;
                for (size_t j = 0; j < b->n_env && !found; j++)
                        found = strcmp(a->env[i], b->env[j]) == 0;
                if (!found)
                        return false;
        }
        for (size_t i = 0; i < a->n_mounts; i++)
                if (strcmp(a->mounts[i].source, b->mounts[i].source) != 0 ||
                    strcmp(a->mounts[i].target, b->mounts[i].target) != 0 || a->mounts[i].rw != b->mounts[i].rw)
                        return false;
        return true;
}

static char *canonical_text(const policy *p) {
        json_t *j = policy_to_json(p);
        if (!j)
                fuzz_fail("policy_to_json returned NULL");
        char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
        json_decref(j);
        if (!text)
                fuzz_fail("the canonical JSON could not be written");
        return text;
}

void check_round_trip(const policy *p) {
        char *text = canonical_text(p);
        policy q;
        ward_error err = {0};
        policy_init_default(&q);
        int r = policy_apply_json(&q, text, strlen(text), "canonical", &err);
        if (r < 0)
                fuzz_fail("the canonical JSON is refused: %s; it was: %.2000s", err.msg, text);
        if (!policy_equal(p, &q))
                fuzz_fail("the canonical JSON means another policy: %.2000s", text);
        char *again = canonical_text(&q);
        if (strcmp(text, again) != 0)
                fuzz_fail("canonical JSON not stable: '%.1000s' became '%.1000s'", text, again);
        char da[DIGEST_HEX_LEN], db[DIGEST_HEX_LEN];
        policy_digest(p, da);
        policy_digest(&q, db);
        if (strcmp(da, db) != 0)
                fuzz_fail("digest changed over the round trip");
        /* A copy is the same policy, and its own: anything it shared with
         * q would be freed twice (ASan says so in a fuzzing build). */
        policy c;
        if (policy_copy(&q, &c) < 0)
                fuzz_fail("policy_copy failed");
        if (!policy_equal(&q, &c))
                fuzz_fail("policy_copy gave another policy");
        policy_digest(&c, db);
        policy_free(&c);
        if (strcmp(da, db) != 0)
                fuzz_fail("policy_copy gave another digest");
        free(again);
        free(text);
        policy_free(&q);
}
