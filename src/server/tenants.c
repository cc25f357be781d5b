/* ward serve's tenants: the config file that names them (with a hashed
 * bearer token each, a tier and quotas), who a token is, and how many runs
 * a tenant may still start this minute. With no config, one local tenant
 * and no token. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "server/server.h"

void config_free(config *c) {
        for (size_t i = 0; c->tenants && i < c->n_tenants; i++)
                free(c->tenants[i].name);
        free(c->tenants);
        policy_free(&c->tier);
        memset(c, 0, sizeof *c);
}

/* One quota of a tenant: from 1 to max (the server's own limit where it
 * has one), dflt when the config does not say. */
static int quota(const json_t *q, const char *key, unsigned dflt, unsigned max, const char *why, unsigned *ret,
                 const char *where, ward_error *err) {
        json_t *v = json_object_get(q, key);
        if (!v) {
                *ret = dflt;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (json_int_t)max)
                return err_set(err, -EINVAL, "%s.quotas.%s: must be an integer from 1 to %u%s", where, key, max, why);
        *ret = (unsigned)json_integer_value(v);
        return 0;
}

/* A tenant's default share of a server-wide limit. */
static unsigned share(unsigned global) {
        return global / TENANT_SHARE_DIVISOR ? global / TENANT_SHARE_DIVISOR : 1;
}

/* The first key of obj that is not one of keys (NULL-terminated); NULL
 * when there is none. */
static const char *unknown_key(const json_t *obj, const char *const *keys) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)obj, key, v) {
                bool known = false;
                for (size_t i = 0; keys[i]; i++)
                        known |= strcmp(key, keys[i]) == 0;
                if (!known)
                        return key;
        }
        return NULL;
}

/* The config file: {"tier": {policy}, "tenants": [{"name", "token_sha256",
 * "admin", "quotas": {"sessions", "runs", "runs_per_minute"}}]}. Tokens are
 * stored as the hex SHA-256 of the token, never the token. A tenant's
 * sessions and runs at once default to a share of the server's and may be
 * set up to the server's; runs_per_minute counts runs, cells and new
 * sessions. */
