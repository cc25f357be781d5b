/* fake-parent: ward serve's parent as the front's tests need it.
 *
 * Listens on 127.0.0.1 (--port, 0 for any; the port and the front's pid
 * are printed on stdout as "PORT PID"), forks the real front_main() over a
 * socketpair, and answers every FRAME_REQUEST deterministically:
 *   - by default, 200 with {"echo": <the request JSON, with the body the
 *     blob carries as "body">, "blob_len": N (a file's bytes)};
 *   - file.put also keeps the blob under its path (and echoes);
 *   - file.get answers the kept bytes as application/octet-stream (404
 *     when there are none);
 *   - metrics answers text/plain;
 *   - cell with "stream": true sends 3 chunks {"n": i}, then the echo;
 *   - a body with "fake_status": 429 gets 429 with Retry-After: 2;
 *   - "fake_delay_ms": N delays the answer by N ms (a cancel drops it);
 *   - "fake_silent": true never answers;
 *   - "fake_reply": "TEXT" answers the frame JSON TEXT as it is, with the
 *     blob "fake_blob" (a string) when there is one.
 * With --log FILE each request ("request ID OP") and each cancel ("cancel
 * ID") is appended to FILE as one line. Exits when the front's socket ends
 * (with 0 if the front exited 0) or on SIGTERM, which it passes to the
 * front and then waits for it; nothing is left behind either way. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/jsontext.h"
#include "basic/parse.h"
#include "server/frame.h"
#include "server/front.h"

typedef struct stored {
        struct stored *next;
        char *path;
        char *data;
        size_t len;
} stored;

typedef struct delayed {
        struct delayed *next;
        uint64_t id;
        long long due_ms;
        char *json; /* the reply */
} delayed;

static stored *files;
static delayed *pending;
static int log_fd = -1;

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define log_line(...)                                             \
        do {                                                      \
                if (log_fd >= 0)                                  \
                        fd_write_line(log_fd, NULL, __VA_ARGS__); \
        } while (0)

static int send_json(int fd, uint32_t type, uint64_t id, json_t *doc, const void *blob, size_t blob_len) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = doc ? json_text(doc, JSON_COMPACT, 64u << 20, 0, &text, &len) : -ENOMEM;
        json_decref(doc);
        if (r < 0)
                return r;
        return frame_write(fd, type, id, text, len, blob, blob_len);
}

static stored *find_file(const char *path) {
        for (stored *s = files; s; s = s->next)
                if (strcmp(s->path, path) == 0)
                        return s;
        return NULL;
}

static int keep_file(const char *path, const frame *f) {
        stored *s = find_file(path);
        if (!s) {
                s = calloc(1, sizeof *s);
                if (!s || !(s->path = strdup(path))) {
                        free(s);
                        return -ENOMEM;
                }
                s->next = files;
                files = s;
        }
        free(s->data);
        s->data = NULL;
        s->len = 0;
        if (f->hdr.blob_len > 0) {
                s->data = malloc((size_t)f->hdr.blob_len);
                if (!s->data)
                        return -ENOMEM;
                memcpy(s->data, f->blob, (size_t)f->hdr.blob_len);
                s->len = (size_t)f->hdr.blob_len;
        }
        return 0;
}

static json_t *echo(json_t *req, uint64_t blob_len) {
        return json_pack("{s:i, s:{s:O, s:I}}", "status", 200, "body", "echo", req, "blob_len", (json_int_t)blob_len);
}

