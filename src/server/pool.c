/* ward serve's warm pool: sandboxes started ahead of requests, with the
 * interpreter loaded, so that a run or a session only hands code to a
 * process that is already waiting. Each warm sandbox serves one request
 * and is never handed out again. */
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "exec/lang.h"
#include "server/host.h"
#include "server/server.h"

/* Pool sandboxes ready for work (warm) or still starting. A taken one is
 * neither: it is a run or a session from then on (its kind changes). */
size_t pool_count(const server *s, bool warm) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_hosts; i++) {
                const host *h = s->hosts[i];
                n += h->kind == HOST_POOL && !h->ending && h->warm == warm;
        }
        return n;
}

/* Pool sandboxes of one language, ready or starting. */
static size_t pool_size(const server *s, const char *language) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_hosts; i++) {
                const host *h = s->hosts[i];
                n += h->kind == HOST_POOL && !h->ending && strcmp(h->language, language) == 0;
        }
        return n;
}

typedef struct pool_arg {
        const policy *pool_policy, *tier;
        const char *language;
} pool_arg;

static int pool_host_main(int fd, void *arg) {
        pool_arg *a = arg;
        return host_pool(fd, a->pool_policy, a->tier, a->language);
}

/* Keeps o->pool sandboxes started (or starting) per language. */
void pool_refill(server *s) {
        if (s->draining)
                return;
        for (size_t l = 0; lang_pooled(l); l++) {
                if (clock_mono_ms() < s->pool_backoff_until[l])
                        continue;
                for (size_t have = pool_size(s, lang_pooled(l)); have < s->o->pool; have++) {
                        pool_arg a = {.pool_policy = &s->pool_policy, .tier = &s->cfg.tier, .language = lang_pooled(l)};
                        host *h = host_spawn(s, HOST_POOL, "", pool_host_main, &a);
                        if (!h)
                                break;
                        snprintf(h->language, sizeof h->language, "%s", lang_pooled(l));
                        h->started_mono_ms = clock_mono_ms();
                }
        }
}

/* After an answer: the pool is topped up once requests pause for
 * POOL_REFILL_DELAY_MS (each answer pushes it back), so that a burst is
 * served from the pool without sandboxes starting beside it; but at once
 * when a language is down to a quarter of its warm sandboxes. */
void pool_schedule_refill(server *s) {
        s->refill_at = clock_mono_ms() + POOL_REFILL_DELAY_MS;
        for (size_t l = 0; lang_pooled(l); l++)
                if (pool_size(s, lang_pooled(l)) * 4 < s->o->pool)
                        s->refill_at = clock_mono_ms();
}

/* A warm sandbox of this language, taken out of the pool: it serves one
 * request and is never handed out again. */
host *pool_take(server *s, const char *language) {
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                if (h->kind == HOST_POOL && h->warm && !h->ending && strcmp(h->language, language) == 0) {
                        h->warm = false;
                        return h;
                }
        }
        return NULL;
}

void pool_start_failed(server *s, const char *language) {
        for (size_t l = 0; lang_pooled(l); l++)
                if (strcmp(language, lang_pooled(l)) == 0)
                        s->pool_backoff_until[l] = clock_mono_ms() + 10000;
}

host *pool_hand_over(server *s, host *h, uint64_t id, json_t *msg, const char *tenant_name, host_kind kind) {
        _cleanup_free_ char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
        json_decref(msg);
        char *name = strdup(tenant_name);
        if (!text || !name || frame_write(h->fd, FRAME_REQUEST, id, text, strlen(text), NULL, 0) < 0) {
                free(name);
                host_end(h); /* taken but not handed over: it serves nobody now */
                return NULL;
        }
        free(h->tenant);
        h->tenant = name;
        h->kind = kind;
        s->pool_hits++;
        return h;
}
