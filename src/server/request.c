/* API bodies to typed requests (see request.h). */
#include "server/request.h"

#include <errno.h>
#include <inttypes.h>
#include <nettle/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/limits.h"
#include "basic/parse.h"
#include "basic/strv.h"
#include "exec/files.h"
#include "exec/lang.h"
#include "exec/session.h"
#include "net/rules.h"

/* Every key of obj must be one of allowed[]. */
static int known_keys(const json_t *obj, const char *const *allowed, const char *prefix, ward_error *e) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)obj, key, v) {
                bool ok = false;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = strcmp(*a, key) == 0;
                if (!ok) {
                        char field[64];
                        snprintf(field, sizeof field, "%s%s", prefix, key);
                        return err_set_at(e, -EINVAL, "unknown_field", field, "%s: unknown field", field);
                }
        }
        return 0;
}

static int get_string(const json_t *obj, const char *key, const char **ret, size_t *ret_len, ward_error *e) {
        json_t *v = json_object_get(obj, key);
        *ret = NULL;
        if (!v)
                return 0;
        if (!json_is_string(v))
                return err_set_at(e, -EINVAL, "invalid_field", key, "%s: must be a string", key);
        *ret = json_string_value(v);
        if (ret_len)
                *ret_len = json_string_length(v);
        return 0;
}

static int get_duration(const json_t *obj, const char *key, const char *field, uint64_t *ret, ward_error *e) {
        json_t *v = json_object_get(obj, key);
        if (!v)
                return 0;
        char text[32];
        if (json_is_integer(v) && json_integer_value(v) > 0)
                snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        else if (json_is_string(v))
                snprintf(text, sizeof text, "%s", json_string_value(v));
        else
                return err_set_at(e, -EINVAL, "invalid_field", field,
                                  "%s: must be a duration such as \"10s\" or \"500ms\"", field);
        uint64_t ms;
        if (parse_duration_ms(text, &ms) < 0 || ms == 0)
                return err_set_at(e, -EINVAL, "invalid_field", field, "%s: '%s' is not a duration such as \"10s\"",
                                  field, text);
        *ret = ms;
        return 0;
}

/* "limits": each key set on the policy, then checked against the tier. */
static int apply_limits(const json_t *limits, const policy *tier, policy *p, const char *const *allowed,
                        ward_error *e) {
        if (!limits)
                return 0;
        if (!json_is_object(limits))
                return err_set_at(e, -EINVAL, "invalid_field", "limits", "limits: must be an object");
        int r = known_keys(limits, allowed, "limits.", e);
        if (r < 0)
                return r;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)limits, key, v) {
                char field[64], text[64];
                snprintf(field, sizeof field, "limits.%s", key);
                if (json_is_integer(v) && json_integer_value(v) >= 0)
                        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
                else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1e9)
                        snprintf(text, sizeof text, "%.3f", json_real_value(v)); /* cpu_rate's 0.5 */
                else if (json_is_string(v) && json_string_length(v) < sizeof text)
                        snprintf(text, sizeof text, "%s", json_string_value(v));
                else
                        return err_set_at(e, -EINVAL, "invalid_field", field, "%s: must be a string or a number",
                                          field);
                ward_error werr = {0};
                if (policy_set(p, key, text, &werr) < 0)
                        return err_set_at(e, -EINVAL, "invalid_field", field, "%s: %s", field, werr.msg);
        }
        return policy_within_tier(p, tier, e);
}

/* A copy of the tier, to apply a request's fields on. */
static int copy_tier(const policy *tier, policy *ret, ward_error *e) {
        if (policy_copy(tier, ret) < 0)
                return err_set_at(e, -ENOMEM, "internal", NULL, "tier: out of memory");
        return 0;
}

/* TEXT (N bytes) as ENCODING ("utf-8" or NULL: as it is; "base64") into
 * a fresh buffer, NUL-terminated. -EINVAL for bad base64, -ENOMEM. */
static int decode_content(const char *text, size_t n, bool base64, char **ret, size_t *ret_len) {
        size_t len = base64 ? BASE64_DECODE_LENGTH(n) : n;
        char *out = malloc(len + 1);
        if (!out)
                return -ENOMEM;
        if (base64) {
                struct base64_decode_ctx ctx;
                base64_decode_init(&ctx);
                if (!base64_decode_update(&ctx, &len, (uint8_t *)out, n, text) || !base64_decode_final(&ctx)) {
                        free(out);
                        return -EINVAL;
                }
        } else {
                memcpy(out, text, n);
        }
        out[len] = '\0';
        *ret = out;
        *ret_len = len;
        return 0;
}

