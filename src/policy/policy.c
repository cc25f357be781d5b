/* Policy defaults, JSON loading, command-line overrides and validation.
 *
 * Every value a user controls passes through one of the setters below, so
 * the JSON file and the command line share one set of checks and messages. */
#include "policy/policy.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/jsontext.h"
#include "net/rules.h"
#include "basic/limits.h"
#include "basic/parse.h"
#include "basic/utf8.h"

void policy_init_default(policy *p) {
        memset(p, 0, sizeof *p);
        p->memory = 512ull << 20;
        p->cpu_time_ms = 10 * 1000;
        p->wall_time_ms = 30 * 1000;
        p->pids = 64;
        p->file_size = 64ull << 20;
        p->disk = 256ull << 20;
        p->output = 1ull << 20;
        p->output_mode = OUTPUT_MODE_STOP;
        p->max_violations = 1000;
        p->cpu_rate_milli = WARD_CPU_RATE_DEFAULT_MILLI;
        p->session_idle_ms = WARD_SESSION_IDLE_DEFAULT_MS;
        p->session_lifetime_ms = WARD_SESSION_LIFETIME_DEFAULT_MS;
        p->net.max_connections = WARD_NET_CONNECTIONS_DEFAULT;
        p->net.max_bytes_out = WARD_NET_BYTES_OUT_DEFAULT;
        p->net.max_bytes_in = WARD_NET_BYTES_IN_DEFAULT;
}

static void free_strv(char ***v, size_t *n) {
        for (size_t i = 0; i < *n; i++)
                free((*v)[i]);
        free(*v);
        *v = NULL;
        *n = 0;
}

void policy_free(policy *p) {
        free(p->name);
        for (size_t i = 0; i < p->n_env; i++)
                free(p->env[i]);
        free(p->env);
        free(p->workdir);
        free(p->output_dir);
        for (size_t i = 0; i < p->n_mounts; i++) {
                free(p->mounts[i].source);
                free(p->mounts[i].target);
        }
        free(p->mounts);
        free_strv(&p->net.allow, &p->net.n_allow);
        free_strv(&p->net.deny, &p->net.n_deny);
        free_strv(&p->net.hosts, &p->net.n_hosts);
        memset(p, 0, sizeof *p);
}

static int copy_str(const char *s, char **ret) {
        *ret = s ? strdup(s) : NULL;
        return s && !*ret ? -ENOMEM : 0;
}

/* The n strings of v into a new array; *ret_n counts those copied, so that
 * a partial copy is freed like a whole one. */
