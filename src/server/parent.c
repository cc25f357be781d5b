/* ward serve's parent (see parent.h).
 *
 * One thread, one poll loop: the front's socket, each host's socket and
 * pidfd, a signalfd and a one-second tick for session timeouts. Requests
 * from the front are checked against a table of the operations it may
 * ask (ops[] below), each with the fields it may carry; whatever the front
 * says is untrusted, since it parses what clients send. Hosts are trusted
 * more (they are ward's own children) but their frames are still bounded
 * and only relayed for the request they were given. */
#include "server/parent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/digest.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "exec/files.h"
#include "server/apierror.h"
#include "server/frame.h"
#include "server/front.h"
#include "server/host.h"
#include "server/reply.h"
#include "server/request.h"

#define RUNS_PER_MINUTE_DEFAULT 600u /* a configured tenant's, unless its quotas say */
#define RUNS_PER_MINUTE_LOCAL 60000u /* the local tenant's: runs at once bound it first */
#define HOST_END_GRACE_MS 5000
#define POOL_REFILL_DELAY_MS 20

typedef struct tenant {
        char *name;
        char token_sha256[DIGEST_HEX_LEN]; /* "" for the local tenant */
        unsigned max_sessions, max_runs, runs_per_minute;
        /* use */
        unsigned sessions, runs;
        uint64_t window_start_ms;
        unsigned window_runs;
} tenant;

typedef struct config {
        tenant *tenants;
        size_t n_tenants;
        bool tokens_required;
        policy tier;
} config;

typedef enum { HOST_RUN, HOST_SESSION, HOST_POOL } host_kind;

typedef struct host {
        host_kind kind;
        pid_t pid;
        int pidfd;
        int fd;
        frame_reader rd;
        char *tenant;    /* the tenant's name (a reload may replace the table) */
        uint64_t req_id; /* the front's request in progress; 0: none */
        bool creating;   /* the session's start is that request */
        bool cancelled;  /* the request in progress was cancelled: its answer is near */
        /* One cell that came while a cancelled cell ends: sent once that
         * one has answered, rather than refused as busy. */
        uint64_t next_id;
        char *next_text;
        bool warm; /* a pool host that said it is ready */
        bool ending;
        uint64_t end_sent_ms;
        /* sessions */
        char id[32];
        char language[16];
        uint64_t created_ms, last_used_ms; /* CLOCK_REALTIME ms */
        uint64_t idle_timeout_ms, max_lifetime_ms;
        uint64_t execution_count;
        uint64_t started_mono_ms;
} host;

typedef struct server {
        const serve_opts *o;
        config cfg;
        int listen_fd;
        char front_path[WARD_PATH_MAX]; /* ward-front */
        int audit_fd;                   /* -1: no audit log */
        int front_fd;
        pid_t front_pid;
        int front_pidfd;
        frame_reader front_rd;
        host **hosts;
        size_t n_hosts, cap_hosts;
        bool draining;
        policy pool_policy;
        uint64_t pool_backoff_until[3]; /* a language whose warm sandboxes fail to start */
        uint64_t refill_at;             /* when to top the pool up (0: no need known) */
        /* metrics */
        uint64_t pool_hits, pool_misses;
        uint64_t runs_total, runs_failed, sessions_total, cells_total, requests_total, rejected_total;
        uint64_t run_ms_sum;
} server;

static json_t *rfc3339(uint64_t ms) {
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        char out[32];
        gmtime_r(&t, &tm);
        strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return json_string(out);
}

/* ---- configuration ---- */

static void config_free(config *c) {
        for (size_t i = 0; c->tenants && i < c->n_tenants; i++)
                free(c->tenants[i].name);
        free(c->tenants);
        policy_free(&c->tier);
        memset(c, 0, sizeof *c);
}

