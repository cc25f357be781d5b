/* The HTTP front of ward serve: requests in, frames out (see front.h).
 *
 * Threads. libmicrohttpd runs one thread per client connection (poll,
 * internal polling thread); each request's handler builds its
 * FRAME_REQUEST, writes it under write_lock and sleeps on its own eventfd
 * until its answer comes. The process's main thread is the only reader of
 * the parent's socket: it hands each frame to the waiter with the same id
 * and never blocks on anything but ppoll, so a parent busy writing to us is
 * always read, whoever is writing to it. Replies for different requests
 * may interleave; frames for an id nobody waits for any more (the client
 * went away) are dropped.
 *
 * The contract with the parent, frame by frame:
 *   FRAME_AUTH     (from the parent, at the start and after each reload)
 *                  {"open": true} or {"tokens": [hex SHA-256...]}: whose
 *                  requests may have their bodies read (front-auth.c).
 *   FRAME_REQUEST  the envelope {"op", "stream", "peer", and as they
 *                  apply "token", "session", "path", "dir"}, at most
 *                  WARD_API_ENVELOPE_MAX; blob: the body as the client
 *                  sent it (a JSON object's text, checked here) or a PUT
 *                  file.
 *   FRAME_CHUNK    (stream requests only) one JSON object, sent to the
 *                  client as one ndjson line.
 *   FRAME_REPLY    {"status": 200..599, "body": any JSON} -> that JSON, or
 *                  {"status", "content_type": "..."} -> the blob, raw, or
 *                  {"status"} alone -> an empty body; optional "headers"
 *                  among Retry-After, Location, Content-Disposition.
 *                  Anything else is answered 502 to the client.
 *   FRAME_CANCEL   "{}": the client went away; drop the work if you can.
 *
 * Everything a client sends is bounded: its connections in number, per
 * address, and in time (a deadline for the headers and one for the body,
 * front-guard.c); headers by libmicrohttpd's per-connection memory; a body is not read at all without a token the
 * parent named (401 on the headers); bodies by body_max or file_max (413),
 * all bodies held at once by WARD_API_BUFFERED_MAX (503), a JSON body's
 * values and nesting by JSON_BOUNDS_INPUT (400), bodies parsed at once by
 * WARD_API_PARSES_MAX; tokens, session ids and paths by their own caps;
 * and the whole process by its RLIMIT_DATA (WARD_API_FRONT_DATA_MAX). The parent is trusted but a bad frame from it
 * is a 502 or the front's orderly end, never a crash.
 *
 * This file is the process: the state every thread shares (front), the
 * signals, the main thread's loop over the parent's socket and the drain,
 * and front_main. The other front-*.c files, and what each owns, are
 * listed in front-internal.h. */
#include "server/front-internal.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/clock.h"
#include "basic/fd.h"

front_state front = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .write_lock = PTHREAD_MUTEX_INITIALIZER,
};

static volatile sig_atomic_t got_term;

/* One line on stderr, in one write (fd_write_line). */
#define say(...) fd_write_line(STDERR_FILENO, "ward serve: front: ", __VA_ARGS__)

static void on_term(int sig) {
        (void)sig;
        got_term = 1;
}

/* SIGTERM and SIGINT are blocked in every thread and let through only
 * while the main thread waits in ppoll: no handler ever runs inside
 * libmicrohttpd or a lock. SIGPIPE is ignored: a client gone is an
 * error from send(). */
static int setup_signals(sigset_t *ret_waitmask) {
        struct sigaction sa = {.sa_handler = on_term};
        sigemptyset(&sa.sa_mask);
        struct sigaction ign = {.sa_handler = SIG_IGN};
        sigemptyset(&ign.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGPIPE, &ign, NULL) < 0)
                return -errno;
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);
        if (sigprocmask(SIG_BLOCK, &block, ret_waitmask) < 0)
                return -errno;
        sigdelset(ret_waitmask, SIGTERM);
        sigdelset(ret_waitmask, SIGINT);
        return 0;
}

static unsigned active_count(void) {
        pthread_mutex_lock(&front.lock);
        unsigned n = front.active;
        pthread_mutex_unlock(&front.lock);
        return n;
}