static int copy_strv(char *const *v, size_t n, char ***ret_v, size_t *ret_n) {
        *ret_v = NULL;
        *ret_n = 0;
        if (n == 0)
                return 0;
        if (!(*ret_v = calloc(n, sizeof **ret_v)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++, (*ret_n)++)
                if (!((*ret_v)[i] = strdup(v[i])))
                        return -ENOMEM;
        return 0;
}

int policy_copy(const policy *src, policy *ret) {
        /* The scalars by value; every pointer is then replaced by a copy of
         * its own (or NULL, until it is made), so that policy_free(&c)
         * frees what this function allocated and nothing of src. */
        policy c = *src;
        c.name = c.workdir = c.output_dir = NULL;
        c.mounts = NULL;
        c.n_mounts = 0;
        int r = 0;
        if (copy_str(src->name, &c.name) < 0 || copy_str(src->workdir, &c.workdir) < 0 ||
            copy_str(src->output_dir, &c.output_dir) < 0)
                r = -ENOMEM;
        if (copy_strv(src->env, src->n_env, &c.env, &c.n_env) < 0)
                r = -ENOMEM;
        if (copy_strv(src->net.allow, src->net.n_allow, &c.net.allow, &c.net.n_allow) < 0)
                r = -ENOMEM;
        if (copy_strv(src->net.deny, src->net.n_deny, &c.net.deny, &c.net.n_deny) < 0)
                r = -ENOMEM;
        if (copy_strv(src->net.hosts, src->net.n_hosts, &c.net.hosts, &c.net.n_hosts) < 0)
                r = -ENOMEM;
        if (r == 0 && src->n_mounts && !(c.mounts = calloc(src->n_mounts, sizeof *c.mounts)))
                r = -ENOMEM;
        for (size_t i = 0; r == 0 && i < src->n_mounts; i++, c.n_mounts++) {
                c.mounts[i].rw = src->mounts[i].rw;
                if (copy_str(src->mounts[i].source, &c.mounts[i].source) < 0 ||
                    copy_str(src->mounts[i].target, &c.mounts[i].target) < 0)
                        r = -ENOMEM;
        }
        if (r < 0) {
                policy_free(&c);
                return r;
        }
        *ret = c;
        return 0;
}

/* The keys of a policy, their kinds and ranges. */
typedef enum { K_SIZE, K_DURATION, K_COUNT, K_CORES } kind;
static const struct limit_key {
        const char *key;
        kind kind;
        size_t offset;
        uint64_t min, max;
} limit_keys[] = {
        {"memory", K_SIZE, offsetof(policy, memory), WARD_MEMORY_MIN, WARD_MEMORY_MAX},
        {"cpu_time", K_DURATION, offsetof(policy, cpu_time_ms), WARD_TIME_MIN_MS, WARD_TIME_MAX_MS},
        {"wall_time", K_DURATION, offsetof(policy, wall_time_ms), WARD_TIME_MIN_MS, WARD_TIME_MAX_MS},
        {"pids", K_COUNT, offsetof(policy, pids), WARD_PIDS_MIN, WARD_PIDS_MAX},
        {"file_size", K_SIZE, offsetof(policy, file_size), 1, WARD_FILE_SIZE_MAX},
        {"disk", K_SIZE, offsetof(policy, disk), WARD_DISK_MIN, WARD_DISK_MAX},
        {"output", K_SIZE, offsetof(policy, output), 1, WARD_OUTPUT_MAX},
        {"max_violations", K_COUNT, offsetof(policy, max_violations), 1, WARD_VIOLATIONS_MAX},
        {"cpu_rate", K_CORES, offsetof(policy, cpu_rate_milli), WARD_CPU_RATE_MIN_MILLI, WARD_CPU_RATE_MAX_MILLI},
        {"session_idle_timeout", K_DURATION, offsetof(policy, session_idle_ms), WARD_TIME_MIN_MS,
         WARD_SESSION_LIFETIME_MAX_MS},
        {"session_max_lifetime", K_DURATION, offsetof(policy, session_lifetime_ms), WARD_TIME_MIN_MS,
         WARD_SESSION_LIFETIME_MAX_MS},
};

/* The network limits, in the "network" object. */
static const struct net_limit_key {
        const char *key;
        kind kind;
        size_t offset;
        uint64_t max;
} net_limit_keys[] = {
        {"max_connections", K_COUNT, offsetof(policy_net, max_connections), WARD_NET_CONNECTIONS_MAX},
        {"max_bytes_out", K_SIZE, offsetof(policy_net, max_bytes_out), WARD_NET_BYTES_MAX},
        {"max_bytes_in", K_SIZE, offsetof(policy_net, max_bytes_in), WARD_NET_BYTES_MAX},
};

static const char *kind_hint(kind k) {
        switch (k) {
        case K_SIZE:
                return "a size such as 256M";
        case K_DURATION:
                return "a duration such as 5s or 1500ms";
        case K_CORES:
                return "a number of cores such as 1, 0.5 or 500m";
        default:
                return "a whole number";
        }
}

static int set_limit(policy *p, const struct limit_key *k, const char *value, ward_error *err) {
        uint64_t v;
        int r;
        switch (k->kind) {
        case K_SIZE:
                r = parse_size(value, &v);
                break;
        case K_DURATION:
                r = parse_duration_ms(value, &v);
                break;
        case K_CORES:
                r = parse_cpu_rate_milli(value, &v);
                break;
        default:
                r = parse_uint64(value, 0, UINT64_MAX, &v);
                break;
        }
        if (r == -EINVAL)
                return err_set(err, -EINVAL, "%s: '%s' is not %s", k->key, value, kind_hint(k->kind));
        if (r < 0 || v < k->min || v > k->max) {
                char lo[32], hi[32];
                if (k->kind == K_SIZE) {
                        format_size(k->min, lo, sizeof lo);
                        format_size(k->max, hi, sizeof hi);
                } else if (k->kind == K_DURATION) {
                        snprintf(lo, sizeof lo, "%llums", (unsigned long long)k->min);
                        snprintf(hi, sizeof hi, "%llus", (unsigned long long)(k->max / 1000));
                } else if (k->kind == K_CORES) {
                        format_cpu_rate(k->min, lo, sizeof lo);
                        format_cpu_rate(k->max, hi, sizeof hi);
                } else {
                        snprintf(lo, sizeof lo, "%llu", (unsigned long long)k->min);
                        snprintf(hi, sizeof hi, "%llu", (unsigned long long)k->max);
                }
                return err_set(err, -ERANGE, "%s: '%s' is out of range (%s to %s)", k->key, value, lo, hi);
        }
        *(uint64_t *)((char *)p + k->offset) = v;
        return 0;
}

static int over_tier(ward_error *err, const char *section, const char *key) {
        char field[WARD_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "%s.%s", section, key);
        return err_set_at(err, -EPERM, "over_tier", field, "%s: above what this tenant's tier allows", field);
}

int policy_within_tier(const policy *p, const policy *tier, ward_error *err) {
        for (size_t i = 0; i < ELEMENTSOF(limit_keys); i++) {
                size_t off = limit_keys[i].offset;
                if (*(const uint64_t *)((const char *)p + off) > *(const uint64_t *)((const char *)tier + off))
                        return over_tier(err, "limits", limit_keys[i].key);
        }
        for (size_t i = 0; i < ELEMENTSOF(net_limit_keys); i++) {
                size_t off = net_limit_keys[i].offset;
                if (*(const uint64_t *)((const char *)&p->net + off) >
                    *(const uint64_t *)((const char *)&tier->net + off))
                        return over_tier(err, "network", net_limit_keys[i].key);
        }
        return 0;
}

static int replace_str(char **slot, const char *value) {
        char *n = strdup(value);
        if (!n)
                return -ENOMEM;
        free(*slot);
        *slot = n;
        return 0;
}

/* Policy strings must be UTF-8 (utf8_valid): one that is not cannot be
 * written in the canonical JSON, so the digest would silently leave it
 * out. */
static bool text_ok(const char *s) {
        return utf8_valid(s, strlen(s));
}

/* An absolute path without "..", "." components, empty components, a
 * trailing slash or control characters, at most WARD_PATH_MAX bytes, in
 * UTF-8. One spelling per path: "/etc/" must not slip past the check for
 * "/etc", nor "/x/" past the check for two mounts on "/x". */
static bool path_is_clean(const char *s) {
        size_t len = strnlen(s, WARD_PATH_MAX + 1);
        if (len == 0 || len > WARD_PATH_MAX || s[0] != '/')
                return false;
        if (len > 1 && s[len - 1] == '/')
                return false;
        if (!text_ok(s))
                return false;
        for (const char *c = s; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        return false;
        const char *seg = s + 1;
        while (*seg) {
                const char *end = strchrnul(seg, '/');
                size_t n = (size_t)(end - seg);
                if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
                        return false;
                if (n == 0 && *end == '/')
                        return false;
                seg = *end ? end + 1 : end;
        }
        return true;
}

int policy_set(policy *p, const char *key, const char *value, ward_error *err) {
        for (size_t i = 0; i < ELEMENTSOF(limit_keys); i++)
                if (strcmp(key, limit_keys[i].key) == 0)
                        return set_limit(p, &limit_keys[i], value, err);
        if (strcmp(key, "output_mode") == 0) {
                if (strcmp(value, "stop") == 0)
                        p->output_mode = OUTPUT_MODE_STOP;
                else if (strcmp(value, "truncate") == 0)
                        p->output_mode = OUTPUT_MODE_TRUNCATE;
                else
                        return err_set(err, -EINVAL, "output_mode: '%s' is not 'stop' or 'truncate'", value);
                return 0;
        }
        if (strcmp(key, "network") == 0) {
                if (strcmp(value, "none") == 0)
                        p->net.mode = NET_MODE_NONE;
                else if (strcmp(value, "allowlist") == 0)
                        p->net.mode = NET_MODE_ALLOWLIST;
                else
                        return err_set(err, -EINVAL, "network.mode: '%.64s' is not 'none' or 'allowlist'", value);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(net_limit_keys); i++) {
                if (strcmp(key, net_limit_keys[i].key) != 0)
                        continue;
                uint64_t v;
                int r = net_limit_keys[i].kind == K_SIZE ? parse_size(value, &v)
                                                         : parse_uint64(value, 1, UINT64_MAX, &v);
                if (r < 0 || v < 1 || v > net_limit_keys[i].max)
                        return err_set(err, -EINVAL, "network.%s: '%.64s' is not a %s from 1 to %" PRIu64, key, value,
                                       net_limit_keys[i].kind == K_SIZE ? "size" : "count", net_limit_keys[i].max);
                *(uint64_t *)((char *)&p->net + net_limit_keys[i].offset) = v;
                return 0;
        }
        if (strcmp(key, "workdir") == 0 || strcmp(key, "output_dir") == 0) {
                if (!path_is_clean(value))
                        return err_set(err, -EINVAL, "%s: '%s' is not a clean absolute path", key, value);
                return replace_str(strcmp(key, "workdir") == 0 ? &p->workdir : &p->output_dir, value);
        }
        if (strcmp(key, "name") == 0) {
                if (strnlen(value, 129) > 128)
                        return err_set(err, -EINVAL, "name: longer than 128 bytes");
                if (!text_ok(value))
                        return err_set(err, -EINVAL, "name: not UTF-8");
                return replace_str(&p->name, value);
        }
        return err_set(err, -EINVAL, "unknown policy key '%s'", key);
}

int policy_add_env(policy *p, const char *nv, ward_error *err) {
        const char *eq = strchr(nv, '=');
        if (!eq || eq == nv)
                return err_set(err, -EINVAL, "env: '%.64s' is not NAME=VALUE", nv);
        for (const char *c = nv; c < eq; c++)
                if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '_' ||
                      (c > nv && *c >= '0' && *c <= '9')))
                        return err_set(err, -EINVAL, "env: '%.*s' is not a valid variable name",
                                       (int)(eq - nv > 64 ? 64 : eq - nv), nv);
        if (strnlen(nv, WARD_ENV_ENTRY_MAX + 1) > WARD_ENV_ENTRY_MAX)
                return err_set(err, -E2BIG, "env: '%.*s' is longer than %u bytes", (int)(eq - nv > 64 ? 64 : eq - nv),
                               nv, WARD_ENV_ENTRY_MAX);
        if (!text_ok(eq + 1))
                return err_set(err, -EINVAL, "env: the value of '%.*s' is not UTF-8",
                               (int)(eq - nv > 64 ? 64 : eq - nv), nv);
        size_t name_len = (size_t)(eq - nv);
        /* A later value for the same name replaces the earlier one, so that
         * the command line overrides the policy file. */
        for (size_t i = 0; i < p->n_env; i++)
                if (strncmp(p->env[i], nv, name_len + 1) == 0)
                        return replace_str(&p->env[i], nv);
        if (p->n_env >= WARD_ENV_MAX)
                return err_set(err, -E2BIG, "env: more than %u variables", WARD_ENV_MAX);
        char **n = realloc(p->env, (p->n_env + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        p->env = n;
        if (!(p->env[p->n_env] = strdup(nv)))
                return -ENOMEM;
        p->n_env++;
        return 0;
}

static int add_mount(policy *p, const char *source, const char *target, bool rw, ward_error *err) {
        const char *what = rw ? "rw" : "ro";
        if (!path_is_clean(source))
                return err_set(err, -EINVAL, "%s: source '%s' is not a clean absolute path", what, source);
        if (!path_is_clean(target))
                return err_set(err, -EINVAL, "%s: target '%s' is not a clean absolute path", what, target);
        static const char *const reserved[] = {"/proc", "/dev", "/sys"};
        if (strcmp(target, "/") == 0 || strcmp(target, "/etc") == 0)
                return err_set(err, -EINVAL, "%s: target '%s' is reserved", what, target);
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
                size_t n = strlen(reserved[i]);
                if (strncmp(target, reserved[i], n) == 0 && (target[n] == '\0' || target[n] == '/'))
                        return err_set(err, -EINVAL, "%s: target '%s' is under reserved %s", what, target, reserved[i]);
        }
        if (p->n_mounts >= WARD_MOUNTS_MAX)
                return err_set(err, -E2BIG, "%s: more than %u extra mounts", what, WARD_MOUNTS_MAX);
        policy_mount *n = realloc(p->mounts, (p->n_mounts + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        p->mounts = n;
        policy_mount *m = &p->mounts[p->n_mounts];
        m->source = strdup(source);
        m->target = strdup(target);
        m->rw = rw;
        if (!m->source || !m->target) {
                free(m->source);
                free(m->target);
                return -ENOMEM;
        }
        p->n_mounts++;
        return 0;
}

int policy_add_mount(policy *p, const char *spec, bool rw, ward_error *err) {
        _cleanup_free_ char *copy = strndup(spec, 2 * WARD_PATH_MAX + 2);
        if (!copy)
                return -ENOMEM;
        char *colon = strchr(copy, ':');
        const char *target = copy;
        if (colon) {
                *colon = '\0';
                target = colon + 1;
        }
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): copy is freed by _cleanup_free_, which the analyzer does not model
        return add_mount(p, copy, target, rw, err);
}

static int push_str(char ***v, size_t *n, size_t max, const char *value) {
        if (*n >= max)
                return -E2BIG;
        char **grown = realloc(*v, (*n + 1) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        *v = grown;
        if (!(grown[*n] = strdup(value)))
                return -ENOMEM;
        (*n)++;
        return 0;
}

int policy_add_net_rule(policy *p, bool deny, const char *rule, ward_error *err) {
        const char *list = deny ? "deny" : "allow";
        size_t *n = deny ? &p->net.n_deny : &p->net.n_allow;
        net_rule parsed;
        int r = net_rule_parse(rule, list, *n, &parsed, err);
        if (r < 0)
                return r;
        r = push_str(deny ? &p->net.deny : &p->net.allow, n, NET_RULES_MAX, rule);
        if (r == -E2BIG)
                return err_set(err, r, "network.%s: more than %u rules", list, NET_RULES_MAX);
        return r < 0 ? err_set(err, r, "out of memory") : 0;
}

int policy_add_host(policy *p, const char *spec, ward_error *err) {
        /* NAME:ADDRESS as docker's --add-host writes it (the address may
         * hold colons: IPv6), or NAME=ADDRESS. */
        const char *sep = strpbrk(spec, ":=");
        if (!sep || sep == spec || strnlen(spec, WARD_PATH_MAX + 1) > WARD_PATH_MAX)
                return err_set(err, -EINVAL, "hosts: '%.64s' is not NAME:ADDRESS", spec);
        char name[NET_NAME_MAX + 2];
        size_t len = (size_t)(sep - spec);
        if (len > NET_NAME_MAX)
                return err_set(err, -EINVAL, "hosts: '%.64s...' is longer than %u bytes", spec, NET_NAME_MAX);
        memcpy(name, spec, len);
        name[len] = '\0';
        net_rules *check = calloc(1, sizeof *check);
        if (!check)
                return err_set(err, -ENOMEM, "out of memory");
        int r = net_host_add(check, name, sep + 1, err);
        free(check);
        if (r < 0)
                return r;
        char entry[NET_NAME_MAX + INET6_ADDRSTRLEN + 2];
        snprintf(entry, sizeof entry, "%s=%s", name, sep + 1);
        /* A later entry for the same name replaces the earlier one. */
        for (size_t i = 0; i < p->net.n_hosts; i++)
                if (strncmp(p->net.hosts[i], entry, len + 1) == 0)
                        return replace_str(&p->net.hosts[i], entry) < 0 ? err_set(err, -ENOMEM, "out of memory") : 0;
        r = push_str(&p->net.hosts, &p->net.n_hosts, NET_HOSTS_MAX, entry);
        if (r == -E2BIG)
                return err_set(err, r, "hosts: more than %u entries", NET_HOSTS_MAX);
        return r < 0 ? err_set(err, r, "out of memory") : 0;
}

int policy_set_net(policy *p, const char *spec, ward_error *err) {
        if (strcmp(spec, "none") == 0) {
                /* --net none means none, whatever a policy file allowed. */
                p->net.mode = NET_MODE_NONE;
                free_strv(&p->net.allow, &p->net.n_allow);
                free_strv(&p->net.deny, &p->net.n_deny);
                return 0;
        }
        bool deny = strncmp(spec, "deny=", 5) == 0;
        if (!deny && strncmp(spec, "allow=", 6) != 0)
                return err_set(err, -EINVAL, "network: '%.64s' is not 'none', 'allow=RULE,...' or 'deny=RULE,...'",
                               spec);
        _cleanup_free_ char *list = strdup(spec + (deny ? 5 : 6));
        if (!list)
                return err_set(err, -ENOMEM, "out of memory");
        int r = 0;
        /* Empty items are rules too: "a,,b" names an empty rule, an error. */
        char *item = list;
        for (char *comma;; item = comma + 1) {
                comma = strchr(item, ',');
                if (comma)
                        *comma = '\0';
                if ((r = policy_add_net_rule(p, deny, item, err)) < 0)
                        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): list is freed by _cleanup_free_, which the analyzer does not model
                        return r;
                if (!comma)
                        break;
        }
        if (!deny)
                p->net.mode = NET_MODE_ALLOWLIST;
        return 0;
}

/* ---- JSON ---- */

static int want_string(json_t *v, const char *key, const char **ret, ward_error *err) {
        if (json_is_string(v)) {
                *ret = json_string_value(v);
                if (strlen(*ret) != json_string_length(v))
                        return err_set(err, -EINVAL, "%s: contains a NUL byte", key);
                return 0;
        }
        /* Not `return err_set(...)`: that err_set returns its negative code
         * is out of the static analyzer's sight, and every caller reads
         * *ret after a return >= 0. */
        err_set(err, -EINVAL, "%s: must be a string", key);
        return -EINVAL;
}

static int apply_limits(policy *p, json_t *obj, ward_error *err) {
        if (!json_is_object(obj))
                return err_set(err, -EINVAL, "limits: must be an object");
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v) {
                char num[32];
                const char *s = NULL;
                int r;
                if (json_is_integer(v)) {
                        json_int_t i = json_integer_value(v);
                        if (i < 0)
                                return err_set(err, -ERANGE, "limits.%s: must not be negative", key);
                        snprintf(num, sizeof num, "%lld", (long long)i);
                        s = num;
                } else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1e9) {
                        /* A fraction (cpu_rate's 0.5): to the thousandth,
                         * the finest any limit takes one. */
                        snprintf(num, sizeof num, "%.3f", json_real_value(v));
                        s = num;
                } else if (json_is_string(v)) {
                        s = json_string_value(v);
                } else {
                        return err_set(err, -EINVAL, "limits.%s: must be a string or a number", key);
                }
                if (strcmp(key, "output_mode") != 0) {
                        bool known = false;
                        for (size_t i = 0; i < ELEMENTSOF(limit_keys); i++)
                                known |= strcmp(key, limit_keys[i].key) == 0;
                        if (!known)
                                return err_set(err, -EINVAL, "limits: unknown key '%s'", key);
                }
                r = policy_set(p, key, s, err);
                if (r < 0)
                        return err_prefix(err, "limits");
        }
        return 0;
}