static int answer(int fd, const frame *f) {
        json_t *req = json_loads(f->json, 0, NULL);
        if (!req)
                return -EBADMSG;
        const char *op = json_string_value(json_object_get(req, "op"));
        uint64_t blob_len = f->hdr.blob_len;
        if (blob_len && op && strcmp(op, "file.put") != 0) {
                /* A body comes as the blob; it is echoed as "body". */
                json_t *b = json_loadb(f->blob, blob_len, 0, NULL);
                if (!b || json_object_set_new(req, "body", b) < 0) {
                        json_decref(req);
                        return -EBADMSG;
                }
                blob_len = 0;
        }
        json_t *body = json_object_get(req, "body");
        const char *path = json_string_value(json_object_get(req, "path"));
        uint64_t id = f->hdr.id;
        int r = 0;
        log_line("request %llu %s", (unsigned long long)id, op ? op : "?");
        op = op ? op : "";

        if (json_is_true(json_object_get(body, "fake_silent"))) {
                json_decref(req);
                return 0;
        }
        const char *raw = json_string_value(json_object_get(body, "fake_reply"));
        if (raw) {
                const char *blob = json_string_value(json_object_get(body, "fake_blob"));
                r = frame_write(fd, FRAME_REPLY, id, raw, strlen(raw), blob, blob ? strlen(blob) : 0);
                json_decref(req);
                return r;
        }
        json_int_t delay = json_integer_value(json_object_get(body, "fake_delay_ms"));
        if (delay > 0) {
                delayed *d = calloc(1, sizeof *d);
                json_t *reply = echo(req, blob_len);
                size_t len;
                if (!d || !reply || json_text(reply, JSON_COMPACT, 64u << 20, 0, &d->json, &len) < 0) {
                        free(d);
                        json_decref(reply);
                        json_decref(req);
                        return -ENOMEM;
                }
                json_decref(reply);
                d->id = id;
                d->due_ms = now_ms() + delay;
                d->next = pending;
                pending = d;
                json_decref(req);
                return 0;
        }
        if (json_integer_value(json_object_get(body, "fake_status")) == 429) {
                r = send_json(fd, FRAME_REPLY, id,
                              json_pack("{s:i, s:{s:{s:s, s:s, s:n}}, s:{s:s}}", "status", 429, "body", "error", "code",
                                        "rate_limited", "message", "slow down", "field", "headers", "Retry-After", "2"),
                              NULL, 0);
        } else if (strcmp(op, "file.get") == 0) {
                stored *s = path ? find_file(path) : NULL;
                if (s)
                        r = send_json(
                                fd, FRAME_REPLY, id,
                                json_pack("{s:i, s:s}", "status", 200, "content_type", "application/octet-stream"),
                                s->data, s->len);
                else
                        r = send_json(fd, FRAME_REPLY, id,
                                      json_pack("{s:i, s:{s:{s:s, s:s, s:s}}}", "status", 404, "body", "error", "code",
                                                "not_found", "message", "no such file", "field", "path"),
                                      NULL, 0);
        } else if (strcmp(op, "metrics") == 0) {
                static const char text[] = "# TYPE ward_up gauge\nward_up 1\n";
                r = send_json(fd, FRAME_REPLY, id,
                              json_pack("{s:i, s:s}", "status", 200, "content_type", "text/plain; version=0.0.4"), text,
                              sizeof text - 1);
        } else {
                if (strcmp(op, "file.put") == 0 && path)
                        r = keep_file(path, f);
                if (r == 0 && strcmp(op, "cell") == 0 && json_is_true(json_object_get(req, "stream")))
                        for (int i = 1; i <= 3 && r == 0; i++)
                                r = send_json(fd, FRAME_CHUNK, id, json_pack("{s:i, s:s}", "n", i, "text", "chunk\n"),
                                              NULL, 0);
                if (r == 0)
                        r = send_json(fd, FRAME_REPLY, id, echo(req, blob_len), NULL, 0);
        }
        json_decref(req);
        return r;
}

static void cancel(uint64_t id) {
        log_line("cancel %llu", (unsigned long long)id);
        for (delayed **p = &pending; *p; p = &(*p)->next)
                if ((*p)->id == id) {
                        delayed *d = *p;
                        *p = d->next;
                        free(d->json);
                        free(d);
                        return;
                }
}

