/* ward serve's parent (see parent.h).
 *
 * One thread, one poll loop: the front's socket, each host's socket and
 * pidfd, a signalfd and a one-second tick for session timeouts. Requests
 * from the front are held to the table of the operations it may ask
 * (ops.c), each with the fields it may carry, before a handler
 * (handlers.c) sees them; whatever the front says is untrusted, since it
 * parses what clients send. Hosts are trusted more (they are ward's own
 * children) but their frames are still bounded and only relayed for the
 * request they were given. The config and tenants are tenants.c's, the
 * warm pool pool.c's. */
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
#include "basic/fd.h"
#include "basic/jsontext.h"
#include "basic/limits.h"
#include "jail/jail.h"
#include "server/frame.h"
#include "server/front.h"
#include "server/host.h"
#include "server/reply.h"
#include "server/request.h"
#include "server/server.h"

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

host *host_spawn(server *s, host_kind kind, const char *tenant_name, host_fn fn, void *arg) {
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

host *host_find_session(server *s, const char *id, const tenant *t) {
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                /* Another tenant's session is as unknown as a missing one. */
                if (h->kind == HOST_SESSION && !h->creating && !h->ending && strcmp(h->id, id) == 0 &&
                    tenant_owns(t, h))
                        return h;
        }
        return NULL;
}

void host_end(host *h) {
        if (h->ending)
                return;
        h->ending = true;
        h->end_sent_ms = clock_mono_ms();
        static const char end[] = "{\"op\":\"end\"}";
        if (frame_write(h->fd, FRAME_REQUEST, 0, end, sizeof end - 1, NULL, 0) < 0)
                (void)kill(h->pid, SIGTERM);
}

size_t hosts_count(const server *s, host_kind kind) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_hosts; i++)
                n += s->hosts[i]->kind == kind && !s->hosts[i]->ending;
        return n;
}

/* ---- requests from the front ---- */

/* A request from the front: its envelope held to the table of
 * operations (ops.c) before anything else, then its token, then its body
 * parsed (op_request_body), then its handler. The front is
 * unprivileged and parses what clients send: a frame the table refuses
 * is answered and said on stderr, since a correct front never sends one. */