static int quota(const json_t *q, const char *key, unsigned dflt, unsigned *ret, const char *where, ward_error *err) {
        json_t *v = json_object_get(q, key);
        if (!v) {
                *ret = dflt;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
                return err_set(err, -EINVAL, "%s.quotas.%s: must be an integer from 1 to 100000", where, key);
        *ret = (unsigned)json_integer_value(v);
        return 0;
}

/* The config file: {"tier": {policy}, "tenants": [{"name", "token_sha256",
 * "quotas": {"sessions", "runs", "runs_per_minute"}}]}. Tokens are stored
 * as the hex SHA-256 of the token, never the token. */
static int config_load(const serve_opts *o, bool loopback, config *ret, ward_error *err) {
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
        const char *key;
        json_t *v;
        json_object_foreach(doc, key, v) {
                if (strcmp(key, "tier") != 0 && strcmp(key, "tenants") != 0) {
                        r = err_set(err, -EINVAL, "%s: %s: unknown key", o->config_path, key);
                        goto fail;
                }
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
                if (!json_is_object(t) || !name || !name[0] || strlen(name) > 64 || !hash ||
                    strlen(hash) != DIGEST_HEX_LEN - 1 || strspn(hash, "0123456789abcdef") != DIGEST_HEX_LEN - 1 ||
                    (q && !json_is_object(q))) {
                        r = err_set(err, -EINVAL,
                                    "%s: %s: needs \"name\" (1-64 bytes) and \"token_sha256\" (64 lowercase hex), "
                                    "and \"quotas\" must be an object",
                                    o->config_path, where);
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
                if ((r = quota(q, "sessions", o->max_sessions, &tn->max_sessions, where, err)) < 0 ||
                    (r = quota(q, "runs", o->max_runs, &tn->max_runs, where, err)) < 0 ||
                    (r = quota(q, "runs_per_minute", RUNS_PER_MINUTE_DEFAULT, &tn->runs_per_minute, where, err)) < 0)
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

/* A constant-time comparison: a token's hash must not leak through how
 * long a wrong guess takes to refuse. */
static bool same_hash(const char *a, const char *b) {
        unsigned char d = 0;
        for (size_t i = 0; i < DIGEST_HEX_LEN - 1; i++)
                d |= (unsigned char)(a[i] ^ b[i]);
        return d == 0;
}

static tenant *find_tenant(server *s, const char *name) {
        for (size_t i = 0; i < s->cfg.n_tenants; i++)
                if (strcmp(s->cfg.tenants[i].name, name) == 0)
                        return &s->cfg.tenants[i];
        return NULL;
}

static tenant *authenticate(server *s, const char *token) {
        if (!s->cfg.tokens_required)
                return &s->cfg.tenants[0];
        if (!token)
                return NULL;
        char hash[DIGEST_HEX_LEN];
        digest_sha256_hex(token, strlen(token), hash);
        tenant *found = NULL;
        for (size_t i = 0; i < s->cfg.n_tenants; i++)
                if (same_hash(hash, s->cfg.tenants[i].token_sha256))
                        found = &s->cfg.tenants[i];
        return found;
}

/* ---- hosts ---- */

static void host_free(host *h) {
        if (!h)
                return;
        if (h->fd >= 0)
                close(h->fd);
        if (h->pidfd >= 0)
                close(h->pidfd);
        frame_reader_free(&h->rd);
        free(h->tenant);
        free(h->next_text);
        free(h);
}

/* Forks a host process; in the child, fn runs and the process exits. */
typedef int (*host_fn)(int fd, void *arg);

static host *spawn_host(server *s, host_kind kind, const char *tenant_name, host_fn fn, void *arg) {
        if (s->n_hosts == s->cap_hosts) {
                size_t cap = s->cap_hosts ? s->cap_hosts * 2 : 64;
                host **hs = realloc(s->hosts, cap * sizeof(host *));
                if (!hs)
                        return NULL;
                s->hosts = hs;
                s->cap_hosts = cap;
        }
        host *h = calloc(1, sizeof *h);
        if (!h || !(h->tenant = strdup(tenant_name))) {
                free(h);
                return NULL;
        }
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
                free(h->tenant);
                free(h);
                return NULL;
        }
        int pidfd = -1;
        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) {
                /* The host: nothing of the parent's but its own socket. It
                 * ends (cleanly, through its signalfd) with the parent. */
                close(sp[0]);
                /* fd 3: the socket to the parent; fd 4: the audit log. */
                int sock = fcntl(sp[1], F_DUPFD_CLOEXEC, 5);
                int log = s->audit_fd >= 0 ? fcntl(s->audit_fd, F_DUPFD_CLOEXEC, 5) : -1;
                if (sock < 0 || dup3(sock, 3, O_CLOEXEC) < 0 || (log >= 0 && dup3(log, 4, O_CLOEXEC) < 0))
                        _exit(1);
                fd_close_from(log >= 0 ? 5 : 4);
                /* stdin and stdout may be a client's pipes (ward mcp): a
                 * host holds neither, stderr stays for its messages. */
                int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
                        _exit(1);
                if (null_fd > STDERR_FILENO)
                        close(null_fd);
                host_audit_init(log >= 0 ? 4 : -1, tenant_name);
                prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
                prctl(PR_SET_NAME,
                      kind == HOST_RUN    ? "ward-run"
                      : kind == HOST_POOL ? "ward-warm"
                                          : "ward-session",
                      0, 0, 0);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                _exit(fn(3, arg));
        }
        close(sp[1]);
        if (pid < 0) {
                close(sp[0]);
                free(h->tenant);
                free(h);
                return NULL;
        }
        h->kind = kind;
        h->pid = pid;
        h->pidfd = pidfd;
        h->fd = sp[0];
        (void)fd_nonblock(h->fd);
        frame_reader_init(&h->rd, (frame_caps){.json_max = WARD_API_REPLY_JSON_MAX, .blob_max = WARD_API_FILE_MAX});
        s->hosts[s->n_hosts++] = h;
        return h;
}

typedef struct run_arg {
        uint64_t id;
        const run_request *rq;
        bool stream;
} run_arg;

static int run_host_main(int fd, void *arg) {
        run_arg *a = arg;
        return host_run(fd, a->id, a->rq, a->stream);
}

typedef struct session_arg {
        uint64_t id;
        const session_request *sr;
        const char *session_id;
} session_arg;

static int session_host_main(int fd, void *arg) {
        session_arg *a = arg;
        return host_session(fd, a->id, a->sr, a->session_id);
}

static host *find_session(server *s, const char *id, const tenant *t) {
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                /* Another tenant's session is as unknown as a missing one. */
                if (h->kind == HOST_SESSION && !h->creating && !h->ending && strcmp(h->id, id) == 0 &&
                    strcmp(h->tenant, t->name) == 0)
                        return h;
        }
        return NULL;
}

static json_t *session_json(const server *s, const host *h) {
        const char *tier_name = s->cfg.tier.name ? s->cfg.tier.name : "default";
        uint64_t expires = h->created_ms + h->max_lifetime_ms;
        uint64_t idle_end = h->last_used_ms + h->idle_timeout_ms;
        return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I}", "id", h->id, "language", h->language,
                         "tier", tier_name, "state", h->req_id ? "busy" : "idle", "created_at", rfc3339(h->created_ms),
                         "last_used_at", rfc3339(h->last_used_ms), "expires_at",
                         rfc3339(idle_end < expires ? idle_end : expires), "idle_timeout_ms",
                         (json_int_t)h->idle_timeout_ms, "max_lifetime_ms", (json_int_t)h->max_lifetime_ms,
                         "execution_count", (json_int_t)h->execution_count);
}

static void end_host(host *h) {
        if (h->ending)
                return;
        h->ending = true;
        h->end_sent_ms = clock_mono_ms();
        static const char end[] = "{\"op\":\"end\"}";
        if (frame_write(h->fd, FRAME_REQUEST, 0, end, sizeof end - 1, NULL, 0) < 0)
                (void)kill(h->pid, SIGTERM);
}

/* ---- requests from the front ---- */

static int err_reply(server *s, uint64_t id, const ward_error *e) {
        s->rejected_total++;
        return reply_ward_error(s->front_fd, id, e);
}

/* Whether the tenant may start another run this minute. Only runs that
 * start count (op_run): a request refused for its input or the server's
 * capacity does not use up the tenant's quota. */
static bool rate_ok(tenant *t) {
        uint64_t now = clock_mono_ms();
        if (now - t->window_start_ms >= 60000) {
                t->window_start_ms = now;
                t->window_runs = 0;
        }
        return t->window_runs < t->runs_per_minute;
}

static size_t count_hosts(const server *s, host_kind kind) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_hosts; i++)
                n += s->hosts[i]->kind == kind && !s->hosts[i]->ending;
        return n;
}