static int apply_net_list(policy *p, json_t *arr, bool deny, ward_error *err) {
        const char *list = deny ? "deny" : "allow";
        if (!json_is_array(arr))
                return err_set(err, -EINVAL, "network.%s: must be an array of rules", list);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
                const char *s;
                if (!json_is_string(v))
                        return err_set(err, -EINVAL, "network.%s[%zu]: must be a string", list, i);
                s = json_string_value(v);
                if (policy_add_net_rule(p, deny, s, err) < 0)
                        return err_prefix(err, "network");
        }
        return 0;
}

static int apply_network(policy *p, json_t *obj, ward_error *err) {
        if (!json_is_object(obj))
                return err_set(err, -EINVAL, "network: must be an object");
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v) {
                const char *s;
                int r;
                if (strcmp(key, "mode") == 0) {
                        if (want_string(v, "network.mode", &s, err) < 0 || policy_set(p, "network", s, err) < 0)
                                return err->code;
                } else if (strcmp(key, "allow") == 0 || strcmp(key, "deny") == 0) {
                        if ((r = apply_net_list(p, v, key[0] == 'd', err)) < 0)
                                return r;
                } else if (strcmp(key, "hosts") == 0) {
                        if (!json_is_object(v))
                                return err_set(err, -EINVAL, "network.hosts: must be an object of NAME: ADDRESS");
                        const char *name;
                        json_t *a;
                        json_object_foreach(v, name, a) {
                                char entry[NET_NAME_MAX + INET6_ADDRSTRLEN + 8];
                                if (!json_is_string(a))
                                        return err_set(err, -EINVAL, "network.hosts.%.64s: must be a string", name);
                                if (snprintf(entry, sizeof entry, "%s=%s", name, json_string_value(a)) >=
                                    (int)sizeof entry)
                                        return err_set(err, -EINVAL, "network.hosts.%.64s: too long", name);
                                if (strchr(name, '=') || strchr(name, ':'))
                                        return err_set(err, -EINVAL, "network.hosts: '%.64s' is not a valid name",
                                                       name);
                                if (policy_add_host(p, entry, err) < 0)
                                        return err_prefix(err, "network");
                        }
                } else if (json_is_integer(v) || json_is_string(v)) {
                        char num[32];
                        if (json_is_integer(v))
                                snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                        bool known = false;
                        for (size_t i = 0; i < ELEMENTSOF(net_limit_keys); i++)
                                known |= strcmp(key, net_limit_keys[i].key) == 0;
                        if (!known)
                                return err_set(err, -EINVAL, "network: unknown key '%.64s'", key);
                        if (policy_set(p, key, json_is_integer(v) ? num : json_string_value(v), err) < 0)
                                return err->code;
                } else {
                        return err_set(err, -EINVAL, "network: unknown key '%.64s' or wrong type", key);
                }
        }
        return 0;
}