static void handle_request(server *s, const frame *f) {
        s->count.requests_total++;
        op_request r;
        ward_error e = {0};
        if (op_request_parse(f, &r, &e) < 0) {
                s->count.rejected_total++;
                fprintf(stderr, "%s: refused a request from the front: %s\n", serve_log_name, e.msg);
                (void)reply_ward_error(s->front_fd, f->hdr.id, &e);
                return;
        }
        tenant *t = NULL;
        if (!op_is_public(r.op) && !(t = tenant_authenticate(s, r.token))) {
                s->count.rejected_total++;
                (void)reply_error(s->front_fd, r.id, 401, "unauthorized", NULL, 0,
                                  r.token ? "unknown token" : "a bearer token is required");
                op_request_free(&r);
                return;
        }
        if (t)
                t->count.requests_total++;
        if (op_request_body(&r, &e) < 0) {
                /* Parsed only now, for a known tenant: the front checked
                 * it too, but the parent trusts nothing it sends. */
                s->count.rejected_total++;
                (void)reply_ward_error(s->front_fd, r.id, &e);
        } else if (s->draining && !op_while_draining(r.op)) {
                (void)reply_error(s->front_fd, r.id, 503, "unavailable", NULL, 5, "the server is shutting down");
        } else {
                op_dispatch(s, &r, t);
        }
        op_request_free(&r);
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

static void handle_host_frame(server *s, host *h, frame *f) {
        if (h->kind == HOST_POOL && !h->warm && !h->ending && f->hdr.id == 0 && f->hdr.type == FRAME_REPLY) {
                json_error_t jerr;
                json_t *m = json_loadb(f->json, f->hdr.json_len, 0, &jerr);
                if (json_integer_value(json_object_get(m, "status")) == 200) {
                        h->warm = true;
                } else {
                        /* It could not start: no more tries for a while. */
                        pool_start_failed(s, h->language);
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
                if (st == 200 && h->ending) {
                        /* Ended while it started: the server stops, or a
                         * reload took its tenant away. */
                        (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1,
                                          "the session was ended as it started");
                } else if (st == 200) {
                        tenant *t = tenant_of_host(s, h);
                        s->count.sessions_total++;
                        if (t)
                                t->count.sessions_total++;
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
                        tenant *t = tenant_of_host(s, h);
                        uint64_t ms = clock_mono_ms() - h->started_mono_ms;
                        s->count.run_ms_sum += ms;
                        if (t)
                                t->count.run_ms_sum += ms;
                }
                h->req_id = 0;
                h->cancelled = false;
        }
        (void)frame_write(s->front_fd, f->hdr.type, f->hdr.id, f->json, f->hdr.json_len, f->blob, f->hdr.blob_len);
        if (f->hdr.type == FRAME_REPLY && h->next_id)
                session_send_next(s, h);
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
        tenant *t = tenant_of_host(s, h);
        if (h->req_id) {
                if (h->kind == HOST_RUN) {
                        s->count.runs_failed++;
                        if (t)
                                t->count.runs_failed++;
                }
                (void)reply_error(s->front_fd, h->req_id, 503, "unavailable", NULL, 1,
                                  "the sandbox's supervisor ended before it answered");
        }
        if (h->next_id)
                (void)reply_error(s->front_fd, h->next_id, 503, "unavailable", NULL, 1,
                                  "the session ended before the cell could run");
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
                        host_end(h);
                /* A host that will not end is made to. */
                if (h->ending && mono - h->end_sent_ms > HOST_END_GRACE_MS)
                        (void)kill(h->pid, SIGTERM);
                if (h->ending && mono - h->end_sent_ms > 2 * HOST_END_GRACE_MS)
                        (void)kill(h->pid, SIGKILL);
        }
}

/* Tells the HTTP front who may send a body (front-auth.c): at its start
 * and after each reload. The hashes only: the front sees every token in
 * clear as it passes anyway. */
static int send_auth(server *s) {
        if (s->o->front_fn)
                return 0; /* ward mcp's front: its client is the one who started ward */
        _cleanup_json_ json_t *doc = json_object();
        json_t *tokens = json_array();
        int bad = !doc || json_object_set_new(doc, s->cfg.tokens_required ? "tokens" : "open",
                                              s->cfg.tokens_required ? tokens : json_true());
        if (!s->cfg.tokens_required)
                json_decref(tokens);
        for (size_t i = 0; !bad && s->cfg.tokens_required && i < s->cfg.n_tenants; i++)
                bad = json_array_append_new(tokens, json_string(s->cfg.tenants[i].token_sha256));
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = bad ? -ENOMEM : json_text(doc, JSON_COMPACT, WARD_API_REPLY_JSON_MAX, 0, &text, &len);
        if (r < 0)
                return r;
        return frame_write(s->front_fd, FRAME_AUTH, 0, text, len, NULL, 0);
}

/* SIGHUP: the config file again. One that does not load leaves the old
 * one in place. */
static void reload(server *s, bool loopback) {
        config c;
        ward_error err = {0};
        if (config_load(s->o, loopback, &c, &err) < 0) {
                fprintf(stderr, "%s: reload: %s (the old config stays)\n", serve_log_name, err.msg);
                return;
        }
        /* Use carries over to the same tenant (name and token); what a
         * tenant that is gone started ends. */
        config_replace(s, &c);
        /* Warm sandboxes were started with the old tier's limits: none of
         * them serves again. */
        policy p2;
        if (request_pool_policy(&s->cfg.tier, &p2) == 0) {
                policy_free(&s->pool_policy);
                s->pool_policy = p2;
        }
        for (size_t i = 0; i < s->n_hosts; i++)
                if (s->hosts[i]->kind == HOST_POOL) {
                        s->hosts[i]->warm = false;
                        host_end(s->hosts[i]);
                }
        s->refill_at = clock_mono_ms() + POOL_REFILL_DELAY_MS;
        if (send_auth(s) < 0)
                fprintf(stderr, "%s: reload: the front did not take the new tokens\n", serve_log_name);
        fprintf(stderr, "%s: config reloaded\n", serve_log_name);
}

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

/* Bearer tokens are not sent in cleartext past this machine: an address
 * that is not loopback is served with TLS, unless the operator says
 * --insecure-http (TLS ends at a proxy before ward, say). The files are
 * opened here, so that a wrong path is said at once; the front reads
 * them. */
static int open_tls(server *s, bool loopback, ward_error *err) {
        const serve_opts *o = s->o;
        if (!loopback && !o->tls_cert && !o->insecure_http)
                return err_set(err, -EINVAL,
                               "--listen %s: not a loopback address: serve it with --tls-cert and --tls-key, "
                               "or say --insecure-http",
                               o->listen);
        if (!o->tls_cert)
                return 0;
        const char *paths[2] = {o->tls_cert, o->tls_key}, *flags[2] = {"--tls-cert", "--tls-key"};
        for (int i = 0; i < 2; i++) {
                s->tls_fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (s->tls_fds[i] < 0 || fd_require_regular(s->tls_fds[i]) < 0) {
                        int e = s->tls_fds[i] < 0 ? errno : EINVAL;
                        for (int j = 0; j <= i; j++)
                                if (s->tls_fds[j] >= 0)
                                        close(TAKE_FD(s->tls_fds[j]));
                        return err_set(err, -e, "%s: cannot read '%s': %s", flags[i], paths[i],
                                       e == EINVAL ? "not a regular file" : strerror(e));
                }
        }
        return 0;
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

/* ward-front's arguments beyond its two fds: what front_opts takes from
 * serve_opts (front-main.c parses them). nums holds the numbers' text. */
static void front_args(const server *s, char **argv, size_t *n, char nums[3][24]) {
        const serve_opts *o = s->o;
        const struct {
                const char *flag;
                long long v;
        } num[] = {
                {"--max-connections", o->max_connections},
                {"--header-deadline", o->header_deadline_s},
                {"--body-deadline", o->body_deadline_s},
        };
        for (size_t i = 0; i < ELEMENTSOF(num); i++)
                if (num[i].v) {
                        snprintf(nums[i], sizeof nums[i], "%lld", num[i].v);
                        argv[(*n)++] = (char *)num[i].flag;
                        argv[(*n)++] = nums[i];
                }
        if (s->cfg.tokens_required)
                argv[(*n)++] = "--tokens";
        for (unsigned i = 0; i < o->n_allow_hosts; i++) {
                argv[(*n)++] = "--allow-host";
                argv[(*n)++] = (char *)o->allow_hosts[i];
        }
        if (s->tls_fds[0] >= 0) {
                argv[(*n)++] = "--tls-cert-fd";
                argv[(*n)++] = "5";
                argv[(*n)++] = "--tls-key-fd";
                argv[(*n)++] = "6";
        }
        argv[*n] = NULL;
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
                /* fds 5 and 6 with TLS: the certificate and the key,
                 * read by the front before it confines itself. */
                bool tls = s->tls_fds[0] >= 0;
                int cfd = tls ? fcntl(s->tls_fds[0], F_DUPFD, 10) : -1;
                int kfd = tls ? fcntl(s->tls_fds[1], F_DUPFD, 10) : -1;
                if (lfd < 0 || pfd < 0 || dup2(lfd, 3) < 0 || dup2(pfd, 4) < 0 ||
                    (tls && (cfd < 0 || kfd < 0 || dup2(cfd, 5) < 0 || dup2(kfd, 6) < 0)))
                        _exit(125);
                fd_close_from(tls ? 7 : 5);
                char *argv[12 + 2 * WARD_API_ALLOW_HOSTS_MAX] = {"ward-front", "3", "4"};
                char nums[3][24];
                size_t argc = 3;
                front_args(s, argv, &argc, nums);
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
        frame_reader_init(&s->front_rd, front_request_caps(&(front_opts){.body_max = WARD_API_BODY_MAX,
                                                                         .file_max = WARD_API_FILE_MAX}));
        int r = send_auth(s);
        if (r < 0)
                return err_set(err, r, "cannot reach the front: %s", strerror(-r));
        return 0;
}

static void shutdown_hosts(server *s) {
        for (size_t i = 0; i < s->n_hosts; i++)
                host_end(s->hosts[i]);
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
        server s = {.o = o, .listen_fd = -1, .audit_fd = -1, .front_fd = -1, .front_pidfd = -1, .tls_fds = {-1, -1}};
        bool loopback = true;
        int r;
        if (o->name)
                serve_log_name = o->name;
        /* A server SIGKILLed with its hosts left their cgroups behind;
         * its hosts' runs would remove them only when one starts. */
        cgroup_reap_stale();
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
        r = sigfd < 0 ? -1 : 0;
        if (r == 0 && s.listen_fd >= 0)
                r = open_tls(&s, loopback, err);
        if (r == 0)
                r = start_front(&s, err);
        for (int i = 0; i < 2; i++) /* the front has its copies */
                if (s.tls_fds[i] >= 0)
                        close(TAKE_FD(s.tls_fds[i]));
        if (r < 0) {
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
                fprintf(stderr, "%s: listening on %s (%s%s)\n", serve_log_name, o->listen,
                        s.cfg.tokens_required ? "bearer tokens required" : "one local tenant, no token",
                        o->tls_cert ? ", TLS" : "");
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
                                        reload(&s, loopback);
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