/* ---- the warm pool ---- */

/* Pool sandboxes ready for work (warm) or still starting. A taken one is
 * neither: it is a run or a session from then on (its kind changes). */
static size_t count_pool(const server *s, bool warm) {
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

static const char *const pool_languages[] = {"python", "node", "bash"};

typedef struct pool_arg {
        const policy *pool_policy, *tier;
        const char *language;
} pool_arg;

static int pool_host_main(int fd, void *arg) {
        pool_arg *a = arg;
        return host_pool(fd, a->pool_policy, a->tier, a->language);
}

/* Keeps o->pool sandboxes started (or starting) per language. */
static void pool_refill(server *s) {
        if (s->draining)
                return;
        for (size_t l = 0; l < ELEMENTSOF(pool_languages); l++) {
                if (clock_mono_ms() < s->pool_backoff_until[l])
                        continue;
                for (size_t have = pool_size(s, pool_languages[l]); have < s->o->pool; have++) {
                        pool_arg a = {
                                .pool_policy = &s->pool_policy, .tier = &s->cfg.tier, .language = pool_languages[l]};
                        host *h = spawn_host(s, HOST_POOL, "", pool_host_main, &a);
                        if (!h)
                                break;
                        snprintf(h->language, sizeof h->language, "%s", pool_languages[l]);
                        h->started_mono_ms = clock_mono_ms();
                }
        }
}

/* After an answer: the pool is topped up once requests pause for
 * POOL_REFILL_DELAY_MS (each answer pushes it back), so that a burst is
 * served from the pool without sandboxes starting beside it; but at once
 * when a language is down to a quarter of its warm sandboxes. */
static void pool_schedule_refill(server *s) {
        s->refill_at = clock_mono_ms() + POOL_REFILL_DELAY_MS;
        for (size_t l = 0; l < ELEMENTSOF(pool_languages); l++)
                if (pool_size(s, pool_languages[l]) * 4 < s->o->pool)
                        s->refill_at = clock_mono_ms();
}

/* A warm sandbox of this language, taken out of the pool: it serves one
 * request and is never handed out again. */
static host *pool_take(server *s, const char *language) {
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                if (h->kind == HOST_POOL && h->warm && !h->ending && strcmp(h->language, language) == 0) {
                        h->warm = false;
                        return h;
                }
        }
        return NULL;
}

static bool hand_over(host *h, uint64_t id, const char *json) {
        return frame_write(h->fd, FRAME_REQUEST, id, json, strlen(json), NULL, 0) == 0;
}

static void op_run(server *s, uint64_t id, tenant *t, const json_t *m) {
        json_t *body = json_object_get(m, "body");
        if (!json_is_object(body)) {
                (void)reply_error(s->front_fd, id, 400, "invalid_body", NULL, 0, "the body must be a JSON object");
                return;
        }
        if (t->runs >= t->max_runs) {
                s->rejected_total++;
                (void)reply_error(s->front_fd, id, 429, "quota", NULL, 1,
                                  "tenant '%s' has %u runs in progress, its quota", t->name, t->max_runs);
                return;
        }
        if (!rate_ok(t)) {
                /* The window ends at most a minute after it began. */
                uint64_t left = t->window_start_ms + 60000 - clock_mono_ms();
                s->rejected_total++;
                (void)reply_error(s->front_fd, id, 429, "quota", NULL, (unsigned)(left / 1000 + 1),
                                  "tenant '%s' made %u runs this minute, its quota", t->name, t->runs_per_minute);
                return;
        }
        if (count_hosts(s, HOST_RUN) >= s->o->max_runs) {
                s->rejected_total++;
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "the server is running %u runs",
                                  s->o->max_runs);
                return;
        }
        run_request rq;
        ward_error e = {0};
        if (request_run(body, &s->cfg.tier, &rq, &e) < 0) {
                (void)err_reply(s, id, &e);
                run_request_free(&rq);
                return;
        }
        bool stream = json_is_true(json_object_get(m, "stream"));
        host *h = NULL;
        if (rq.language[0] && session_language_ok(rq.language) && !rq.stdin_data &&
            request_pool_fits(&rq.policy, &s->cfg.tier) && (h = pool_take(s, rq.language))) {
                json_t *msg = json_pack("{s:s, s:O, s:b, s:s}", "op", "script", "body", body, "stream", stream,
                                        "tenant", t->name);
                _cleanup_free_ char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
                json_decref(msg);
                if (text && hand_over(h, id, text)) {
                        free(h->tenant);
                        h->tenant = strdup(t->name);
                        h->kind = HOST_RUN;
                        s->pool_hits++;
                } else {
                        end_host(h);
                        h = NULL;
                }
        }
        if (!h) {
                if (rq.language[0] && session_language_ok(rq.language))
                        s->pool_misses++;
                run_arg a = {.id = id, .rq = &rq, .stream = stream};
                h = spawn_host(s, HOST_RUN, t->name, run_host_main, &a);
        }
        run_request_free(&rq);
        if (!h) {
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "cannot start a run: %s",
                                  strerror(errno));
                return;
        }
        h->req_id = id;
        h->started_mono_ms = clock_mono_ms();
        t->runs++;
        t->window_runs++;
        s->runs_total++;
}