static int apply_env(policy *p, json_t *obj, ward_error *err) {
        if (!json_is_object(obj))
                return err_set(err, -EINVAL, "env: must be an object of NAME: VALUE");
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v) {
                const char *s;
                if (want_string(v, "env value", &s, err) < 0)
                        return err_prefix(err, "env.%.64s", key);
                /* The key is the whole name: "A=B": "C" must not become A with
                 * the value "B=C". */
                if (strchr(key, '='))
                        return err_set(err, -EINVAL, "env: '%.64s' is not a valid variable name", key);
                size_t len = strlen(key) + strlen(s) + 2;
                if (len > WARD_ENV_ENTRY_MAX + 1)
                        return err_set(err, -E2BIG, "env.%.64s: longer than %u bytes", key, WARD_ENV_ENTRY_MAX);
                _cleanup_free_ char *nv = malloc(len);
                if (!nv)
                        return -ENOMEM;
                snprintf(nv, len, "%s=%s", key, s);
                if (policy_add_env(p, nv, err) < 0)
                        return err->code;
        }
        return 0;
}

static int apply_mounts(policy *p, json_t *arr, ward_error *err) {
        if (!json_is_array(arr))
                return err_set(err, -EINVAL, "mounts: must be an array");
        size_t i;
        json_t *m;
        json_array_foreach(arr, i, m) {
                const char *source = NULL, *target = NULL, *mode = "ro", *key;
                json_t *v;
                if (!json_is_object(m))
                        return err_set(err, -EINVAL, "mounts[%zu]: must be an object", i);
                json_object_foreach(m, key, v) {
                        const char **slot = strcmp(key, "source") == 0   ? &source
                                            : strcmp(key, "target") == 0 ? &target
                                            : strcmp(key, "mode") == 0   ? &mode
                                                                         : NULL;
                        if (!slot)
                                return err_set(err, -EINVAL, "mounts[%zu]: unknown key '%s'", i, key);
                        if (want_string(v, key, slot, err) < 0)
                                return err_prefix(err, "mounts[%zu]", i);
                }
                if (!source)
                        return err_set(err, -EINVAL, "mounts[%zu]: 'source' is required", i);
                if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
                        return err_set(err, -EINVAL, "mounts[%zu].mode: '%s' is not 'ro' or 'rw'", i, mode);
                if (add_mount(p, source, target ? target : source, mode[1] == 'w', err) < 0)
                        return err_prefix(err, "mounts[%zu]", i);
        }
        return 0;
}

