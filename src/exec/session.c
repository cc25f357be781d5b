/* Sessions: a jail whose program is a REPL driver, and the cell protocol
 * of runtimes/README.md over its control socket.
 *
 * Everything the driver says is untrusted: cell code runs in the driver's
 * own process and can write to the control socket. Lines are bounded,
 * parsed with jansson, and only messages for the cell in progress count. */
#include "exec/session.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/jsontext.h"
#include "basic/clock.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "exec/files.h"
#include "exec/lang.h"
#include "supervise/supervise.h"

/* How long a driver may take to load, and to stop after an interrupt. */
#define READY_TIMEOUT_MS 20000
#define INTERRUPT_GRACE_MS 2000
#define CPU_TICK_MS 20

struct session {
        const policy *policy;
        const lang *lang; /* with a driver */
        supervise_req req;
        sv *sv;
        result res; /* output and events since the last cell ended */
        int ctl;    /* our end of the control socket */
        int home_fd;
        char *line; /* bytes of the driver's current line */
        size_t line_len, line_alloc;
        uint64_t next_id;
        uint64_t execution_count;
        bool ready;
        bool spent; /* a script ran: only release is left */
        /* CPU between cells, from the cgroup's usage: where it stood when
         * the last cell ended (or the driver was ready), what was used
         * since at the last read, and the most that may be (0: no bound
         * but the policy's). Past it the sandbox is ended, and the next
         * cell says why (idle_cpu_killed). */
        uint64_t cpu_mark_ns;
        uint64_t idle_cpu_ns;
        uint64_t idle_cpu_max_ns;
        bool idle_cpu_killed;
};

/* A language with a driver (exec/lang.c's table), by any of its names. */
static const lang *find_driver(const char *language) {
        const lang *l = lang_find(language);
        return l && lang_in(l, LANG_SESSION) ? l : NULL;
}

bool session_language_ok(const char *language) {
        return find_driver(language) != NULL;
}

const char *session_languages(void) {
        return lang_names_of(LANG_SESSION);
}

/* What one message from the driver means for the cell in progress. */
typedef struct cell_state {
        uint64_t id;
        json_t *results, *displays, *error;
        json_t *done;    /* the "done" message, once it came */
        bool broken;     /* the driver said something outside the protocol */
        bool exited;     /* a script's driver said its exit status, */
        int exit_status; /* just before exiting */
        json_t *ready;
        /* What the driver said the cell produced (results and displays),
         * held by this process, outside the sandbox's cgroup: bounded by
         * the output limit in bytes and by WARD_CELL_BUNDLES_MAX in count,
         * whatever the driver (which cell code can talk for) sends. */
        uint64_t bundle_cap;
        uint64_t bundle_bytes;
        unsigned n_bundles;
        bool over_cap; /* past either: the cell ends as output_limit */
} cell_state;

static void handle_message(cell_state *c, const char *line, size_t len) {
        json_error_t jerr;
        json_t *m = json_load_bounded(line, len, JSON_REJECT_DUPLICATES, JSON_BOUNDS_INPUT, &jerr);
        if (!json_is_object(m)) {
                json_decref(m);
                c->broken = true;
                return;
        }
        const char *type = json_string_value(json_object_get(m, "type"));
        json_t *id = json_object_get(m, "id");
        if (type && strcmp(type, "ready") == 0 && !c->ready) {
                c->ready = m;
                return;
        }
        /* Messages for another cell (late, or forged by cell code) are
         * dropped: only the cell in progress has an answer to fill. */
        if (!type || !json_is_integer(id) || (uint64_t)json_integer_value(id) != c->id || c->done) {
                json_decref(m);
                return;
        }
        json_t *data = json_object_get(m, "data");
        if ((strcmp(type, "result") == 0 || strcmp(type, "display") == 0) && json_is_object(data)) {
                if (c->over_cap || c->n_bundles >= WARD_CELL_BUNDLES_MAX || len > c->bundle_cap - c->bundle_bytes) {
                        c->over_cap = true; /* dropped: the cell is ended */
                } else {
                        c->bundle_bytes += len;
                        c->n_bundles++;
                        json_array_append(strcmp(type, "result") == 0 ? c->results : c->displays, data);
                }
        } else if (strcmp(type, "error") == 0 && !c->error) {
                json_t *e = json_object();
                static const char *const keys[] = {"ename", "evalue", "traceback"};
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        json_t *v = json_object_get(m, keys[i]);
                        if (v)
                                json_object_set(e, keys[i], v);
                }
                c->error = e;
        } else if (strcmp(type, "done") == 0) {
                c->done = json_incref(m);
        } else if (strcmp(type, "exit") == 0 && json_is_integer(json_object_get(m, "status")) &&
                   json_integer_value(json_object_get(m, "status")) >= 0 &&
                   json_integer_value(json_object_get(m, "status")) <= 255) {
                c->exited = true;
                c->exit_status = (int)json_integer_value(json_object_get(m, "status"));
        }
        json_decref(m);
}