/* The main thread: the parent's frames, SIGTERM, and the drain. */
static int serve(struct MHD_Daemon *d, const sigset_t *waitmask) {
        frame_reader rd;
        frame_reader_init(&rd, (frame_caps){.json_max = WARD_API_REPLY_JSON_MAX, .blob_max = WARD_API_REPLY_BLOB_MAX});
        uint64_t drain_until = 0;
        int status = 0;
        bool parent_ended = false;
        for (;;) {
                if (got_term && !drain_until) {
                        /* Stop taking connections; let what is in flight
                         * finish, for a while. */
                        pthread_mutex_lock(&front.lock);
                        front.draining = true;
                        pthread_mutex_unlock(&front.lock);
                        int lfd = MHD_quiesce_daemon(d);
                        if (lfd >= 0)
                                close(lfd);
                        drain_until = clock_mono_ms() + WARD_API_DRAIN_S * 1000;
                }
                if (drain_until && (active_count() == 0 || clock_mono_ms() >= drain_until))
                        break;
                struct pollfd p = {.fd = front.o.parent_fd, .events = POLLIN};
                struct timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
                int n = ppoll(&p, 1, drain_until ? &tick : NULL, waitmask);
                if (n < 0 && errno != EINTR) {
                        say("ppoll: %s", strerror(errno));
                        status = 1;
                        break;
                }
                if (n <= 0)
                        continue;
                int r = front_read_parent(&rd);
                if (r == 0)
                        continue;
                parent_ended = true;
                if (r < 0) {
                        char why[sizeof front.gone_why];
                        pthread_mutex_lock(&front.lock);
                        bool known = front.parent_gone;
                        memcpy(why, front.gone_why, sizeof why);
                        pthread_mutex_unlock(&front.lock);
                        if (known && why[0]) {
                                say("%s", why);
                                status = 1;
                        } else if (!known && r != -ECONNRESET) {
                                say("the parent's socket: %s", strerror(-r));
                                status = 1;
                        }
                }
                break;
        }
        frame_reader_free(&rd);
        /* Whoever still waits gets 503; the parent, if it is still there,
         * a cancel for each. */
        front_mux_end(parent_ended);
        /* A moment for those 503s to leave before every connection is
         * shut down. */
        for (int i = 0; i < 20 && active_count() > 0; i++) {
                struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
                (void)ppoll(NULL, 0, &pause, waitmask);
        }
        return status;
}

int front_main(const front_opts *o) {
        front.o = *o;
        if (!front.o.max_connections)
                front.o.max_connections = WARD_API_MAX_CONNECTIONS;
        if (!front.o.body_max)
                front.o.body_max = WARD_API_BODY_MAX;
        if (!front.o.file_max)
                front.o.file_max = WARD_API_FILE_MAX;
        if (!front.o.timeout_s)
                front.o.timeout_s = WARD_API_TIMEOUT_S;
        if (!front.o.reply_timeout_s)
                front.o.reply_timeout_s = WARD_API_REPLY_TIMEOUT_S;

        sigset_t waitmask;
        int r = setup_signals(&waitmask);
        if (r < 0) {
                say("signals: %s", strerror(-r));
                return 1;
        }

        /* Each connection holds its socket and, while it waits for the
         * parent, an eventfd: the soft fd limit is raised to fit, within
         * the hard one (no system call for it is left afterwards). */
        struct rlimit nofile;
        rlim_t want = 2 * (rlim_t)front.o.max_connections + 64;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < want) {
                nofile.rlim_cur = want < nofile.rlim_max ? want : nofile.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &nofile) < 0) {
                        say("cannot raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)nofile.rlim_cur,
                            strerror(errno));
                        return 1;
                }
        }

        /* What the front holds is bounded whatever it is sent: bodies by
         * their budget, parses by WARD_API_PARSES_MAX, and all of it, with
         * the connection threads' stacks, by its data limit, past which an
         * allocation fails and the request is answered 503. (Not under
         * AddressSanitizer, whose shadow memory the limit would count.) */
#ifndef __SANITIZE_ADDRESS__
        struct rlimit data;
        if (getrlimit(RLIMIT_DATA, &data) == 0) {
                data.rlim_cur = data.rlim_max < WARD_API_FRONT_DATA_MAX ? data.rlim_max : WARD_API_FRONT_DATA_MAX;
                data.rlim_max = data.rlim_cur;
        }
        if (setrlimit(RLIMIT_DATA, &data) < 0) {
                say("cannot set RLIMIT_DATA: %s", strerror(errno));
                return 1;
        }
#endif

        unsigned applied = 0;
        char missing[256];
        ward_error err = {0};
        r = front_confine(&front.o, &applied, missing, sizeof missing, &err);
        if (r < 0) {
                say("confinement failed: %s", err.msg);
                return 1;
        }
        if (missing[0]) {
                char in_force[128] = "";
                for (unsigned bit = 1; bit <= FRONT_CONF_SECCOMP; bit <<= 1)
                        if ((applied & bit) && front_conf_name(bit)) {
                                size_t n = strlen(in_force);
                                snprintf(in_force + n, sizeof in_force - n, "%s%s", n ? " " : "", front_conf_name(bit));
                        }
                say("running without %s; in force: %s", missing, in_force);
        }

        r = fd_nonblock(front.o.parent_fd);
        if (r < 0) {
                say("parent socket: %s", strerror(-r));
                return 1;
        }
        /* Started after the confinement: every thread it makes inherits
         * the seccomp filter, the landlock domain and the signal mask. */
        struct MHD_Daemon *d = front_http_start();
        if (!d) {
                say("could not start the HTTP server");
                return 1;
        }
        int status = serve(d, &waitmask);
        MHD_stop_daemon(d);
        return status;
}