static int decode_file(const json_t *f, size_t i, req_file *out, ward_error *e) {
        char field[64];
        snprintf(field, sizeof field, "files[%zu]", i);
        if (!json_is_object(f))
                return err_set_at(e, -EINVAL, "invalid_field", field, "%s: must be an object", field);
        static const char *const keys[] = {"path", "content", "encoding", NULL};
        int r = known_keys(f, keys, "files[].", e);
        if (r < 0)
                return r;
        json_t *path = json_object_get(f, "path"), *content = json_object_get(f, "content");
        const char *enc = json_string_value(json_object_get(f, "encoding"));
        if (!json_is_string(path) || !json_is_string(content))
                return err_set_at(e, -EINVAL, "invalid_field", field, "%s: needs \"path\" and \"content\" strings",
                                  field);
        ward_error werr = {0};
        if (files_check_path(json_string_value(path), false, &werr) < 0)
                return err_set_at(e, -EINVAL, "invalid_field", field, "%s.%s", field, werr.msg);
        if (enc && strcmp(enc, "utf-8") != 0 && strcmp(enc, "base64") != 0)
                return err_set_at(e, -EINVAL, "invalid_field", field, "%s.encoding: must be \"utf-8\" or \"base64\"",
                                  field);
        out->path = strdup(json_string_value(path));
        r = decode_content(json_string_value(content), json_string_length(content), enc && strcmp(enc, "base64") == 0,
                           &out->data, &out->len);
        if (r == -EINVAL)
                return err_set_at(e, -EINVAL, "invalid_field", field, "%s.content: not valid base64", field);
        if (!out->path || r < 0)
                return err_set_at(e, -ENOMEM, "unavailable", NULL, "out of memory");
        return 0;
}

/* "network": {"allow": [RULE, ...]}: destinations out of the tier's own
 * allowlist, each written as the tier writes it; none (or []) is no
 * network at all. The tier's deny rules stay. */
static int apply_network(const json_t *net, const policy *tier, policy *p, ward_error *e) {
        if (!net)
                return 0;
        static const char *const keys[] = {"allow", NULL};
        int r;
        if (!json_is_object(net))
                return err_set_at(e, -EINVAL, "invalid_field", "network", "network: must be an object");
        if ((r = known_keys(net, keys, "network.", e)) < 0)
                return r;
        json_t *allow = json_object_get(net, "allow");
        if (allow && (!json_is_array(allow) || json_array_size(allow) > NET_RULES_MAX))
                return err_set_at(e, -EINVAL, "invalid_field", "network.allow",
                                  "network.allow: must be an array of at most %u rules", NET_RULES_MAX);
        ward_error werr = {0};
        (void)policy_set_net(p, "none", &werr);
        for (size_t i = 0; i < tier->net.n_deny; i++)
                if (policy_add_net_rule(p, true, tier->net.deny[i], &werr) < 0)
                        return err_set_at(e, werr.code, "internal", NULL, "tier: %s", werr.msg);
        for (size_t i = 0; allow && i < json_array_size(allow); i++) {
                char field[48];
                snprintf(field, sizeof field, "network.allow[%zu]", i);
                const char *rule = json_string_value(json_array_get(allow, i));
                if (!rule)
                        return err_set_at(e, -EINVAL, "invalid_field", field, "%s: must be a string", field);
                bool in_tier = false;
                for (size_t j = 0; tier->net.mode == NET_MODE_ALLOWLIST && j < tier->net.n_allow && !in_tier; j++)
                        in_tier = strcmp(tier->net.allow[j], rule) == 0;
                if (!in_tier)
                        return err_set_at(e, -EPERM, "over_tier", field,
                                          "%s: '%.200s' is not among the destinations this tenant's tier allows", field,
                                          rule);
                if (policy_add_net_rule(p, false, rule, &werr) < 0)
                        return err_set_at(e, -EINVAL, "invalid_field", field, "%s: %s", field, werr.msg);
                p->net.mode = NET_MODE_ALLOWLIST;
        }
        return 0;
}

static const char *const limit_keys[] = {"wall_time", "cpu_time", "memory",   "disk", "file_size",
                                         "output",    "pids",     "cpu_rate", NULL};