/* Reads what the control socket has and handles each whole line. <0: the
 * socket ended or a line went over its cap. */
static int read_ctl(session *s, cell_state *c) {
        /* A line is at most what the cell's results may hold in all, and
         * room for its envelope: one over that is the output limit passed
         * (-EFBIG), never a buffer that grows with what the sandbox sends. */
        uint64_t line_max = c->bundle_cap + WARD_DRIVER_LINE_SLACK;
        if (line_max > WARD_DRIVER_MSG_MAX)
                line_max = WARD_DRIVER_MSG_MAX;
        char chunk[65536];
        for (int rounds = 0; rounds < 64; rounds++) {
                ssize_t n = read(s->ctl, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0)
                        return -EPIPE;
                size_t off = 0;
                while (off < (size_t)n) {
                        char *nl = memchr(chunk + off, '\n', (size_t)n - off);
                        size_t take = nl ? (size_t)(nl - (chunk + off)) : (size_t)n - off;
                        if (s->line_len + take > line_max) {
                                c->over_cap = true;
                                return -EFBIG;
                        }
                        if (s->line_len + take + 1 > s->line_alloc) {
                                size_t a = s->line_alloc ? s->line_alloc : 4096;
                                while (a < s->line_len + take + 1)
                                        a *= 2;
                                char *p = realloc(s->line, a);
                                if (!p)
                                        return -ENOMEM;
                                s->line = p;
                                s->line_alloc = a;
                        }
                        memcpy(s->line + s->line_len, chunk + off, take);
                        s->line_len += take;
                        off += take;
                        if (nl) {
                                off++;
                                handle_message(c, s->line, s->line_len);
                                s->line_len = 0;
                        }
                }
        }
        return 0;
}

static void stop(session *s) {
        if (s->sv && s->spent) {
                sv_release(s->sv);
                s->sv = NULL;
                s->spent = false;
        }
        if (s->sv) {
                sv_kill(s->sv, STATUS_OK, NULL);
                result scrap;
                result_init(&scrap, 0);
                sv_set_result(s->sv, &scrap);
                sv_finish(s->sv);
                result_free(&scrap);
                s->sv = NULL;
        }
        if (s->ctl >= 0)
                close(s->ctl);
        if (s->home_fd >= 0)
                close(s->home_fd);
        s->ctl = s->home_fd = -1;
        s->line_len = 0;
        s->ready = false;
}

static void cell_state_free(cell_state *c) {
        json_decref(c->results);
        json_decref(c->displays);
        json_decref(c->error);
        json_decref(c->done);
        json_decref(c->ready);
}

/* CPU used from here on is the session's between cells. */
static void mark_cpu(session *s) {
        uint64_t ns;
        s->idle_cpu_ns = 0;
        if (s->sv && sv_cpu_ns(s->sv, &ns))
                s->cpu_mark_ns = ns;
}

/* Reads the CPU used since the mark (kept when it cannot be read: the
 * last value stands). */
static void read_idle_cpu(session *s) {
        uint64_t ns;
        if (s->sv && sv_cpu_ns(s->sv, &ns))
                s->idle_cpu_ns = ns > s->cpu_mark_ns ? ns - s->cpu_mark_ns : 0;
}