static void op_session_create(server *s, uint64_t id, tenant *t, const json_t *m) {
        json_t *body = json_object_get(m, "body");
        json_t *empty = NULL;
        if (!body)
                body = empty = json_object();
        if (!json_is_object(body)) {
                (void)reply_error(s->front_fd, id, 400, "invalid_body", NULL, 0, "the body must be a JSON object");
                return;
        }
        if (t->sessions >= t->max_sessions) {
                s->rejected_total++;
                (void)reply_error(s->front_fd, id, 429, "quota", NULL, 5, "tenant '%s' has %u sessions, its quota",
                                  t->name, t->max_sessions);
                json_decref(empty);
                return;
        }
        if (count_hosts(s, HOST_SESSION) >= s->o->max_sessions) {
                s->rejected_total++;
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 5, "the server holds %u sessions",
                                  s->o->max_sessions);
                json_decref(empty);
                return;
        }
        session_request sr;
        ward_error e = {0};
        int r = request_session(body, &s->cfg.tier, &sr, &e);
        json_decref(empty);
        if (r < 0) {
                (void)err_reply(s, id, &e);
                policy_free(&sr.policy);
                return;
        }
        /* The id is a capability among a tenant's sessions: 96 random
         * bits, or no session at all. */
        char sid[32];
        uint8_t rnd[12];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
                policy_free(&sr.policy);
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "no randomness for a session id");
                return;
        }
        int n = snprintf(sid, sizeof sid, "ses_");
        for (size_t i = 0; i < sizeof rnd; i++)
                n += snprintf(sid + n, sizeof sid - (size_t)n, "%02x", rnd[i]);
        host *h = NULL;
        if (request_pool_fits(&sr.policy, &s->cfg.tier) && sr.policy.output == s->cfg.tier.output &&
            (h = pool_take(s, sr.language))) {
                json_t *msg = json_pack("{s:s, s:s, s:s}", "op", "adopt", "tenant", t->name, "session", sid);
                _cleanup_free_ char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
                json_decref(msg);
                if (text && hand_over(h, id, text)) {
                        free(h->tenant);
                        h->tenant = strdup(t->name);
                        h->kind = HOST_SESSION;
                        s->pool_hits++;
                } else {
                        end_host(h);
                        h = NULL;
                }
        }
        if (!h) {
                s->pool_misses++;
                session_arg a = {.id = id, .sr = &sr, .session_id = sid};
                h = spawn_host(s, HOST_SESSION, t->name, session_host_main, &a);
        }
        if (!h || !h->tenant) {
                policy_free(&sr.policy);
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "cannot start a session: %s",
                                  strerror(errno));
                return;
        }
        snprintf(h->id, sizeof h->id, "%s", sid);
        snprintf(h->language, sizeof h->language, "%s", sr.language);
        h->created_ms = h->last_used_ms = clock_real_ms();
        h->started_mono_ms = clock_mono_ms();
        h->idle_timeout_ms = sr.idle_timeout_ms;
        h->max_lifetime_ms = sr.max_lifetime_ms;
        h->req_id = id;
        h->creating = true;
        t->sessions++;
        policy_free(&sr.policy);
}

static void op_session_list(server *s, uint64_t id, const tenant *t) {
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                if (h->kind == HOST_SESSION && !h->creating && !h->ending && strcmp(h->tenant, t->name) == 0)
                        json_array_append_new(arr, session_json(s, h));
        }
        (void)reply_json(s->front_fd, id, 200, json_pack("{s:o}", "sessions", arr));
}

/* A request for a session's host (text NULL: it could not be made); the
 * host is busy with it until it answers. */
static void hand_to_session(server *s, host *h, uint64_t id, const char *text, const void *blob, size_t blob_len) {
        if (!text || frame_write(h->fd, FRAME_REQUEST, id, text, strlen(text), blob, blob_len) < 0) {
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "session %s is not answering", h->id);
                return;
        }
        h->req_id = id;
        h->cancelled = false;
        h->last_used_ms = clock_real_ms();
}

/* cell and file.*: checked here, then handed to the session's host. */
static void op_session_forward(server *s, uint64_t id, const char *op, host *h, const json_t *m, const frame *f) {
        bool queue = h->req_id && h->cancelled && !h->next_id && strcmp(op, "cell") == 0;
        if (h->req_id && !queue) {
                s->rejected_total++;
                (void)reply_error(s->front_fd, id, 409, "busy", NULL, 1, "session %s is running a cell", h->id);
                return;
        }
        json_t *fwd = NULL;
        if (strcmp(op, "cell") == 0) {
                json_t *body = json_object_get(m, "body");
                cell_request cr;
                ward_error e = {0};
                if (!json_is_object(body)) {
                        (void)reply_error(s->front_fd, id, 400, "invalid_body", NULL, 0,
                                          "the body must be a JSON object");
                        return;
                }
                if (request_cell(body, &s->cfg.tier, &cr, &e) < 0) {
                        (void)err_reply(s, id, &e);
                        return;
                }
                fwd = json_pack("{s:s, s:s%, s:I, s:I, s:b}", "op", "cell", "code", cr.code, cr.code_len, "wall_ms",
                                (json_int_t)cr.wall_ms, "cpu_ms", (json_int_t)cr.cpu_ms, "stream",
                                json_is_true(json_object_get(m, "stream")));
                s->cells_total++;
        } else {
                const char *path = json_string_value(json_object_get(m, "path"));
                const char *dir = json_string_value(json_object_get(m, "dir"));
                ward_error err = {0};
                bool list = strcmp(op, "file.list") == 0;
                if (files_check_path(list ? (dir ? dir : "") : (path ? path : ""), list, &err) < 0) {
                        const char *code;
                        int st = (int)apierror_status(&err, &code);
                        (void)reply_error(s->front_fd, id, st, code, list ? "dir" : "path", 0, "%s", err.msg);
                        return;
                }
                fwd = json_pack("{s:s, s:s?, s:s?}", "op", op, "path", path, "dir", dir);
        }
        _cleanup_free_ char *text = fwd ? json_dumps(fwd, JSON_COMPACT) : NULL;
        json_decref(fwd);
        if (queue && text) {
                h->next_id = id;
                h->next_text = TAKE_PTR(text);
                return;
        }
        bool put = strcmp(op, "file.put") == 0;
        hand_to_session(s, h, id, text, put ? f->blob : NULL, put ? f->hdr.blob_len : 0);
}

/* The cell that waited for a cancelled one goes to the host now. */
static void send_next(server *s, host *h) {
        uint64_t id = h->next_id;
        _cleanup_free_ char *text = h->next_text;
        h->next_id = 0;
        h->next_text = NULL;
        if (id)
                hand_to_session(s, h, id, h->ending ? NULL : text, NULL, 0);
}