static int apply_allow_without(policy *p, json_t *arr, ward_error *err) {
        if (!json_is_array(arr))
                return err_set(err, -EINVAL, "allow_without: must be an array of protection names");
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
                const char *s;
                if (want_string(v, "allow_without", &s, err) < 0)
                        return err_prefix(err, "allow_without[%zu]", i);
                if (strcmp(s, "cgroups") == 0)
                        p->allow_without_cgroups = true;
                else if (strcmp(s, "landlock") == 0)
                        p->allow_without_landlock = true;
                else
                        return err_set(err, -EINVAL,
                                       "allow_without[%zu]: '%s' is not a protection that may be missing "
                                       "(cgroups, landlock)",
                                       i, s);
        }
        return 0;
}

int policy_apply_json(policy *p, const char *text, size_t len, const char *origin, ward_error *err) {
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return err_set(err, -EINVAL, "%s:%d:%d: invalid JSON: %s", origin, jerr.line, jerr.column, jerr.text);
        int r = 0;
        const char *key;
        json_t *v;
        if (!json_is_object(root)) {
                r = err_set(err, -EINVAL, "%s: a policy must be a JSON object", origin);
                goto out;
        }
        json_object_foreach(root, key, v) {
                const char *s;
                if (strcmp(key, "version") == 0) {
                        if (!json_is_integer(v) || json_integer_value(v) != 1)
                                r = err_set(err, -EINVAL, "version: only version 1 is known");
                } else if (strcmp(key, "name") == 0 || strcmp(key, "workdir") == 0 || strcmp(key, "output_dir") == 0) {
                        r = want_string(v, key, &s, err);
                        if (r >= 0)
                                r = policy_set(p, key, s, err);
                } else if (strcmp(key, "limits") == 0) {
                        r = apply_limits(p, v, err);
                } else if (strcmp(key, "network") == 0) {
                        r = apply_network(p, v, err);
                } else if (strcmp(key, "env") == 0) {
                        r = apply_env(p, v, err);
                } else if (strcmp(key, "mounts") == 0) {
                        r = apply_mounts(p, v, err);
                } else if (strcmp(key, "allow_without") == 0) {
                        r = apply_allow_without(p, v, err);
                } else {
                        r = err_set(err, -EINVAL, "unknown key '%s'", key);
                }
                if (r < 0) {
                        err_prefix(err, "%s", origin);
                        goto out;
                }
        }
out:
        json_decref(root);
        return r;
}