int request_run(const json_t *body, const policy *tier, run_request *ret, ward_error *e) {
        memset(ret, 0, sizeof *ret);
        int r = copy_tier(tier, &ret->policy, e);
        if (r < 0)
                return r;
        static const char *const keys[] = {"language",       "code",   "argv", "files",   "stdin",
                                           "stdin_encoding", "limits", "env",  "network", NULL};
        if ((r = known_keys(body, keys, "", e)) < 0)
                return r;
        const char *language, *code, *in, *in_enc;
        size_t code_len = 0, in_len = 0;
        if ((r = get_string(body, "language", &language, NULL, e)) < 0 ||
            (r = get_string(body, "code", &code, &code_len, e)) < 0 ||
            (r = get_string(body, "stdin", &in, &in_len, e)) < 0 ||
            (r = get_string(body, "stdin_encoding", &in_enc, NULL, e)) < 0)
                return r;
        if (in_enc && strcmp(in_enc, "utf-8") != 0 && strcmp(in_enc, "base64") != 0)
                return err_set_at(e, -EINVAL, "invalid_field", "stdin_encoding",
                                  "stdin_encoding: must be \"utf-8\" or \"base64\"");
        if (in_enc && !in)
                return err_set_at(e, -EINVAL, "invalid_field", "stdin_encoding", "stdin_encoding: there is no stdin");
        json_t *argv = json_object_get(body, "argv");
        if (argv && language)
                return err_set_at(e, -EINVAL, "invalid_field", "argv", "argv: give either argv or language, not both");
        if (!argv && !language)
                return err_set_at(e, -EINVAL, "invalid_field", "language", "language: missing (or give argv)");
        if (language) {
                if (!lang_find(language))
                        return err_set_at(e, -EINVAL, "invalid_field", "language", "language: unknown '%s' (known: %s)",
                                          language, lang_names());
                if (!code)
                        return err_set_at(e, -EINVAL, "invalid_field", "code", "code: missing");
                snprintf(ret->language, sizeof ret->language, "%s", lang_find(language)->name);
        }
        if (code_len > WARD_CODE_MAX)
                return err_set_at(e, -E2BIG, "too_large", "code", "code: larger than %u bytes", WARD_CODE_MAX);
        if (argv) {
                if (!json_is_array(argv) || json_array_size(argv) == 0 || json_array_size(argv) > WARD_ARGV_MAX)
                        return err_set_at(e, -EINVAL, "invalid_field", "argv",
                                          "argv: must be an array of 1 to %u strings", WARD_ARGV_MAX);
                ret->argc = json_array_size(argv);
                ret->argv = calloc(ret->argc + 1, sizeof *ret->argv);
                if (!ret->argv)
                        return err_set_at(e, -ENOMEM, "unavailable", NULL, "out of memory");
                for (size_t i = 0; i < ret->argc; i++) {
                        json_t *a = json_array_get(argv, i);
                        if (!json_is_string(a) || strlen(json_string_value(a)) != json_string_length(a))
                                return err_set_at(e, -EINVAL, "invalid_field", "argv",
                                                  "argv[%zu]: must be a string without NUL", i);
                        if (!(ret->argv[i] = strdup(json_string_value(a))))
                                return err_set_at(e, -ENOMEM, "unavailable", NULL, "out of memory");
                }
        }
        if (code && !(ret->code = malloc(code_len + 1)))
                return err_set_at(e, -ENOMEM, "unavailable", NULL, "out of memory");
        if (code) {
                memcpy(ret->code, code, code_len);
                ret->code[code_len] = '\0';
                ret->code_len = code_len;
        }
        if (in) {
                bool base64 = in_enc && strcmp(in_enc, "base64") == 0;
                r = decode_content(in, in_len, base64, &ret->stdin_data, &ret->stdin_len);
                if (r == -EINVAL)
                        return err_set_at(e, -EINVAL, "invalid_field", "stdin", "stdin: not valid base64");
                if (r < 0)
                        return err_set_at(e, -ENOMEM, "unavailable", NULL, "out of memory");
                if (ret->stdin_len > WARD_CODE_MAX)
                        return err_set_at(e, -E2BIG, "too_large", "stdin", "stdin: larger than %u bytes",
                                          WARD_CODE_MAX);
        }
        json_t *files = json_object_get(body, "files");
        if (files) {
                if (!json_is_array(files) || json_array_size(files) > WARD_RUN_FILES_MAX)
                        return err_set_at(e, -EINVAL, "invalid_field", "files",
                                          "files: must be an array of at most %u files", WARD_RUN_FILES_MAX);
                if (!ret->language[0] || strcmp(ret->language, "sh") == 0)
                        return err_set_at(e, -EINVAL, "invalid_field", "files",
                                          "files: need a language with a driver (%s), not argv", session_languages());
                ret->files = calloc(json_array_size(files) + 1, sizeof *ret->files);
                if (!ret->files)
                        return err_set_at(e, -ENOMEM, "unavailable", NULL, "out of memory");
                for (size_t i = 0; i < json_array_size(files); i++) {
                        ret->n_files = i + 1;
                        if ((r = decode_file(json_array_get(files, i), i, &ret->files[i], e)) < 0)
                                return r;
                }
        }
        json_t *env = json_object_get(body, "env");
        if (env) {
                if (!json_is_object(env))
                        return err_set_at(e, -EINVAL, "invalid_field", "env", "env: must be an object of strings");
                const char *k;
                json_t *v;
                json_object_foreach(env, k, v) {
                        char field[64];
                        snprintf(field, sizeof field, "env.%s", k);
                        if (!json_is_string(v))
                                return err_set_at(e, -EINVAL, "invalid_field", field, "%s: must be a string", field);
                        size_t n = strlen(k) + json_string_length(v) + 2;
                        _cleanup_free_ char *nv = malloc(n);
                        if (!nv)
                                return err_set_at(e, -ENOMEM, "unavailable", NULL, "out of memory");
                        snprintf(nv, n, "%s=%s", k, json_string_value(v));
                        ward_error werr = {0};
                        if (policy_add_env(&ret->policy, nv, &werr) < 0)
                                return err_set_at(e, -EINVAL, "invalid_field", field, "%s: %s", field, werr.msg);
                }
        }
        if ((r = apply_network(json_object_get(body, "network"), tier, &ret->policy, e)) < 0)
                return r;
        return apply_limits(json_object_get(body, "limits"), tier, &ret->policy, limit_keys, e);
}