static void metrics(server *s, uint64_t id) {
        char text[4096];
        int n = snprintf(
                text, sizeof text,
                "# HELP ward_runs_total One-shot runs started.\n# TYPE ward_runs_total counter\n"
                "ward_runs_total %" PRIu64 "\n"
                "# HELP ward_runs_failed_total Runs whose supervisor ended without an answer.\n"
                "# TYPE ward_runs_failed_total counter\nward_runs_failed_total %" PRIu64 "\n"
                "# HELP ward_run_seconds_sum Wall time of answered runs.\n# TYPE ward_run_seconds_sum counter\n"
                "ward_run_seconds_sum %.3f\n"
                "# HELP ward_sessions_total Sessions created.\n# TYPE ward_sessions_total counter\n"
                "ward_sessions_total %" PRIu64 "\n"
                "# HELP ward_sessions Sessions open now.\n# TYPE ward_sessions gauge\nward_sessions %zu\n"
                "# HELP ward_runs_in_progress Runs in progress now.\n# TYPE ward_runs_in_progress gauge\n"
                "ward_runs_in_progress %zu\n"
                "# HELP ward_cells_total Cells run.\n# TYPE ward_cells_total counter\nward_cells_total %" PRIu64 "\n"
                "# HELP ward_pool_hits_total Runs and sessions served by a warm sandbox.\n"
                "# TYPE ward_pool_hits_total counter\nward_pool_hits_total %" PRIu64 "\n"
                "# HELP ward_pool_misses_total Runs and sessions started cold.\n"
                "# TYPE ward_pool_misses_total counter\nward_pool_misses_total %" PRIu64 "\n"
                "# HELP ward_pool_warm Warm sandboxes ready and waiting.\n# TYPE ward_pool_warm gauge\n"
                "ward_pool_warm %zu\n"
                "# HELP ward_pool_starting Warm sandboxes still starting.\n# TYPE ward_pool_starting gauge\n"
                "ward_pool_starting %zu\n"
                "# HELP ward_requests_total API requests.\n# TYPE ward_requests_total counter\n"
                "ward_requests_total %" PRIu64 "\n"
                "# HELP ward_rejected_total Requests refused (bad input, quota, capacity).\n"
                "# TYPE ward_rejected_total counter\nward_rejected_total %" PRIu64 "\n",
                s->runs_total, s->runs_failed, (double)s->run_ms_sum / 1000.0, s->sessions_total,
                count_hosts(s, HOST_SESSION), count_hosts(s, HOST_RUN), s->cells_total, s->pool_hits, s->pool_misses,
                count_pool(s, true), count_pool(s, false), s->requests_total, s->rejected_total);
        (void)reply_blob(s->front_fd, id, 200, "text/plain; version=0.0.4", text,
                         n > 0 && (size_t)n < sizeof text ? (size_t)n : 0);
}

/* The operations the front may ask: anything else is refused. */
static void handle_request(server *s, const frame *f) {
        uint64_t id = f->hdr.id;
        s->requests_total++;
        json_error_t jerr;
        json_t *m = json_loadb(f->json, f->hdr.json_len, JSON_REJECT_DUPLICATES, &jerr);
        const char *op = json_string_value(json_object_get(m, "op"));
        if (!json_is_object(m) || !op) {
                (void)reply_error(s->front_fd, id, 400, "invalid_request", NULL, 0, "malformed request");
                json_decref(m);
                return;
        }
        if (strcmp(op, "health") == 0) {
                (void)reply_json(s->front_fd, id, 200, json_pack("{s:s}", "status", s->draining ? "draining" : "ok"));
                json_decref(m);
                return;
        }
        tenant *t = authenticate(s, json_string_value(json_object_get(m, "token")));
        if (!t) {
                s->rejected_total++;
                (void)reply_error(s->front_fd, id, 401, "unauthorized", NULL, 0,
                                  json_object_get(m, "token") ? "unknown token" : "a bearer token is required");
                json_decref(m);
                return;
        }
        if (s->draining && strcmp(op, "metrics") != 0) {
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 5, "the server is shutting down");
                json_decref(m);
                return;
        }
        const char *sid = json_string_value(json_object_get(m, "session"));
        if (strcmp(op, "metrics") == 0) {
                metrics(s, id);
        } else if (strcmp(op, "run") == 0) {
                op_run(s, id, t, m);
        } else if (strcmp(op, "session.create") == 0) {
                op_session_create(s, id, t, m);
        } else if (strcmp(op, "session.list") == 0) {
                op_session_list(s, id, t);
        } else if (sid && (strcmp(op, "session.get") == 0 || strcmp(op, "session.delete") == 0 ||
                           strcmp(op, "cell") == 0 || strncmp(op, "file.", 5) == 0)) {
                host *h = find_session(s, sid, t);
                if (!h) {
                        (void)reply_error(s->front_fd, id, 404, "not_found", "session", 0, "no session '%s'", sid);
                } else if (strcmp(op, "session.get") == 0) {
                        (void)reply_json(s->front_fd, id, 200, session_json(s, h));
                } else if (strcmp(op, "session.delete") == 0) {
                        json_t *info = session_json(s, h);
                        json_object_set_new(info, "state", json_string("ended"));
                        end_host(h);
                        (void)reply_json(s->front_fd, id, 200, info);
                } else if (strcmp(op, "cell") == 0 || strcmp(op, "file.put") == 0 || strcmp(op, "file.get") == 0 ||
                           strcmp(op, "file.delete") == 0 || strcmp(op, "file.list") == 0) {
                        op_session_forward(s, id, op, h, m, f);
                } else {
                        (void)reply_error(s->front_fd, id, 404, "not_found", NULL, 0, "unknown operation");
                }
        } else {
                (void)reply_error(s->front_fd, id, 404, "not_found", NULL, 0, "unknown operation");
        }
        json_decref(m);
}

static void handle_cancel(server *s, uint64_t id) {
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                /* A run nobody waits for is stopped; its host ends it
                 * cleanly on SIGTERM. A cell is interrupted, and its
                 * session goes on. */
                if (h->req_id == id && h->kind == HOST_RUN)
                        (void)kill(h->pid, SIGTERM);
                else if (h->req_id == id && h->kind == HOST_SESSION && !h->creating && !h->cancelled)
                        h->cancelled = frame_write(h->fd, FRAME_CANCEL, id, "{}", 2, NULL, 0) == 0;
                /* A queued cell whose client went away is dropped. */
                if (h->next_id == id) {
                        h->next_id = 0;
                        free(h->next_text);
                        h->next_text = NULL;
                }
        }
}

/* ---- frames from hosts ---- */