/* Spawns the jail with the driver and waits for its "ready". */
static int launch(session *s, ward_error *err) {
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return err_set(err, -errno, "socketpair: %s", strerror(errno));
        s->req = (supervise_req){
                .policy = s->policy,
                .argv = (char *const *)s->lang->driver.argv,
                .code = (const char *)s->lang->driver.code,
                .code_len = s->lang->driver.code_len,
                .code_name = s->lang->driver.code_name,
                .stdin_fd = -1,
                .stdout_fd = -1,
                .stderr_fd = -1,
                .has_ctl = true,
                .ctl_fd = sp[1],
        };
        int r = sv_start(&s->req, &s->res, &s->sv, err);
        close(sp[1]);
        if (r < 0) {
                close(sp[0]);
                s->sv = NULL;
                return r;
        }
        s->ctl = sp[0];
        (void)fd_nonblock(s->ctl);
        const char *why;
        if (sv_failed(s->sv, &why)) {
                r = err_set(err, -EIO, "session: %s", why);
                stop(s);
                return r;
        }
        cell_state c = {.id = UINT64_MAX, .bundle_cap = s->policy->output};
        uint64_t deadline = clock_mono_ms() + READY_TIMEOUT_MS;
        while (!c.ready) {
                uint64_t now = clock_mono_ms();
                if (!sv_alive(s->sv) || now >= deadline || c.broken) {
                        r = err_set(err, -EIO, "session: the %s driver %s", s->lang->name,
                                    !sv_alive(s->sv) ? "exited before it was ready"
                                    : c.broken       ? "broke the protocol"
                                                     : "was not ready in time");
                        cell_state_free(&c);
                        stop(s);
                        return r;
                }
                struct pollfd pf = {.fd = s->ctl, .events = POLLIN};
                r = sv_poll(s->sv, &pf, 1, (int)(deadline - now));
                if (r >= 0 && (pf.revents & (POLLIN | POLLHUP)))
                        r = read_ctl(s, &c);
                if (r < 0) {
                        r = err_set(err, r, "session: the %s driver's control socket: %s", s->lang->name, strerror(-r));
                        cell_state_free(&c);
                        stop(s);
                        return r;
                }
        }
        cell_state_free(&c);
        s->ready = true;
        mark_cpu(s); /* loading the driver is not the session's use */
        s->home_fd = files_open_home(sv_scratch_fd(s->sv));
        if (s->home_fd < 0) {
                r = err_set(err, s->home_fd, "session: cannot open the work dir: %s", strerror(-s->home_fd));
                stop(s);
                return r;
        }
        return 0;
}