static int send_due(int fd) {
        long long now = now_ms();
        for (delayed **p = &pending; *p;) {
                delayed *d = *p;
                if (d->due_ms > now) {
                        p = &d->next;
                        continue;
                }
                *p = d->next;
                int r = frame_write(fd, FRAME_REPLY, d->id, d->json, strlen(d->json), NULL, 0);
                free(d->json);
                free(d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int next_timeout(void) {
        long long first = -1;
        for (delayed *d = pending; d; d = d->next)
                if (first < 0 || d->due_ms < first)
                        first = d->due_ms;
        if (first < 0)
                return -1;
        long long left = first - now_ms();
        return left < 0 ? 0 : (int)(left > 60000 ? 60000 : left);
}

static void free_all(void) {
        while (files) {
                stored *s = files;
                files = s->next;
                free(s->path);
                free(s->data);
                free(s);
        }
        while (pending) {
                delayed *d = pending;
                pending = d->next;
                free(d->json);
                free(d);
        }
}

static int usage(void) {
        fprintf(stderr, "usage: fake-parent [--port N] [--log FILE] [--body-max BYTES] [--file-max BYTES] "
                        "[--timeout S] [--reply-timeout S] [--max-connections N]\n");
        return 2;
}

static int parse_args(int argc, char **argv, front_opts *o, uint64_t *port, const char **log_path) {
        for (int i = 1; i < argc; i++) {
                uint64_t v = 0;
                if (i + 1 >= argc)
                        return -EINVAL;
                const char *k = argv[i], *val = argv[++i];
                if (strcmp(k, "--log") == 0) {
                        *log_path = val;
                        continue;
                }
                if (parse_uint64(val, 0, UINT32_MAX, &v) < 0)
                        return -EINVAL;
                if (strcmp(k, "--port") == 0 && v <= 65535)
                        *port = v;
                else if (strcmp(k, "--body-max") == 0)
                        o->body_max = v;
                else if (strcmp(k, "--file-max") == 0)
                        o->file_max = v;
                else if (strcmp(k, "--timeout") == 0)
                        o->timeout_s = (unsigned)v;
                else if (strcmp(k, "--reply-timeout") == 0)
                        o->reply_timeout_s = (unsigned)v;
                else if (strcmp(k, "--max-connections") == 0)
                        o->max_connections = (unsigned)v;
                else
                        return -EINVAL;
        }
        return 0;
}

static int listen_on(uint64_t port) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int bound_port(int fd) {
        struct sockaddr_in a = {0};
        socklen_t len = sizeof a;
        if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
                return -errno;
        return ntohs(a.sin_port);
}

/* Frames from the front until it ends or a signal comes. */
static int loop(int sock, int sfd, pid_t front, int *ret_front_status) {
        frame_reader rd;
        frame_reader_init(
                &rd, front_request_caps(&(front_opts){.body_max = WARD_API_BODY_MAX, .file_max = WARD_API_FILE_MAX}));
        int result = 0;
        bool front_reaped = false;
        for (;;) {
                struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
                int n = poll(p, 2, next_timeout());
                if (n < 0 && errno != EINTR) {
                        result = -errno;
                        break;
                }
                if (send_due(sock) < 0)
                        break;
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGCHLD)
                                break; /* SIGTERM, SIGINT */
                        int st;
                        if (waitpid(front, &st, WNOHANG) == front) {
                                *ret_front_status = st;
                                front_reaped = true;
                                break;
                        }
                }
                if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                frame f;
                int r;
                while ((r = frame_reader_read(&rd, sock, &f)) == 1) {
                        if (f.hdr.type == FRAME_REQUEST)
                                r = answer(sock, &f);
                        else if (f.hdr.type == FRAME_CANCEL)
                                cancel(f.hdr.id);
                        frame_free(&f);
                        if (r < 0)
                                break;
                }
                if (r < 0) {
                        if (r != -EPIPE)
                                fprintf(stderr, "fake-parent: the front's socket: %s\n", strerror(-r));
                        break;
                }
        }
        frame_reader_free(&rd);
        return front_reaped ? 1 : result;
}

int main(int argc, char **argv) {
        front_opts o = {.max_connections = WARD_API_MAX_CONNECTIONS};
        uint64_t port = 0;
        const char *log_path = NULL;
        if (parse_args(argc, argv, &o, &port, &log_path) < 0)
                return usage();
        if (log_path) {
                log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (log_fd < 0) {
                        fprintf(stderr, "fake-parent: %s: %s\n", log_path, strerror(errno));
                        return 1;
                }
        }
        int lfd = listen_on(port);
        if (lfd < 0) {
                fprintf(stderr, "fake-parent: listen: %s\n", strerror(-lfd));
                return 1;
        }
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
                fprintf(stderr, "fake-parent: socketpair: %s\n", strerror(errno));
                return 1;
        }
        int bound = bound_port(lfd);
        sigset_t mask, old;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, &old);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0) {
                fprintf(stderr, "fake-parent: signalfd: %s\n", strerror(errno));
                return 1;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
                fprintf(stderr, "fake-parent: fork: %s\n", strerror(errno));
                return 1;
        }
        if (pid == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                close(sp[0]);
                o.listen_fd = lfd;
                o.parent_fd = sp[1];
                _exit(front_main(&o));
        }
        close(sp[1]);
        close(lfd);
        printf("%d %d\n", bound, (int)pid);
        fflush(stdout);
        /* Every token is known: the front's own checks are what is tested. */
        if (frame_write(sp[0], FRAME_AUTH, 0, "{\"open\":true}", 13, NULL, 0) < 0) {
                fprintf(stderr, "fake-parent: cannot reach the front\n");
                kill(pid, SIGKILL);
                return 1;
        }
        (void)fd_nonblock(sp[0]);

        int st = 0;
        int r = loop(sp[0], sfd, pid, &st);
        if (r != 1) {
                /* Our end: the front sees EOF or SIGTERM and drains. */
                kill(pid, SIGTERM);
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
        }
        close(sp[0]);
        free_all();
        if (WIFSIGNALED(st)) {
                fprintf(stderr, "fake-parent: the front was killed by signal %d\n", WTERMSIG(st));
                return 1;
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