void run_request_free(run_request *r) {
        policy_free(&r->policy);
        strv_free(r->argv);
        for (size_t i = 0; i < r->n_files; i++) {
                free(r->files[i].path);
                free(r->files[i].data);
        }
        free(r->files);
        free(r->code);
        free(r->stdin_data);
        memset(r, 0, sizeof *r);
}

int request_session(const json_t *body, const policy *tier, session_request *ret, ward_error *e) {
        memset(ret, 0, sizeof *ret);
        int r = copy_tier(tier, &ret->policy, e);
        if (r < 0)
                return r;
        static const char *const keys[] = {"language", "tier", "idle_timeout", "max_lifetime", "limits", NULL};
        if ((r = known_keys(body, keys, "", e)) < 0)
                return r;
        const char *language, *tier_name;
        if ((r = get_string(body, "language", &language, NULL, e)) < 0 ||
            (r = get_string(body, "tier", &tier_name, NULL, e)) < 0)
                return r;
        if (!language)
                return err_set_at(e, -EINVAL, "invalid_field", "language", "language: missing (one of %s)",
                                  session_languages());
        if (!session_language_ok(language))
                return err_set_at(e, -EINVAL, "invalid_field", "language",
                                  "language: unknown '%s' (sessions support %s)", language, session_languages());
        snprintf(ret->language, sizeof ret->language, "%s", language);
        if (tier_name && strcmp(tier_name, tier->name ? tier->name : "default") != 0)
                return err_set_at(e, -EPERM, "forbidden", "tier", "tier: this tenant may use only '%s'",
                                  tier->name ? tier->name : "default");
        /* The tier bounds a session's time as it bounds a run's: what is
         * not asked is the tier's own bound (or the default, if lower),
         * and more than the tier's is refused. */
        ret->idle_timeout_ms = tier->session_idle_ms < WARD_SESSION_IDLE_DEFAULT_MS ? tier->session_idle_ms
                                                                                    : WARD_SESSION_IDLE_DEFAULT_MS;
        ret->max_lifetime_ms = tier->session_lifetime_ms < WARD_SESSION_LIFETIME_DEFAULT_MS
                                       ? tier->session_lifetime_ms
                                       : WARD_SESSION_LIFETIME_DEFAULT_MS;
        if ((r = get_duration(body, "idle_timeout", "idle_timeout", &ret->idle_timeout_ms, e)) < 0 ||
            (r = get_duration(body, "max_lifetime", "max_lifetime", &ret->max_lifetime_ms, e)) < 0)
                return r;
        if (ret->max_lifetime_ms > WARD_SESSION_LIFETIME_MAX_MS)
                return err_set_at(e, -EINVAL, "invalid_field", "max_lifetime", "max_lifetime: at most 24h");
        if (ret->max_lifetime_ms > tier->session_lifetime_ms)
                return err_set_at(e, -EPERM, "over_tier", "max_lifetime",
                                  "max_lifetime: above what this tenant's tier allows (%" PRIu64 " s)",
                                  tier->session_lifetime_ms / 1000);
        /* An idle timeout past the lifetime is the lifetime. */
        if (ret->idle_timeout_ms > ret->max_lifetime_ms)
                ret->idle_timeout_ms = ret->max_lifetime_ms;
        if (ret->idle_timeout_ms > tier->session_idle_ms)
                return err_set_at(e, -EPERM, "over_tier", "idle_timeout",
                                  "idle_timeout: above what this tenant's tier allows (%" PRIu64 " s)",
                                  tier->session_idle_ms / 1000);
        static const char *const session_limits[] = {"memory", "disk", "pids", "file_size", "output", "cpu_rate", NULL};
        if ((r = apply_limits(json_object_get(body, "limits"), tier, &ret->policy, session_limits, e)) < 0)
                return r;
        /* Between cells, the CPU the session's processes may use before
         * it is ended: what one cell may use. */
        ret->idle_cpu_ms = tier->cpu_time_ms;
        /* The sandbox lives as long as the session may; its CPU over that
         * life is bounded by the same span (each cell has its own limit). */
        ret->policy.wall_time_ms = ret->max_lifetime_ms + 60000;
        ret->policy.cpu_time_ms = ret->max_lifetime_ms;
        return 0;
}