static void handle_host_frame(server *s, host *h, frame *f) {
        if (h->kind == HOST_POOL && !h->warm && !h->ending && f->hdr.id == 0 && f->hdr.type == FRAME_REPLY) {
                json_error_t jerr;
                json_t *m = json_loadb(f->json, f->hdr.json_len, 0, &jerr);
                if (json_integer_value(json_object_get(m, "status")) == 200) {
                        h->warm = true;
                } else {
                        /* It could not start: no more tries for a while. */
                        for (size_t l = 0; l < ELEMENTSOF(pool_languages); l++)
                                if (strcmp(h->language, pool_languages[l]) == 0)
                                        s->pool_backoff_until[l] = clock_mono_ms() + 10000;
                        fprintf(stderr, "%s: a warm %s sandbox did not start: %s\n", serve_log_name, h->language,
                                json_string_value(json_object_get(json_object_get(json_object_get(m, "body"), "error"),
                                                                  "message")));
                        h->ending = true;
                }
                json_decref(m);
                return;
        }
        if (!h->req_id || f->hdr.id != h->req_id || (f->hdr.type != FRAME_REPLY && f->hdr.type != FRAME_CHUNK))
                return; /* nothing asked: dropped */
        if (h->creating && f->hdr.type == FRAME_REPLY) {
                json_error_t jerr;
                json_t *m = json_loadb(f->json, f->hdr.json_len, 0, &jerr);
                json_int_t st = json_integer_value(json_object_get(m, "status"));
                h->creating = false;
                uint64_t id = h->req_id;
                h->req_id = 0;
                if (st == 200) {
                        s->sessions_total++;
                        char where[64];
                        snprintf(where, sizeof where, "/v1/sessions/%s", h->id);
                        (void)reply_json_headers(s->front_fd, id, 201, session_json(s, h),
                                                 json_pack("{s:s}", "Location", where));
                        pool_schedule_refill(s);
                } else {
                        /* the host's own error, as it said it */
                        (void)frame_write(s->front_fd, FRAME_REPLY, id, f->json, f->hdr.json_len, NULL, 0);
                        h->ending = true;
                }
                json_decref(m);
                return;
        }
        if (f->hdr.type == FRAME_REPLY) {
                if (h->kind == HOST_SESSION) {
                        json_error_t jerr;
                        json_t *m = json_loadb(f->json, f->hdr.json_len, 0, &jerr);
                        json_t *ec = json_object_get(json_object_get(m, "body"), "execution_count");
                        if (json_is_integer(ec))
                                h->execution_count = (uint64_t)json_integer_value(ec);
                        json_decref(m);
                        h->last_used_ms = clock_real_ms();
                } else {
                        s->run_ms_sum += clock_mono_ms() - h->started_mono_ms;
                }
                h->req_id = 0;
                h->cancelled = false;
        }
        (void)frame_write(s->front_fd, f->hdr.type, f->hdr.id, f->json, f->hdr.json_len, f->blob, f->hdr.blob_len);
        if (f->hdr.type == FRAME_REPLY && h->next_id)
                send_next(s, h);
        /* The pool is refilled a little after the answer is out: starting
         * a sandbox takes CPU that the answer, still on its way to the
         * client through the front, should not wait for. */
        if (f->hdr.type == FRAME_REPLY)
                pool_schedule_refill(s);
}

static void reap_host(server *s, size_t i) {
        host *h = s->hosts[i];
        siginfo_t si;
        (void)waitid((idtype_t)P_PIDFD, (id_t)h->pidfd, &si, WEXITED);
        if (h->req_id) {
                if (h->kind == HOST_RUN)
                        s->runs_failed++;
                (void)reply_error(s->front_fd, h->req_id, 503, "unavailable", NULL, 1,
                                  "the sandbox's supervisor ended before it answered");
        }
        if (h->next_id)
                (void)reply_error(s->front_fd, h->next_id, 503, "unavailable", NULL, 1,
                                  "the session ended before the cell could run");
        tenant *t = find_tenant(s, h->tenant);
        if (t && h->kind == HOST_RUN && t->runs)
                t->runs--;
        if (t && h->kind == HOST_SESSION && t->sessions)
                t->sessions--;
        host_free(h);
        s->hosts[i] = s->hosts[--s->n_hosts];
}

static void tick(server *s) {
        uint64_t now = clock_real_ms(), mono = clock_mono_ms();
        pool_refill(s);
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                if (h->kind == HOST_SESSION && !h->ending && !h->creating && !h->req_id &&
                    (now >= h->last_used_ms + h->idle_timeout_ms || now >= h->created_ms + h->max_lifetime_ms))
                        end_host(h);
                /* A host that will not end is made to. */
                if (h->ending && mono - h->end_sent_ms > HOST_END_GRACE_MS)
                        (void)kill(h->pid, SIGTERM);
                if (h->ending && mono - h->end_sent_ms > 2 * HOST_END_GRACE_MS)
                        (void)kill(h->pid, SIGKILL);
        }
}

/* ---- set-up ---- */

static int listen_on(const char *spec, bool *ret_loopback, ward_error *err) {
        char host_part[64];
        const char *colon = strrchr(spec, ':');
        if (!colon || (size_t)(colon - spec) >= sizeof host_part || colon == spec)
                return err_set(err, -EINVAL, "--listen: '%s' must be ADDRESS:PORT", spec);
        memcpy(host_part, spec, (size_t)(colon - spec));
        host_part[colon - spec] = '\0';
        char *end;
        errno = 0;
        unsigned long port = strtoul(colon + 1, &end, 10);
        if (errno || *end || colon[1] == '\0' || port > 65535)
                return err_set(err, -EINVAL, "--listen: '%s': bad port", spec);
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (inet_pton(AF_INET, host_part, &sin.sin_addr) != 1)
                return err_set(err, -EINVAL, "--listen: '%s': not an IPv4 address", host_part);
        *ret_loopback = (ntohl(sin.sin_addr.s_addr) >> 24) == 127;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return err_set(err, -errno, "socket: %s", strerror(errno));
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 512) < 0) {
                int e = errno;
                close(fd);
                return err_set(err, -e, "--listen: %s: %s", spec, strerror(e));
        }
        return fd;
}