int policy_load_file(policy *p, const char *path, ward_error *err) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = fd_read_file(path, WARD_POLICY_FILE_MAX, &text, &len);
        if (r == -EFBIG)
                return err_set(err, r, "policy %s: larger than %u bytes", path, WARD_POLICY_FILE_MAX);
        if (r < 0)
                return err_set(err, r, "policy %s: %s", path, r == -EINVAL ? "not a regular file" : strerror(-r));
        return policy_apply_json(p, text, len, path, err);
}

/* Host paths in a policy are opened without following symlinks: a
 * directory a sandbox could write (a --rw bind, the workdir) may hold a
 * link it planted for a later run to follow with ward's rights. */
static int check_host_path(const char *what, const char *path, bool want_dir, ward_error *err) {
        _cleanup_close_ int fd = fd_open_no_symlinks(path, O_PATH, 0);
        struct stat st;
        if (fd == -ELOOP)
                return err_set(err, fd,
                               "%s: '%s' goes through a symlink; ward follows no symlinks in the host paths it is "
                               "given (give the resolved path)",
                               what, path);
        if (fd < 0)
                return err_set(err, fd, "%s: '%s': %s", what, path, strerror(-fd));
        if (fstat(fd, &st) < 0)
                return err_set(err, -errno, "%s: '%s': %s", what, path, strerror(errno));
        if (want_dir && !S_ISDIR(st.st_mode))
                return err_set(err, -ENOTDIR, "%s: '%s' is not a directory", what, path);
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
                return err_set(err, -EINVAL, "%s: '%s' is neither a directory nor a regular file", what, path);
        return 0;
}