int request_cell(const json_t *body, const policy *tier, cell_request *ret, ward_error *e) {
        memset(ret, 0, sizeof *ret);
        static const char *const keys[] = {"code", "timeout", "cpu_time", NULL};
        int r = known_keys(body, keys, "", e);
        if (r < 0)
                return r;
        if ((r = get_string(body, "code", &ret->code, &ret->code_len, e)) < 0)
                return r;
        if (!ret->code)
                return err_set_at(e, -EINVAL, "invalid_field", "code", "code: missing");
        if (ret->code_len > WARD_CODE_MAX)
                return err_set_at(e, -E2BIG, "too_large", "code", "code: larger than %u bytes", WARD_CODE_MAX);
        ret->wall_ms = tier->wall_time_ms < WARD_CELL_WALL_DEFAULT_MS ? tier->wall_time_ms : WARD_CELL_WALL_DEFAULT_MS;
        ret->cpu_ms = tier->cpu_time_ms;
        if ((r = get_duration(body, "timeout", "timeout", &ret->wall_ms, e)) < 0 ||
            (r = get_duration(body, "cpu_time", "cpu_time", &ret->cpu_ms, e)) < 0)
                return r;
        if (ret->wall_ms > tier->wall_time_ms)
                return err_set_at(e, -EPERM, "over_tier", "timeout", "timeout: above what this tenant's tier allows");
        if (ret->cpu_ms > tier->cpu_time_ms)
                return err_set_at(e, -EPERM, "over_tier", "cpu_time", "cpu_time: above what this tenant's tier allows");
        return 0;
}

/* What a warm sandbox can serve: the tier's own limits, which were fixed
 * when it started (its cgroup, its tmpfs size, its rlimits, its env);
 * time and output are per request. */
bool request_pool_fits(const policy *p, const policy *tier) {
        return p->memory == tier->memory && p->pids == tier->pids && p->disk == tier->disk &&
               p->file_size == tier->file_size && p->n_env == tier->n_env && p->net.mode == tier->net.mode &&
               p->net.mode == NET_MODE_NONE && p->n_mounts == 0 && !p->workdir && !p->output_dir &&
               p->cpu_rate_milli == tier->cpu_rate_milli;
}

int request_pool_policy(const policy *tier, policy *ret) {
        if (policy_copy(tier, ret) < 0)
                return -ENOMEM;
        ret->wall_time_ms = WARD_SESSION_LIFETIME_MAX_MS + 60000;
        ret->cpu_time_ms = WARD_SESSION_LIFETIME_MAX_MS;
        return 0;
}