/* ward-front is installed beside ward, or in ward's libexec directory. */
static int find_front(char *out, size_t len, ward_error *err) {
        char self[WARD_PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash && (size_t)snprintf(out, len, "%.*s/ward-front", (int)(slash - self), self) < len &&
                    access(out, X_OK) == 0)
                        return 0;
        }
        if ((size_t)snprintf(out, len, "%s/ward-front", WARD_LIBEXECDIR) < len && access(out, X_OK) == 0)
                return 0;
        return err_set(err, -ENOENT, "cannot find ward-front beside ward or in %s: is ward installed whole?",
                       WARD_LIBEXECDIR);
}

static int start_front(server *s, ward_error *err) {
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return err_set(err, -errno, "socketpair: %s", strerror(errno));
        int pidfd = -1;
        struct clone_args args = {.flags = CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)&pidfd, .exit_signal = SIGCHLD};
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) {
                close(sp[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                prctl(PR_SET_NAME, "ward-front", 0, 0, 0);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                if (s->o->front_fn)
                        _exit(s->o->front_fn(sp[1], s->o->front_ctx));
                /* The HTTP front is its own program (ward-front, next to
                 * ward): executed, it keeps nothing of this process's
                 * memory. fds 3 and 4: the listening socket, the parent. */
                int lfd = fcntl(s->listen_fd, F_DUPFD, 10), pfd = fcntl(sp[1], F_DUPFD, 10);
                if (lfd < 0 || pfd < 0 || dup2(lfd, 3) < 0 || dup2(pfd, 4) < 0)
                        _exit(125);
                fd_close_from(5);
                char *const argv[] = {"ward-front", "3", "4", NULL};
                char *const envp[] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL};
                execve(s->front_path, argv, envp);
                fprintf(stderr, "%s: cannot execute %s: %s\n", serve_log_name, s->front_path, strerror(errno));
                _exit(125);
        }
        close(sp[1]);
        if (pid < 0) {
                close(sp[0]);
                return err_set(err, -errno, "cannot start the front: %s", strerror(errno));
        }
        s->front_fd = sp[0];
        s->front_pid = pid;
        s->front_pidfd = pidfd;
        (void)fd_nonblock(s->front_fd);
        frame_reader_init(&s->front_rd, (frame_caps){.json_max = WARD_API_BODY_MAX + WARD_API_REQUEST_JSON_SLACK,
                                                     .blob_max = WARD_API_FILE_MAX});
        return 0;
}

static void shutdown_hosts(server *s) {
        for (size_t i = 0; i < s->n_hosts; i++)
                end_host(s->hosts[i]);
        /* Runs in progress are stopped; their hosts clean up on SIGTERM. */
        for (size_t i = 0; i < s->n_hosts; i++)
                if (s->hosts[i]->kind == HOST_RUN)
                        (void)kill(s->hosts[i]->pid, SIGTERM);
        uint64_t deadline = clock_mono_ms() + 3 * HOST_END_GRACE_MS;
        while (s->n_hosts && clock_mono_ms() < deadline) {
                tick(s);
                struct pollfd pf = {.fd = s->hosts[0]->pidfd, .events = POLLIN};
                if (poll(&pf, 1, 100) > 0)
                        reap_host(s, 0);
        }
        while (s->n_hosts) {
                (void)kill(s->hosts[0]->pid, SIGKILL);
                reap_host(s, 0);
        }
}