int session_start(const policy *p, const char *language, session **ret, ward_error *err) {
        const lang *d = find_driver(language);
        if (!d)
                return err_set(err, -EINVAL, "language: unknown '%s' (sessions support %s)", language,
                               session_languages());
        session *s = calloc(1, sizeof *s);
        if (!s)
                return err_set(err, -ENOMEM, "out of memory");
        s->policy = p;
        s->lang = d;
        s->ctl = s->home_fd = -1;
        result_init(&s->res, p->output);
        int r = launch(s, err);
        if (r < 0) {
                result_free(&s->res);
                free(s->line);
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

/* Sends the request header and code, as the socket takes them. */
typedef struct outgoing {
        char hdr[64];
        size_t hdr_len, off;
        const char *code;
        size_t code_len;
} outgoing;

static int write_some(session *s, outgoing *o) {
        while (o->off < o->hdr_len + o->code_len) {
                /* Header and code in one message where the socket takes
                 * them: the driver wakes once for the whole request. */
                struct iovec iov[2];
                int n = 0;
                if (o->off < o->hdr_len)
                        iov[n++] = (struct iovec){.iov_base = o->hdr + o->off, .iov_len = o->hdr_len - o->off};
                size_t code_off = o->off > o->hdr_len ? o->off - o->hdr_len : 0;
                if (code_off < o->code_len)
                        iov[n++] = (struct iovec){.iov_base = (char *)o->code + code_off,
                                                  .iov_len = o->code_len - code_off};
                struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
                ssize_t w = sendmsg(s->ctl, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        return 0;
                if (w < 0)
                        return -errno;
                o->off += (size_t)w;
        }
        return 0;
}

/* Output already in the pipes when "done" came is read before the answer
 * is made: the driver flushed it before it wrote "done". */
static void drain_output(session *s, result *res) {
        for (int i = 0; i < 64 && s->sv && !sv_ended(s->sv); i++) {
                size_t before = res->out.len + res->err.len;
                if (sv_poll(s->sv, NULL, 0, 0) < 0 || res->out.len + res->err.len == before)
                        break;
        }
}

typedef enum { CELL_DONE, CELL_TIMEOUT, CELL_CPU, CELL_CANCELLED, CELL_CRASHED } cell_end;

typedef struct cell_run {
        cell_state c;
        cell_end end;
        bool stuck;        /* interrupted, and did not stop */
        bool status_ready; /* a script's exit status is there to read */
        uint64_t wall_ms, cpu_ms;
        bool interrupted;
} cell_run;

/* Sends one request and runs the loop until the driver answers "done",
 * dies, or will not stop after an interrupt. For a script the driver's
 * exit is the normal end. */
static int exchange(session *s, const char *op, const char *code, size_t len, const cell_opts *o, result *res,
                    cell_run *cr) {
        uint64_t id = ++s->next_id;
        cr->c = (cell_state){
                .id = id,
                .results = json_array(),
                .displays = json_array(),
                .bundle_cap = s->policy->output,
        };
        if (!cr->c.results || !cr->c.displays)
                return -ENOMEM;
        outgoing out = {.code = code, .code_len = len};
        out.hdr_len = (size_t)snprintf(out.hdr, sizeof out.hdr, "%s %" PRIu64 " %zu\n", op, id, len);
        bool script = strcmp(op, "script") == 0;

        s->req.on_output = o->on_output;
        s->req.ctx = o->ctx;
        sv_set_result(s->sv, res);
        uint64_t t0 = clock_mono_ms(), cpu0 = 0, cpu = 0;
        bool have_cpu = sv_cpu_ns(s->sv, &cpu0);
        uint64_t deadline = t0 + o->wall_ms, grace = 0;
        bool watch_cancel = !script && o->cancelled && o->cancel_fd >= 0;
        int r = write_some(s, &out);
        cr->end = CELL_DONE;
        while (r >= 0) {
                if (!sv_alive(s->sv)) {
                        if (!cr->interrupted)
                                cr->end = script ? CELL_DONE : CELL_CRASHED;
                        break;
                }
                if (cr->c.done || cr->c.broken || (script && cr->c.exited))
                        break;
                uint64_t now = clock_mono_ms();
                if (!cr->interrupted && now >= deadline) {
                        cr->end = CELL_TIMEOUT;
                } else if (!cr->interrupted && have_cpu && sv_cpu_ns(s->sv, &cpu) &&
                           cpu - cpu0 >= o->cpu_ms * 1000000ull) {
                        cr->end = CELL_CPU;
                }
                if (!cr->interrupted && cr->end != CELL_DONE) {
                        if (cr->end != CELL_CANCELLED)
                                result_event(res, "limit", cr->end == CELL_TIMEOUT ? "wall_time" : "cpu_time", 1);
                        cr->interrupted = true;
                        grace = now + INTERRUPT_GRACE_MS;
                        if (script) {
                                /* A one-shot run ends at its limit, as ward run's does. */
                                sv_kill(s->sv, cr->end == CELL_TIMEOUT ? STATUS_TIMEOUT : STATUS_CPU_LIMIT, NULL);
                        } else {
                                (void)sv_interrupt(s->sv);
                        }
                }
                if (cr->interrupted && now >= grace && !script) {
                        cr->stuck = true;
                        break;
                }
                uint64_t until = cr->interrupted ? grace : deadline;
                int timeout = until > now ? (int)(until - now) : 0;
                if (have_cpu && timeout > CPU_TICK_MS)
                        timeout = CPU_TICK_MS;
                /* A script ends when the init reports the program's exit
                 * status, before the init itself has torn the sandbox down. */
                struct pollfd pf[3] = {{.fd = s->ctl, .events = POLLIN},
                                       {.fd = script ? sv_status_fd(s->sv) : -1, .events = POLLIN},
                                       {.fd = watch_cancel ? o->cancel_fd : -1, .events = POLLIN}};
                if (s->ctl >= 0 && out.off < out.hdr_len + out.code_len)
                        pf[0].events |= POLLOUT;
                r = sv_poll(s->sv, pf, 3, timeout);
                if (r < 0)
                        break;
                if (watch_cancel && pf[2].revents) {
                        watch_cancel = false; /* asked once: what follows is the caller's */
                        if (o->cancelled(o->ctx) && !cr->interrupted)
                                cr->end = CELL_CANCELLED; /* interrupted at the top of the loop */
                }
                if (pf[1].revents) {
                        cr->status_ready = true;
                        break;
                }
                if (pf[0].revents & POLLOUT)
                        r = write_some(s, &out);
                if (r >= 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        int rr = read_ctl(s, &cr->c);
                        /* A script's driver closes the socket as it exits:
                         * the pidfd says the rest. A cell's closing it
                         * (cell code closed fd 100) breaks the session. */
                        if (rr == -EPIPE && script) {
                                close(s->ctl);
                                s->ctl = -1;
                        } else if (rr < 0 && !cr->c.over_cap) {
                                cr->c.broken = true;
                        }
                        /* Past the output limit through the control socket:
                         * ended as output to stdout past it would be. */
                        if (cr->c.over_cap) {
                                sv_kill(s->sv, STATUS_OUTPUT_LIMIT, "output");
                                break;
                        }
                }
                if (r == -EPIPE || r == -ECONNRESET)
                        r = 0; /* the driver went away: its exit tells the rest */
        }
        if (cr->c.broken && cr->end == CELL_DONE)
                cr->end = CELL_CRASHED;
        drain_output(s, res);
        cr->wall_ms = clock_mono_ms() - t0;
        if (have_cpu && sv_cpu_ns(s->sv, &cpu))
                cr->cpu_ms = (cpu - cpu0) / 1000000;
        s->req.on_output = NULL;
        return r;
}

static int set(json_t *doc, const char *key, json_t *v) {
        return json_object_set_new(doc, key, v);
}

int session_cell(session *s, const char *code, size_t len, const cell_opts *o, json_t **ret, ward_error *err) {
        *ret = NULL;
        bool restarted_before = false, idle_cpu_killed = s->idle_cpu_killed;
        /* What the session used since the last cell ended, read before a
         * dead sandbox's cgroup goes away. */
        read_idle_cpu(s);
        uint64_t since_last_ms = s->idle_cpu_ns / 1000000;
        s->idle_cpu_killed = false;
        if (!s->sv || !sv_alive(s->sv) || s->ctl < 0 || idle_cpu_killed) {
                stop(s);
                int r = launch(s, err);
                if (r < 0)
                        return r;
                restarted_before = true;
                s->execution_count = 0;
        }
        /* Output the session made between cells belongs to this one. */
        result res = s->res;
        result_init(&s->res, s->policy->output);

        files_snapshot before = {0}, after = {0};
        (void)files_snapshot_take(s->home_fd, &before);
        cell_run cr = {0};
        int r = exchange(s, "cell", code, len, o, &res, &cr);
        if (r < 0) {
                cr.end = CELL_CRASHED;
                r = 0;
        }
        if (cr.end == CELL_DONE || cr.end == CELL_TIMEOUT || cr.end == CELL_CPU || cr.end == CELL_CANCELLED)
                s->execution_count++;
        mark_cpu(s);
        json_t *doc = NULL;
        /* ward itself may have ended the sandbox during the cell (its
         * output past the cap, too many denied calls), even when the
         * driver's "done" came first. */
        run_status killed = sv_killed_for(s->sv);
        bool restart = cr.end == CELL_CRASHED || cr.stuck || !sv_alive(s->sv) || killed != STATUS_OK;
        if (restart) {
                /* The driver is gone or will not stop: what it did is
                 * classified (exit code, signal, a limit), and a fresh one
                 * takes its place. */
                sv_finish(s->sv);
                s->sv = NULL;
        }
        doc = result_to_json(&res);
        if (!doc) {
                result_free(&res);
                files_snapshot_free(&before);
                cell_state_free(&cr.c);
                return err_set(err, -ENOMEM, "out of memory");
        }
        (void)files_snapshot_take(s->home_fd, &after);
        const char *status = "ok";
        switch (cr.end) {
        case CELL_DONE: {
                const char *ds = json_string_value(json_object_get(cr.c.done, "status"));
                status = cr.c.error || (ds && strcmp(ds, "error") == 0) ? "error" : "ok";
                break;
        }
        case CELL_TIMEOUT:
                status = "timeout";
                break;
        case CELL_CPU:
                status = "cpu_limit";
                break;
        case CELL_CANCELLED:
                status = "cancelled";
                break;
        case CELL_CRASHED:
                status = strcmp(json_string_value(json_object_get(doc, "status")), "memory_limit") == 0 ? "memory_limit"
                         : strcmp(json_string_value(json_object_get(doc, "status")), "pids_limit") == 0 ? "pids_limit"
                                                                                                        : "crashed";
                break;
        }
        if (killed != STATUS_OK && killed != STATUS_ERROR)
                status = status_name(killed);
        int bad = 0;
        if (!restart) {
                json_object_del(doc, "exit_code");
                json_object_del(doc, "signal");
        }
        json_object_del(doc, "memory_peak_bytes");
        json_object_del(doc, "protections");
        json_object_del(doc, "cgroup");
        json_object_del(doc, "error");
        bad |= set(doc, "status", json_string(status));
        bad |= set(doc, "wall_ms", json_integer((json_int_t)cr.wall_ms));
        bad |= set(doc, "cpu_ms", json_integer((json_int_t)cr.cpu_ms));
        bad |= set(doc, "cpu_since_last_ms", json_integer((json_int_t)since_last_ms));
        bad |= set(doc, "results", json_incref(cr.c.results));
        bad |= set(doc, "displays", json_incref(cr.c.displays));
        bad |= set(doc, "error", cr.c.error ? json_incref(cr.c.error) : json_null());
        bad |= set(doc, "execution_count", json_integer((json_int_t)s->execution_count));
        json_t *bash_exit = json_object_get(cr.c.done, "exit_code");
        if (!restart && json_is_integer(bash_exit))
                bad |= set(doc, "exit_code", json_incref(bash_exit));
        bad |= set(doc, "files_changed", files_diff_json(&before, &after));
        if (restart) {
                stop(s);
                ward_error lerr = {0};
                int lr = launch(s, &lerr);
                bad |= set(doc, "session_restarted", json_true());
                bad |= set(doc, "message",
                           json_string(lr < 0     ? lerr.msg
                                       : cr.stuck ? "the cell did not stop when interrupted: the session was "
                                                    "restarted, and its variables and files are gone"
                                                  : "the interpreter ended: the session was restarted, and its "
                                                    "variables and files are gone"));
                if (lr >= 0)
                        s->execution_count = 0;
        } else {
                /* Before this cell, when the session had died idle, or
                 * ward ended it for its CPU between cells. */
                bad |= set(doc, "session_restarted", json_boolean(restarted_before));
                if (idle_cpu_killed) {
                        bad |= set(doc, "restart_reason", json_string("cpu_limit"));
                        bad |= set(doc, "message",
                                   json_sprintf("processes left running after the last cell used more CPU time "
                                                "than a cell may (%" PRIu64 " ms): ward ended the session, which "
                                                "was restarted, and its variables and files are gone",
                                                s->idle_cpu_max_ns / 1000000));
                } else if (restarted_before) {
                        bad |= set(doc, "message",
                                   json_string("the interpreter had ended since the last cell: the session was "
                                               "restarted, and its variables and files are gone"));
                }
                /* Output and events from here to the next cell are that
                 * cell's: this one's result is freed below. */
                if (s->sv)
                        sv_set_result(s->sv, &s->res);
        }
        files_snapshot_free(&before);
        files_snapshot_free(&after);
        cell_state_free(&cr.c);
        result_free(&res);
        if (bad) {
                json_decref(doc);
                return err_set(err, -ENOMEM, "out of memory");
        }
        *ret = doc;
        return r;
}

int session_script(session *s, const char *code, size_t len, const cell_opts *o, result *res, ward_error *err) {
        if (!s->sv || s->spent || !sv_alive(s->sv))
                return err_set(err, -ESRCH, "session: the warm sandbox is gone");
        /* Whatever the driver printed while it waited is not the run's;
         * the protections in force are. */
        res->protections = s->res.protections;
        res->cgroup_version = s->res.cgroup_version;
        result_free(&s->res);
        result_init(&s->res, s->policy->output);
        cell_run cr = {0};
        int r = exchange(s, "script", code, len, o, res, &cr);
        if (r < 0)
                sv_kill(s->sv, STATUS_ERROR, NULL);
        /* The driver exits with the program's status, which the init
         * reports as for any run. */
        if (cr.c.exited && !cr.status_ready && r >= 0)
                sv_set_reported_status(s->sv, cr.c.exit_status);
        else if (!cr.status_ready)
                while (!sv_ended(s->sv) && sv_poll(s->sv, NULL, 0, 200) >= 0)
                        ;
        /* The result is complete now; the sandbox's teardown and the
         * cgroup's removal wait for session_free(), after the caller has
         * answered. */
        sv_collect(s->sv);
        s->spent = true;
        res->wall_ms = cr.wall_ms;
        if (cr.cpu_ms > res->cpu_ms)
                res->cpu_ms = cr.cpu_ms;
        cell_state_free(&cr.c);
        if (r < 0)
                return err_set(err, r, "session: %s", strerror(-r));
        return 0;
}

void session_limit_idle_cpu(session *s, uint64_t cpu_ms) {
        s->idle_cpu_max_ns = cpu_ms * 1000000ull;
}

/* The CPU the session used since the last cell, against its bound: -1
 * when it is past it (the sandbox is ended), else how long to wait before
 * the next read, at most timeout_ms. The rest of the budget cannot be
 * spent faster than the cgroup's CPU rate lets, so the reads come only as
 * often as they must (and never more often than the least interval). */
static int check_idle_cpu(session *s, int timeout_ms) {
        if (!s->idle_cpu_max_ns)
                return timeout_ms;
        read_idle_cpu(s);
        if (s->idle_cpu_ns > s->idle_cpu_max_ns) {
                sv_kill(s->sv, STATUS_CPU_LIMIT, "cpu_time");
                s->idle_cpu_killed = true;
                return -1;
        }
        uint64_t rate = s->policy->cpu_rate_milli ? s->policy->cpu_rate_milli : 1;
        uint64_t next = (s->idle_cpu_max_ns - s->idle_cpu_ns) / 1000 / rate; /* ms at that rate */
        if (next < WARD_SESSION_IDLE_CHECK_MIN_MS)
                next = WARD_SESSION_IDLE_CHECK_MIN_MS;
        if (next > WARD_SESSION_IDLE_CHECK_MAX_MS)
                next = WARD_SESSION_IDLE_CHECK_MAX_MS;
        return timeout_ms >= 0 && (uint64_t)timeout_ms < next ? timeout_ms : (int)next;
}

bool session_idle(session *s, int fd, int timeout_ms) {
        if (!s->sv || !sv_alive(s->sv) || s->idle_cpu_killed)
                return false;
        int wait_ms = check_idle_cpu(s, timeout_ms);
        if (wait_ms < 0)
                return false;
        struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->ctl, .events = POLLIN}};
        if (sv_poll(s->sv, pf, 2, wait_ms) < 0)
                return false;
        if (pf[1].revents) {
                /* Between cells the driver has nothing to say; what cell
                 * code writes there is read and dropped. */
                cell_state c = {.id = 0, .bundle_cap = s->policy->output};
                int r = read_ctl(s, &c);
                cell_state_free(&c);
                if (r < 0) {
                        /* The driver's socket is closed or flooded: the
                         * session cannot take a cell any more. */
                        sv_kill(s->sv, STATUS_ERROR, NULL);
                        return false;
                }
        }
        return sv_alive(s->sv);
}

bool session_alive(const session *s) {
        return s->sv && !s->spent && sv_alive(s->sv);
}

uint64_t session_execution_count(const session *s) {
        return s->execution_count;
}

const char *session_language(const session *s) {
        return s->lang->name;
}

const policy *session_policy(const session *s) {
        return s->policy;
}

int session_home_fd(const session *s) {
        return s->home_fd;
}

void session_free(session *s) {
        if (!s)
                return;
        stop(s);
        result_free(&s->res);
        free(s->line);
        free(s);
}