int config_load(const serve_opts *o, bool loopback, config *ret, ward_error *err) {
        config c = {0};
        int r0;
        policy_init_default(&c.tier);
        if (!o->config_path && o->tier_path && (r0 = policy_load_file(&c.tier, o->tier_path, err)) < 0) {
                config_free(&c);
                return r0;
        }
        if (!o->config_path) {
                if (!loopback) {
                        config_free(&c);
                        return err_set(err, -EINVAL,
                                       "--listen: a non-loopback address needs --config with tenants and tokens");
                }
                c.tenants = calloc(1, sizeof *c.tenants);
                if (!c.tenants || !(c.tenants[0].name = strdup("local"))) {
                        config_free(&c);
                        return err_set(err, -ENOMEM, "out of memory");
                }
                c.tenants[0].max_sessions = o->max_sessions;
                c.tenants[0].max_runs = o->max_runs;
                c.tenants[0].runs_per_minute = RUNS_PER_MINUTE_LOCAL;
                c.tenants[0].admin = true;
                c.n_tenants = 1;
                *ret = c;
                return 0;
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = fd_read_file(o->config_path, WARD_POLICY_FILE_MAX, &text, &len);
        if (r < 0) {
                config_free(&c);
                return err_set(err, r, "--config: cannot read '%s': %s", o->config_path, strerror(-r));
        }
        json_error_t jerr;
        json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(doc)) {
                json_decref(doc);
                config_free(&c);
                return err_set(err, -EINVAL, "%s:%d:%d: %s", o->config_path, jerr.line, jerr.column,
                               doc ? "must be a JSON object" : jerr.text);
        }
        static const char *const doc_keys[] = {"tier", "tenants", NULL};
        static const char *const tenant_keys[] = {"name", "token_sha256", "admin", "quotas", NULL};
        static const char *const quota_keys[] = {"sessions", "runs", "runs_per_minute", NULL};
        const char *bad = unknown_key(doc, doc_keys);
        if (bad) {
                r = err_set(err, -EINVAL, "%s: %s: unknown key", o->config_path, bad);
                goto fail;
        }
        json_t *tier = json_object_get(doc, "tier");
        if (tier) {
                _cleanup_free_ char *t = json_dumps(tier, JSON_COMPACT);
                if (!json_is_object(tier) || !t || (r = policy_apply_json(&c.tier, t, strlen(t), "tier", err)) < 0) {
                        r = json_is_object(tier) && t
                                    ? r
                                    : err_set(err, -EINVAL, "%s: tier: must be a policy object", o->config_path);
                        goto fail;
                }
        }
        json_t *tenants = json_object_get(doc, "tenants");
        if (!json_is_array(tenants) || json_array_size(tenants) == 0 || json_array_size(tenants) > WARD_TENANTS_MAX) {
                r = err_set(err, -EINVAL, "%s: tenants: must be an array of 1 to %u tenants", o->config_path,
                            WARD_TENANTS_MAX);
                goto fail;
        }
        c.tenants = calloc(json_array_size(tenants), sizeof *c.tenants);
        if (!c.tenants) {
                r = err_set(err, -ENOMEM, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < json_array_size(tenants); i++) {
                json_t *t = json_array_get(tenants, i);
                char where[48];
                snprintf(where, sizeof where, "tenants[%zu]", i);
                const char *name = json_string_value(json_object_get(t, "name"));
                const char *hash = json_string_value(json_object_get(t, "token_sha256"));
                json_t *q = json_object_get(t, "quotas");
                json_t *admin = json_object_get(t, "admin");
                if (!json_is_object(t) || !name || !name[0] || strlen(name) > 64 || !digest_hex_valid(hash) ||
                    (q && !json_is_object(q)) || (admin && !json_is_boolean(admin))) {
                        r = err_set(err, -EINVAL,
                                    "%s: %s: needs \"name\" (1-64 bytes) and \"token_sha256\" (64 lowercase hex); "
                                    "\"quotas\" must be an object and \"admin\" true or false",
                                    o->config_path, where);
                        goto fail;
                }
                if ((bad = unknown_key(t, tenant_keys)) || (q && (bad = unknown_key(q, quota_keys)))) {
                        r = err_set(err, -EINVAL, "%s: %s: %s: unknown key", o->config_path, where, bad);
                        goto fail;
                }
                for (size_t k = 0; k < c.n_tenants; k++)
                        if ((c.tenants[k].name && strcmp(c.tenants[k].name, name) == 0) ||
                            strcmp(c.tenants[k].token_sha256, hash) == 0) {
                                r = err_set(err, -EINVAL, "%s: %s: the %s of tenants[%zu] again", o->config_path, where,
                                            strcmp(c.tenants[k].token_sha256, hash) == 0 ? "token" : "name", k);
                                goto fail;
                        }
                tenant *tn = &c.tenants[c.n_tenants++];
                if (!(tn->name = strdup(name))) {
                        r = err_set(err, -ENOMEM, "out of memory");
                        goto fail;
                }
                memcpy(tn->token_sha256, hash, DIGEST_HEX_LEN);
                tn->admin = json_is_true(admin);
                if ((r = quota(q, "sessions", share(o->max_sessions), o->max_sessions, " (--max-sessions)",
                               &tn->max_sessions, where, err)) < 0 ||
                    (r = quota(q, "runs", share(o->max_runs), o->max_runs, " (--max-runs)", &tn->max_runs, where,
                               err)) < 0 ||
                    (r = quota(q, "runs_per_minute", RUNS_PER_MINUTE_DEFAULT, WARD_TENANT_RATE_MAX, "",
                               &tn->runs_per_minute, where, err)) < 0)
                        goto fail;
        }
        c.tokens_required = true;
        json_decref(doc);
        *ret = c;
        return 0;
fail:
        json_decref(doc);
        config_free(&c);
        return r;
}

bool tenant_owns(const tenant *t, const host *h) {
        return strcmp(t->name, h->tenant) == 0 && strcmp(t->token_sha256, h->tenant_sha256) == 0;
}

tenant *tenant_of_host(server *s, const host *h) {
        for (size_t i = 0; i < s->cfg.n_tenants; i++)
                if (tenant_owns(&s->cfg.tenants[i], h))
                        return &s->cfg.tenants[i];
        return NULL;
}

void tenant_take_host(const tenant *t, host *h) {
        memcpy(h->tenant_sha256, t->token_sha256, DIGEST_HEX_LEN);
}

void config_replace(server *s, config *c) {
        for (size_t i = 0; i < c->n_tenants; i++) {
                tenant *nt = &c->tenants[i];
                for (size_t k = 0; k < s->cfg.n_tenants; k++) {
                        const tenant *ot = &s->cfg.tenants[k];
                        if (strcmp(ot->name, nt->name) != 0 || strcmp(ot->token_sha256, nt->token_sha256) != 0)
                                continue;
                        nt->sessions = ot->sessions;
                        nt->runs = ot->runs;
                        nt->window_start_ms = ot->window_start_ms;
                        nt->window_runs = ot->window_runs;
                        nt->count = ot->count;
                }
        }
        config_free(&s->cfg);
        s->cfg = *c;
        memset(c, 0, sizeof *c);
        /* What a tenant that is gone started is no one's now: a session
         * would otherwise come back to whoever the config names next
         * under that name. Its host ends it as for DELETE; a run is
         * stopped as when its client goes away. */
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                if (h->kind == HOST_POOL || h->ending || tenant_of_host(s, h))
                        continue;
                if (h->kind == HOST_RUN)
                        (void)kill(h->pid, SIGTERM);
                else
                        host_end(h);
        }
}

tenant *tenant_authenticate(server *s, const char *token) {
        if (!s->cfg.tokens_required)
                return &s->cfg.tenants[0];
        if (!token)
                return NULL;
        char hash[DIGEST_HEX_LEN];
        digest_sha256_hex(token, strlen(token), hash);
        tenant *found = NULL;
        for (size_t i = 0; i < s->cfg.n_tenants; i++)
                if (digest_hex_equal(hash, s->cfg.tenants[i].token_sha256))
                        found = &s->cfg.tenants[i];
        return found;
}

/* Whether the tenant may start another run, cell or session this minute.
 * Only what starts counts (window_runs, by its handler): a request refused
 * for its input or the server's capacity does not use up the quota. */
bool tenant_rate_ok(tenant *t) {
        uint64_t now = clock_mono_ms();
        if (now - t->window_start_ms >= 60000) {
                t->window_start_ms = now;
                t->window_runs = 0;
        }
        return t->window_runs < t->runs_per_minute;
}

unsigned tenant_rate_retry_s(const tenant *t) {
        /* The window ends at most a minute after it began. */
        uint64_t now = clock_mono_ms(), end = t->window_start_ms + 60000;
        return end > now ? (unsigned)((end - now) / 1000 + 1) : 1;
}