int serve_main(const serve_opts *o, ward_error *err) {
        server s = {.o = o, .listen_fd = -1, .audit_fd = -1, .front_fd = -1, .front_pidfd = -1};
        bool loopback = true;
        int r;
        if (o->name)
                serve_log_name = o->name;
        if (!o->front_fn) {
                if ((r = find_front(s.front_path, sizeof s.front_path, err)) < 0)
                        return r;
                r = listen_on(o->listen, &loopback, err);
                if (r < 0)
                        return r;
                s.listen_fd = r;
        }
        if ((r = config_load(o, loopback, &s.cfg, err)) < 0) {
                if (o->config_path && strncmp(err->msg, o->config_path, strlen(o->config_path)) != 0)
                        (void)err_prefix(err, "--config %s", o->config_path);
                if (s.listen_fd >= 0)
                        close(s.listen_fd);
                return r;
        }
        s.audit_fd = -1;
        if (o->audit_path && (s.audit_fd = audit_open(o->audit_path, err)) < 0) {
                if (s.listen_fd >= 0)
                        close(s.listen_fd);
                config_free(&s.cfg);
                return s.audit_fd;
        }
        if (request_pool_policy(&s.cfg.tier, &s.pool_policy) < 0) {
                if (s.audit_fd >= 0)
                        close(s.audit_fd);
                if (s.listen_fd >= 0)
                        close(s.listen_fd);
                config_free(&s.cfg);
                return err_set(err, -ENOMEM, "out of memory");
        }
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, &old);
        signal(SIGPIPE, SIG_IGN);
        int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sigfd < 0 || (r = start_front(&s, err)) < 0) {
                r = sigfd < 0 ? err_set(err, -errno, "signalfd: %s", strerror(errno)) : r;
                if (sigfd >= 0)
                        close(sigfd);
                if (s.listen_fd >= 0)
                        close(s.listen_fd);
                if (s.audit_fd >= 0)
                        close(s.audit_fd);
                policy_free(&s.pool_policy);
                config_free(&s.cfg);
                sigprocmask(SIG_SETMASK, &old, NULL);
                return r;
        }
        /* The front holds the listening socket now; ward keeps none. */
        if (s.listen_fd >= 0) {
                close(s.listen_fd);
                s.listen_fd = -1;
                fprintf(stderr, "%s: listening on %s (%s)\n", serve_log_name, o->listen,
                        s.cfg.tokens_required ? "bearer tokens required" : "one local tenant, no token");
        }

        int status = 0;
        uint64_t next_tick = clock_mono_ms() + 1000;
        size_t pf_cap = 64;
        struct pollfd *pf = calloc(pf_cap, sizeof *pf);
        if (!pf) {
                status = 1; /* cannot serve: stop at once */
                goto stop;
        }
        for (;;) {
                size_t need = 3 + 2 * s.n_hosts;
                if (need > pf_cap) {
                        struct pollfd *p = realloc(pf, need * sizeof *p);
                        if (!p) {
                                status = 1;
                                break;
                        }
                        pf = p;
                        pf_cap = need;
                }
                pf[0] = (struct pollfd){.fd = s.front_fd, .events = POLLIN};
                pf[1] = (struct pollfd){.fd = s.front_pidfd, .events = POLLIN};
                pf[2] = (struct pollfd){.fd = sigfd, .events = POLLIN};
                size_t n_hosts = s.n_hosts;
                for (size_t i = 0; i < n_hosts; i++) {
                        pf[3 + 2 * i] = (struct pollfd){.fd = s.hosts[i]->fd, .events = POLLIN};
                        pf[4 + 2 * i] = (struct pollfd){.fd = s.hosts[i]->pidfd, .events = POLLIN};
                }
                uint64_t now = clock_mono_ms();
                uint64_t wake = s.refill_at && s.refill_at < next_tick ? s.refill_at : next_tick;
                int timeout = wake > now ? (int)(wake - now) : 0;
                int n = poll(pf, 3 + 2 * n_hosts, timeout);
                if (n < 0 && errno != EINTR) {
                        status = 1;
                        break;
                }
                if (s.refill_at && clock_mono_ms() >= s.refill_at) {
                        s.refill_at = 0;
                        pool_refill(&s);
                }
                if (clock_mono_ms() >= next_tick) {
                        tick(&s);
                        next_tick = clock_mono_ms() + 1000;
                }
                if (n <= 0)
                        continue;
                if (pf[2].revents) {
                        struct signalfd_siginfo si;
                        if (read(sigfd, &si, sizeof si) == sizeof si) {
                                if (si.ssi_signo == SIGHUP) {
                                        config c;
                                        ward_error cerr = {0};
                                        if (config_load(o, loopback, &c, &cerr) < 0) {
                                                fprintf(stderr, "%s: reload: %s (the old config stays)\n",
                                                        serve_log_name, cerr.msg);
                                        } else {
                                                /* Use counts carry over by tenant name. */
                                                for (size_t i = 0; i < c.n_tenants; i++) {
                                                        tenant *old_t = find_tenant(&s, c.tenants[i].name);
                                                        if (old_t) {
                                                                c.tenants[i].sessions = old_t->sessions;
                                                                c.tenants[i].runs = old_t->runs;
                                                        }
                                                }
                                                config_free(&s.cfg);
                                                s.cfg = c;
                                                /* Warm sandboxes were started with the old
                                                 * tier's limits: none of them serves again. */
                                                policy p2;
                                                if (request_pool_policy(&s.cfg.tier, &p2) == 0) {
                                                        policy_free(&s.pool_policy);
                                                        s.pool_policy = p2;
                                                }
                                                for (size_t i = 0; i < s.n_hosts; i++)
                                                        if (s.hosts[i]->kind == HOST_POOL) {
                                                                s.hosts[i]->warm = false;
                                                                end_host(s.hosts[i]);
                                                        }
                                                s.refill_at = clock_mono_ms() + POOL_REFILL_DELAY_MS;
                                                fprintf(stderr, "%s: config reloaded\n", serve_log_name);
                                        }
                                } else if (!s.draining) {
                                        /* Drain: the front stops taking requests and
                                         * finishes those in flight, then ends. */
                                        s.draining = true;
                                        (void)kill(s.front_pid, SIGTERM);
                                }
                        }
                }
                if (pf[0].revents) {
                        for (int k = 0; k < 64; k++) {
                                frame f;
                                r = frame_reader_read(&s.front_rd, s.front_fd, &f);
                                if (r <= 0)
                                        break;
                                if (f.hdr.type == FRAME_REQUEST)
                                        handle_request(&s, &f);
                                else if (f.hdr.type == FRAME_CANCEL)
                                        handle_cancel(&s, f.hdr.id);
                                frame_free(&f);
                        }
                        if (r < 0 && r != -EAGAIN) {
                                /* The front broke the protocol or went away
                                 * (ECONNRESET: it closed before reading all we
                                 * sent, as when it ends while answers are
                                 * still coming); its exit status says which. */
                                if (r != -EPIPE && r != -ECONNRESET)
                                        fprintf(stderr, "%s: the front broke the protocol: %s\n", serve_log_name,
                                                strerror(-r));
                                (void)kill(s.front_pid, SIGKILL);
                        }
                }
                for (size_t i = n_hosts; i-- > 0;) {
                        host *h = s.hosts[i];
                        if (pf[3 + 2 * i].revents) {
                                for (int k = 0; k < 64; k++) {
                                        frame f;
                                        r = frame_reader_read(&h->rd, h->fd, &f);
                                        if (r <= 0)
                                                break;
                                        handle_host_frame(&s, h, &f);
                                        frame_free(&f);
                                }
                                if (r < 0 && r != -EAGAIN && r != -EPIPE && r != -ECONNRESET)
                                        (void)kill(h->pid, SIGKILL); /* a host that broke the protocol */
                        }
                        if (pf[4 + 2 * i].revents) {
                                /* Whatever it still wrote is read first. */
                                for (int k = 0; k < 64; k++) {
                                        frame f;
                                        if (frame_reader_read(&h->rd, h->fd, &f) <= 0)
                                                break;
                                        handle_host_frame(&s, h, &f);
                                        frame_free(&f);
                                }
                                reap_host(&s, i);
                        }
                }
                if (pf[1].revents) {
                        siginfo_t si = {0};
                        (void)waitid((idtype_t)P_PIDFD, (id_t)s.front_pidfd, &si, WEXITED);
                        if (o->front_fn && si.si_code == CLD_EXITED && si.si_status == 0) {
                                /* ward mcp: the client closed its end. */
                        } else if (!s.draining) {
                                fprintf(stderr, "%s: the front ended (%s %d); shutting down\n", serve_log_name,
                                        si.si_code == CLD_EXITED ? "exit" : "signal", si.si_status);
                                status = 1;
                        }
                        break;
                }
        }
        free(pf);
stop:
        s.draining = true; /* no warm sandbox starts from here on */
        shutdown_hosts(&s);
        free(s.hosts);
        frame_reader_free(&s.front_rd);
        if (s.front_fd >= 0)
                close(s.front_fd);
        if (s.front_pidfd >= 0)
                close(s.front_pidfd);
        close(sigfd);
        config_free(&s.cfg);
        policy_free(&s.pool_policy);
        if (s.audit_fd >= 0)
                close(s.audit_fd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "%s: stopped\n", serve_log_name);
        return status;
}