int policy_validate(const policy *p, ward_error *err) {
        int r;
        if (p->net.mode == NET_MODE_ALLOWLIST && p->net.n_allow == 0)
                return err_set(err, -EINVAL, "network: mode 'allowlist' needs at least one allow rule");
        if (p->net.mode == NET_MODE_NONE && (p->net.n_allow || p->net.n_deny))
                return err_set(err, -EINVAL,
                               "network: rules are given but the mode is 'none' (say \"mode\": "
                               "\"allowlist\")");
        if (p->workdir && (r = check_host_path("workdir", p->workdir, true, err)) < 0)
                return r;
        if (p->output_dir && (r = check_host_path("output_dir", p->output_dir, true, err)) < 0)
                return r;
        for (size_t i = 0; i < p->n_mounts; i++) {
                if ((r = check_host_path(p->mounts[i].rw ? "rw" : "ro", p->mounts[i].source, false, err)) < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(p->mounts[i].target, p->mounts[j].target) == 0)
                                return err_set(err, -EINVAL, "mount target '%s' is given twice", p->mounts[i].target);
        }
        return 0;
}

static json_t *strv_to_json(char **v, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_string(v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

/* "NAME=VALUE" strings (env, hosts) as one JSON object. A name may be as
 * long as its entry: a fixed buffer here would cut it, and the digest
 * would cover another name. */
static json_t *pairs_to_json(char **v, size_t n) {
        json_t *o = json_object();
        // NOLINTBEGIN(clang-analyzer-unix.Malloc): name is freed by _cleanup_free_, which the analyzer does not model
        for (size_t i = 0; o && i < n; i++) {
                const char *eq = strchr(v[i], '=');
                _cleanup_free_ char *name = strndup(v[i], (size_t)(eq - v[i]));
                if (!name || json_object_set_new(o, name, json_string(eq + 1)) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        // NOLINTEND(clang-analyzer-unix.Malloc)
        return o;
}

static json_t *net_to_json(const policy_net *n) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        int bad = 0;
        bad |= json_object_set_new(o, "mode", json_string(n->mode == NET_MODE_ALLOWLIST ? "allowlist" : "none"));
        bad |= json_object_set_new(o, "allow", strv_to_json(n->allow, n->n_allow));
        bad |= json_object_set_new(o, "deny", strv_to_json(n->deny, n->n_deny));
        bad |= json_object_set_new(o, "hosts", pairs_to_json(n->hosts, n->n_hosts));
        bad |= json_object_set_new(o, "max_connections", json_integer((json_int_t)n->max_connections));
        bad |= json_object_set_new(o, "max_bytes_out", json_integer((json_int_t)n->max_bytes_out));
        bad |= json_object_set_new(o, "max_bytes_in", json_integer((json_int_t)n->max_bytes_in));
        if (bad) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *policy_to_json(const policy *p) {
        json_t *root = json_object();
        if (!root)
                return NULL;
        /* Each container is attached at once: a failure anywhere below is
         * then one json_decref(root). */
        json_t *limits = json_object(), *mounts = json_array(), *allow = json_array();
        int bad = 0;
        bad |= json_object_set_new(root, "limits", limits);
        bad |= json_object_set_new(root, "mounts", mounts);
        bad |= json_object_set_new(root, "allow_without", allow);
        for (size_t i = 0; !bad && i < ELEMENTSOF(limit_keys); i++) {
                const uint64_t *v = (const uint64_t *)((const char *)p + limit_keys[i].offset);
                /* A bare number is seconds for a duration in a policy file, so
                 * the canonical form spells the milliseconds out: loaded
                 * again, it must give this policy back. */
                json_t *jv;
                if (limit_keys[i].kind == K_DURATION) {
                        jv = json_sprintf("%llums", (unsigned long long)*v);
                } else if (limit_keys[i].kind == K_CORES && *v % 1000 != 0) {
                        char rate[32];
                        format_cpu_rate(*v, rate, sizeof rate);
                        jv = json_string(rate);
                } else {
                        jv = json_integer((json_int_t)(limit_keys[i].kind == K_CORES ? *v / 1000 : *v));
                }
                bad |= json_object_set_new(limits, limit_keys[i].key, jv);
        }
        if (!bad)
                bad |= json_object_set_new(limits, "output_mode",
                                           json_string(p->output_mode == OUTPUT_MODE_STOP ? "stop" : "truncate"));
        for (size_t i = 0; !bad && i < p->n_mounts; i++)
                bad |= json_array_append_new(mounts,
                                             json_pack("{s:s, s:s, s:s}", "source", p->mounts[i].source, "target",
                                                       p->mounts[i].target, "mode", p->mounts[i].rw ? "rw" : "ro"));
        if (!bad && p->allow_without_cgroups)
                bad |= json_array_append_new(allow, json_string("cgroups"));
        if (!bad && p->allow_without_landlock)
                bad |= json_array_append_new(allow, json_string("landlock"));
        bad |= json_object_set_new(root, "version", json_integer(1));
        if (p->name)
                bad |= json_object_set_new(root, "name", json_string(p->name));
        bad |= json_object_set_new(root, "network", net_to_json(&p->net));
        bad |= json_object_set_new(root, "env", pairs_to_json(p->env, p->n_env));
        if (p->workdir)
                bad |= json_object_set_new(root, "workdir", json_string(p->workdir));
        if (p->output_dir)
                bad |= json_object_set_new(root, "output_dir", json_string(p->output_dir));
        /* A canonical form missing a field would digest another policy. */
        if (bad) {
                json_decref(root);
                return NULL;
        }
        return root;
}

int policy_digest(const policy *p, char out[DIGEST_HEX_LEN]) {
        json_t *j = policy_to_json(p);
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        int r = j ? json_text(j, JSON_SORT_KEYS | JSON_COMPACT, WARD_POLICY_TEXT_MAX, 0, &s, &len) : -ENOMEM;
        json_decref(j);
        if (r < 0)
                return r;
        digest_sha256_hex(s, len, out);
        return 0;
}
