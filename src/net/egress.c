/* Egress through the allowlist (see egress.h for the design). */
#include "net/egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "net/dns.h"
#include "net/relay.h"
#include "net/rules.h"

/* ward's own addresses for allowed names: 198.18.0.0/15 (RFC 2544), which
 * nothing routes; inside the sandbox nothing routes anywhere anyway. */
#define FAKE_NET 0xc6120000u /* 198.18.0.0 */
#define FAKE_MASK 0xfffe0000u
#define CONNECT_TIMEOUT_MS 10000
#define DNS_TTL 60u

typedef enum { CONN_PENDING, CONN_OPEN } conn_state;

typedef struct conn {
        conn_state state;
        uint64_t notif_id;
        int prog_fd;     /* ward's copy of the program's socket, while pending */
        int prog_family; /* AF_INET or AF_INET6: how it reaches the relay */
        uint64_t deadline_ms;
        size_t record; /* index into records, or WARD_NET_RECORDS_MAX */
        relay relay;   /* host: connecting while pending; side: once open */
} conn;

typedef struct lookup {
        int fd; /* the lookup thread answers here */
        uint64_t id;
        int prog_fd;
        uint16_t port;
        uint64_t deadline_ms;
        char name[NET_NAME_MAX + 1];
} lookup;

typedef struct name_slot {
        char s[NET_NAME_MAX + 1];
} name_slot;

typedef struct record {
        char name[NET_NAME_MAX + 1];
        char address[INET6_ADDRSTRLEN];
        uint16_t port;
        const char *protocol;
        const char *verdict;
        char rule[NET_NAME_MAX + 48];
        char error[48];
        uint64_t bytes_out, bytes_in;
} record;

struct egress {
        net_rules *rules;
        const policy_net *pn;
        egress_events ev;
        int notify_fd, dns_fd, relay_fd;
        struct sockaddr_in relay_addr;
        name_slot *names; /* fake address i+1 -> name */
        size_t n_names;
        conn **conns;
        size_t n_conns, max_conns;
        struct lookup *lookups; /* at most max_conns, with the connections */
        size_t n_lookups;
        uint64_t connections;
        relay_meter meter;   /* bytes and the limit passed first */
        bool limit_reported; /* ev.limit_hit was told */
        record *records;
        size_t n_records;
        uint64_t records_dropped;
};

int egress_new(const policy_net *pn, const egress_events *ev, egress **ret, ward_error *err) {
        egress *e = calloc(1, sizeof *e);
        if (!e)
                return err_set(err, -ENOMEM, "out of memory");
        e->pn = pn;
        e->ev = *ev;
        e->meter.max_out = pn->max_bytes_out;
        e->meter.max_in = pn->max_bytes_in;
        e->notify_fd = e->dns_fd = e->relay_fd = -1;
        e->max_conns = pn->max_connections < WARD_NET_CONNECTIONS_MAX ? pn->max_connections : WARD_NET_CONNECTIONS_MAX;
        /* Six fds per relayed connection: ward may need more than the
         * usual soft limit of 1024. The hard limit stays what it is. */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
                nofile.rlim_cur = nofile.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &nofile) < 0) {
                        int saved = errno;
                        free(e);
                        return err_set(err, -saved, "cannot raise RLIMIT_NOFILE for the network relay: %s",
                                       strerror(saved));
                }
        }
        e->rules = calloc(1, sizeof *e->rules);
        e->names = calloc(WARD_NET_NAMES_MAX, sizeof *e->names);
        e->conns = calloc(e->max_conns, sizeof(conn *));
        e->lookups = calloc(e->max_conns, sizeof(lookup));
        e->records = calloc(WARD_NET_RECORDS_MAX, sizeof *e->records);
        if (!e->rules || !e->names || !e->conns || !e->lookups || !e->records) {
                egress_free(e);
                return err_set(err, -ENOMEM, "out of memory");
        }
        int r = 0;
        for (size_t i = 0; r >= 0 && i < pn->n_allow; i++)
                r = net_rule_parse(pn->allow[i], "allow", i, &e->rules->allow[e->rules->n_allow++], err);
        for (size_t i = 0; r >= 0 && i < pn->n_deny; i++)
                r = net_rule_parse(pn->deny[i], "deny", i, &e->rules->deny[e->rules->n_deny++], err);
        for (size_t i = 0; r >= 0 && i < pn->n_hosts; i++) {
                char name[NET_NAME_MAX + 1];
                const char *eq = strchr(pn->hosts[i], '=');
                snprintf(name, sizeof name, "%.*s", (int)(eq - pn->hosts[i]), pn->hosts[i]);
                r = net_host_add(e->rules, name, eq + 1, err);
        }
        if (r < 0) {
                egress_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

static void conn_free(conn *c) {
        if (!c)
                return;
        relay_close(&c->relay);
        if (c->prog_fd >= 0)
                close(c->prog_fd);
        free(c);
}

void egress_free(egress *e) {
        if (!e)
                return;
        for (size_t i = 0; i < e->n_conns; i++)
                conn_free(e->conns[i]);
        for (size_t i = 0; i < e->n_lookups; i++) {
                close(e->lookups[i].fd);
                close(e->lookups[i].prog_fd);
        }
        free(e->lookups);
        if (e->dns_fd >= 0)
                close(e->dns_fd);
        if (e->relay_fd >= 0)
                close(e->relay_fd);
        free(e->conns);
        free(e->names);
        free(e->rules);
        free(e->records);
        free(e);
}

void egress_attach(egress *e, int notify_fd, int dns_fd, int relay_fd) {
        e->notify_fd = notify_fd;
        e->dns_fd = dns_fd;
        e->relay_fd = relay_fd;
        socklen_t len = sizeof e->relay_addr;
        if (relay_fd >= 0 && getsockname(relay_fd, (struct sockaddr *)&e->relay_addr, &len) < 0)
                memset(&e->relay_addr, 0, sizeof e->relay_addr);
}

bool egress_wants(const struct seccomp_notif *req) {
        return req->data.nr == SYS_connect || req->data.nr == SYS_sendto || req->data.nr == SYS_sendmsg ||
               req->data.nr == SYS_sendmmsg;
}

static void respond(egress *e, uint64_t id, int error, bool cont) {
        struct seccomp_notif_resp r = {
                .id = id,
                .error = error,
                .val = 0,
                .flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0,
        };
        (void)ioctl(e->notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &r); /* ENOENT: the caller is gone */
}

static void event(egress *e, const char *type, const char *what) {
        e->ev.event(e->ev.ctx, type, what);
}

static record *new_record(egress *e, const char *name, const net_addr *a, uint16_t port, const char *protocol) {
        if (e->n_records >= WARD_NET_RECORDS_MAX) {
                e->records_dropped++;
                return NULL;
        }
        record *rec = &e->records[e->n_records++];
        snprintf(rec->name, sizeof rec->name, "%s", name ? name : "");
        if (a)
                net_addr_format(a, rec->address, sizeof rec->address);
        rec->port = port;
        rec->protocol = protocol;
        return rec;
}

/* One refused attempt: an event (aggregated by destination) and a record. */
static void refuse(egress *e, uint64_t id, int error, const char *name, const net_addr *a, uint16_t port,
                   const char *protocol, const char *why, const net_rule *rule) {
        char addr[INET6_ADDRSTRLEN] = "", ev[192];
        if (a)
                net_addr_format(a, addr, sizeof addr);
        snprintf(ev, sizeof ev, "%s %s%s%s%s:%u %s", protocol, name ? name : "", name && a ? " (" : "", addr,
                 name && a ? ")" : "", port, why);
        event(e, "network_refused", ev);
        record *rec = new_record(e, name, a, port, protocol);
        if (rec) {
                rec->verdict = why;
                if (rule)
                        snprintf(rec->rule, sizeof rec->rule, "%s", rule->text);
        }
        respond(e, id, error, false);
}

/* The sockaddr the program passed, read from its memory. */
static int read_sockaddr(pid_t pid, uint64_t ptr, uint64_t len, struct sockaddr_storage *ret, socklen_t *ret_len) {
        if (len == 0 || ptr == 0)
                return -EINVAL;
        if (len > sizeof *ret)
                len = sizeof *ret;
        memset(ret, 0, sizeof *ret);
        struct iovec local = {.iov_base = ret, .iov_len = (size_t)len};
        // NOLINTNEXTLINE(performance-no-int-to-ptr): an address in the program's memory, not ours
        struct iovec remote = {.iov_base = (void *)(uintptr_t)ptr, .iov_len = (size_t)len};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n < 0)
                return -errno;
        if (n < (ssize_t)sizeof(sa_family_t))
                return -EFAULT;
        *ret_len = (socklen_t)n;
        return 0;
}

/* The program's socket, as a copy of ward's own (pidfd_getfd). */
static int take_fd(pid_t tid, int fd) {
        /* The notification names a thread; pidfd_open wants the process. */
        char path[64];
        _cleanup_free_ char *status = NULL;
        snprintf(path, sizeof path, "/proc/%ld/status", (long)tid);
        int r = fd_read_file(path, 16384, &status, NULL);
        if (r < 0)
                return r;
        const char *tg = strstr(status, "\nTgid:");
        long tgid = tg ? strtol(tg + 6, NULL, 10) : 0;
        if (tgid <= 0)
                return -ESRCH;
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);
        if (pidfd < 0)
                return -errno;
        int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        return copy < 0 ? -errno : copy;
}

static bool is_fake(const net_addr *a, size_t *ret_index) {
        if (a->family != AF_INET)
                return false;
        uint32_t v = ntohl(a->v4.s_addr);
        if ((v & FAKE_MASK) != FAKE_NET || v == FAKE_NET)
                return false;
        *ret_index = (size_t)(v - FAKE_NET - 1);
        return true;
}

static bool is_local(const net_addr *a) {
        if (a->family == AF_INET)
                return (ntohl(a->v4.s_addr) >> 24) == 127;
        return IN6_IS_ADDR_LOOPBACK(&a->v6) || (IN6_IS_ADDR_V4MAPPED(&a->v6) && a->v6.s6_addr[12] == 127);
}

static void start_connect(egress *e, uint64_t id, int prog_fd, const char *name, const net_addr *dest, uint16_t port,
                          const net_rule *rule) {
        if (e->n_conns >= e->max_conns || e->connections >= e->pn->max_connections) {
                if (!e->meter.limit_hit)
                        e->meter.limit_hit = "connections";
                close(prog_fd);
                refuse(e, id, -ECONNREFUSED, name, dest, port, "tcp", "limit", rule);
                return;
        }
        conn *c = calloc(1, sizeof *c);
        if (!c) {
                close(prog_fd);
                respond(e, id, -ENOMEM, false);
                return;
        }
        relay_init(&c->relay);
        c->prog_fd = prog_fd;
        c->notif_id = id;
        c->record = WARD_NET_RECORDS_MAX;
        c->deadline_ms = clock_mono_ms() + CONNECT_TIMEOUT_MS;
        int fam = 0;
        socklen_t fl = sizeof fam;
        c->prog_family = getsockopt(prog_fd, SOL_SOCKET, SO_DOMAIN, &fam, &fl) == 0 ? fam : AF_INET;
        /* The host side speaks the destination's family, whatever the
         * program's socket is. */
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } to;
        memset(&to, 0, sizeof to);
        socklen_t tl;
        if (dest->family == AF_INET6) {
                to.in6 =
                        (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = dest->v6};
                tl = sizeof to.in6;
        } else {
                to.in = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = dest->v4};
                tl = sizeof to.in;
        }
        c->relay.host = socket(dest->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int err = c->relay.host < 0 ? errno : 0;
        if (!err && connect(c->relay.host, &to.sa, tl) < 0 && errno != EINPROGRESS)
                err = errno;
        record *rec = new_record(e, name, dest, port, "tcp");
        if (rec) {
                rec->verdict = "allowed";
                if (rule)
                        snprintf(rec->rule, sizeof rec->rule, "%s", rule->text);
                c->record = (size_t)(rec - e->records);
                c->relay.own_out = &rec->bytes_out;
                c->relay.own_in = &rec->bytes_in;
        }
        if (err) {
                if (rec)
                        snprintf(rec->error, sizeof rec->error, "%s", strerror(err));
                respond(e, id, -err, false);
                conn_free(c);
                return;
        }
        e->connections++;
        e->conns[e->n_conns++] = c;
}

/* The rules, on the address the name has on the host (or the raw
 * address), then the host-side connection. */
static void decide(egress *e, uint64_t id, int prog_fd, const char *name, const net_addr *dest, bool from_hosts,
                   uint16_t port) {
        const net_rule *rule = NULL;
        net_verdict v = net_rules_check(e->rules, name, dest, port, &rule);
        /* A hosts entry names its address explicitly: that is the policy
         * saying that this internal address is meant. */
        if (v == NET_DENY_INTERNAL && from_hosts)
                v = NET_ALLOW;
        if (v != NET_ALLOW) {
                close(prog_fd);
                refuse(e, id, -ECONNREFUSED, name, dest, port, "tcp", net_verdict_name(v), rule);
                return;
        }
        start_connect(e, id, prog_fd, name, dest, port, rule);
}

/* ---- host-side name lookups ----
 *
 * getaddrinfo() may take seconds; the loop that enforces the wall time
 * must not wait for it. Each lookup runs in a thread of its own, which
 * owns its request and answers on a socket; if ward stopped waiting (the
 * run ended, the lookup timed out), the answer goes nowhere and the
 * thread just ends. */
typedef struct lookup_req {
        char name[NET_NAME_MAX + 1];
        int fd;
} lookup_req;

typedef struct lookup_res {
        int err;
        net_addr addr;
} lookup_res;

static void *lookup_thread(void *arg) {
        lookup_req *r = arg;
        lookup_res res = {.err = EHOSTUNREACH};
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *ai = NULL;
        if (getaddrinfo(r->name, NULL, &hints, &ai) == 0) {
                /* IPv4 first, as the sandbox's DNS answers A only. */
                for (int pass = 0; pass < 2 && res.err; pass++)
                        for (struct addrinfo *i = ai; i && res.err; i = i->ai_next) {
                                if (pass == 0 && i->ai_family == AF_INET) {
                                        res.addr.family = AF_INET;
                                        res.addr.v4 = ((struct sockaddr_in *)i->ai_addr)->sin_addr;
                                        res.err = 0;
                                } else if (pass == 1 && i->ai_family == AF_INET6) {
                                        res.addr.family = AF_INET6;
                                        res.addr.v6 = ((struct sockaddr_in6 *)i->ai_addr)->sin6_addr;
                                        res.err = 0;
                                }
                        }
                freeaddrinfo(ai);
        }
        (void)send(r->fd, &res, sizeof res, MSG_NOSIGNAL);
        close(r->fd);
        free(r);
        return NULL;
}

static void start_lookup(egress *e, uint64_t id, int prog_fd, const char *name, uint16_t port) {
        if (e->n_conns + e->n_lookups >= e->max_conns || e->connections >= e->pn->max_connections) {
                if (!e->meter.limit_hit)
                        e->meter.limit_hit = "connections";
                close(prog_fd);
                refuse(e, id, -ECONNREFUSED, name, NULL, port, "tcp", "limit", NULL);
                return;
        }
        int sv[2];
        lookup_req *r = calloc(1, sizeof *r);
        if (!r || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                free(r);
                close(prog_fd);
                respond(e, id, -EAGAIN, false);
                return;
        }
        snprintf(r->name, sizeof r->name, "%s", name);
        r->fd = sv[1];
        pthread_attr_t attr;
        pthread_t t;
        int err = pthread_attr_init(&attr);
        if (!err)
                err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (!err)
                err = pthread_create(&t, &attr, lookup_thread, r);
        (void)pthread_attr_destroy(&attr);
        if (err) {
                close(sv[0]);
                close(sv[1]);
                free(r);
                close(prog_fd);
                respond(e, id, -EAGAIN, false);
                return;
        }
        lookup *l = &e->lookups[e->n_lookups++];
        l->fd = sv[0];
        l->id = id;
        l->prog_fd = prog_fd;
        l->port = port;
        l->deadline_ms = clock_mono_ms() + CONNECT_TIMEOUT_MS;
        snprintf(l->name, sizeof l->name, "%s", name);
}

/* A lookup answered or timed out: on to the rules, or refused. */
static void finish_lookup(egress *e, lookup *l, bool timed_out) {
        lookup_res res = {.err = ETIMEDOUT};
        if (!timed_out && recv(l->fd, &res, sizeof res, MSG_DONTWAIT) != (ssize_t)sizeof res)
                res.err = EHOSTUNREACH;
        close(l->fd);
        l->fd = -1;
        if (res.err) {
                close(l->prog_fd);
                refuse(e, l->id, res.err == ETIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH, l->name, NULL, l->port, "tcp",
                       "unresolved", NULL);
                return;
        }
        decide(e, l->id, l->prog_fd, l->name, &res.addr, false, l->port);
}

/* The destination of a connect() or a send, read from the program's
 * memory: < 0 an errno to answer with (an unreadable address, a request no
 * longer valid); 0 a destination that stays inside the sandbox's namespace
 * (unix, netlink, AF_UNSPEC, its own loopback), which the kernel may
 * complete: even if another thread changes the address meanwhile, nothing
 * routes out of that namespace; 1 an address outside, in *a and *port. */
static int classify_destination(egress *e, const struct seccomp_notif *req, uint64_t ptr, uint64_t len, net_addr *a,
                                uint16_t *port) {
        struct sockaddr_storage ss;
        socklen_t got = 0;
        int r = read_sockaddr((pid_t)req->pid, ptr, len, &ss, &got);
        if (r < 0)
                return r;
        /* The memory was read from the thread the notification names:
         * still the same request? */
        if (ioctl(e->notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
                return -ESRCH;
        memset(a, 0, sizeof *a);
        a->family = ss.ss_family;
        if (ss.ss_family == AF_INET && got >= sizeof(struct sockaddr_in)) {
                a->v4 = ((struct sockaddr_in *)&ss)->sin_addr;
                *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6 && got >= sizeof(struct sockaddr_in6)) {
                a->v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
                *port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        } else {
                return 0;
        }
        return is_local(a) ? 0 : 1;
}

/* As classify_destination, answering the call itself unless the
 * destination is outside (then true). */
static bool destination(egress *e, const struct seccomp_notif *req, uint64_t ptr, uint64_t len, net_addr *a,
                        uint16_t *port) {
        int r = classify_destination(e, req, ptr, len, a, port);
        if (r <= 0)
                respond(e, req->id, r, r == 0);
        return r > 0;
}

static void handle_connect(egress *e, const struct seccomp_notif *req) {
        int fd = (int)req->data.args[0];
        net_addr a;
        uint16_t port = 0;
        if (!destination(e, req, req->data.args[1], req->data.args[2], &a, &port))
                return;
        int prog_fd = take_fd((pid_t)req->pid, fd);
        if (prog_fd < 0) {
                respond(e, req->id, prog_fd == -EBADF ? -EBADF : -ENOTSOCK, false);
                return;
        }
        int type = 0;
        socklen_t tl = sizeof type;
        if (getsockopt(prog_fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
                close(prog_fd);
                respond(e, req->id, -ENOTSOCK, false);
                return;
        }
        size_t idx;
        const char *name = is_fake(&a, &idx) && idx < e->n_names ? e->names[idx].s : NULL;
        if (type != SOCK_STREAM) {
                close(prog_fd);
                refuse(e, req->id, -EPERM, name, name ? NULL : &a, port, "udp", "not_allowed", NULL);
                return;
        }
        /* An IPv4 address written the IPv6 way is that IPv4 address. */
        if (a.family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a.v6)) {
                struct in_addr v4;
                memcpy(&v4, &a.v6.s6_addr[12], sizeof v4);
                a.family = AF_INET;
                a.v4 = v4;
                name = is_fake(&a, &idx) && idx < e->n_names ? e->names[idx].s : NULL;
        }
        if (!name && is_fake(&a, &idx)) {
                close(prog_fd);
                refuse(e, req->id, -ECONNREFUSED, NULL, &a, port, "tcp", "unknown_address", NULL);
                return;
        }
        if (!name) {
                decide(e, req->id, prog_fd, NULL, &a, false, port);
                return;
        }
        /* A name no rule allows was not answered by ward's DNS; one that
         * is allowed: the policy's hosts entry, or the host's resolver. */
        const net_host *h = net_rules_host(e->rules, name);
        if (h)
                decide(e, req->id, prog_fd, name, &h->addr, true, port);
        else
                start_lookup(e, req->id, prog_fd, name, port);
}

static void handle_sendto(egress *e, const struct seccomp_notif *req) {
        net_addr a;
        uint16_t port = 0;
        if (!destination(e, req, req->data.args[4], req->data.args[5], &a, &port))
                return;
        /* Datagrams leave the sandbox only as DNS to ward. */
        refuse(e, req->id, -EPERM, NULL, &a, port, "udp", "not_allowed", NULL);
}

/* sendmsg() and sendmmsg(): the destinations are in the msghdrs. A message
 * without one goes where its socket is connected, which connect() already
 * decided. At most UIO_MAXIOV messages, as the kernel. */
static void handle_sendmsg(egress *e, const struct seccomp_notif *req) {
        bool many = req->data.nr == SYS_sendmmsg;
        size_t n = many ? (size_t)req->data.args[2] : 1, stride = many ? sizeof(struct mmsghdr) : sizeof(struct msghdr);
        if (n > 1024)
                n = 1024;
        for (size_t i = 0; i < n; i++) {
                struct msghdr mh;
                memset(&mh, 0, sizeof mh);
                struct iovec local = {.iov_base = &mh, .iov_len = sizeof mh};
                // NOLINTNEXTLINE(performance-no-int-to-ptr): an address in the program's memory, not ours
                struct iovec remote = {.iov_base = (void *)(uintptr_t)(req->data.args[1] + i * stride),
                                       .iov_len = sizeof mh};
                if (process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof mh) {
                        respond(e, req->id, -EFAULT, false);
                        return;
                }
                if (!mh.msg_name || mh.msg_namelen == 0)
                        continue;
                net_addr a;
                uint16_t port = 0;
                int r = classify_destination(e, req, (uint64_t)(uintptr_t)mh.msg_name, mh.msg_namelen, &a, &port);
                if (r < 0) {
                        respond(e, req->id, r, false);
                        return;
                }
                if (r > 0) {
                        refuse(e, req->id, -EPERM, NULL, &a, port, "udp", "not_allowed", NULL);
                        return;
                }
        }
        respond(e, req->id, 0, true);
}

void egress_notify(egress *e, const struct seccomp_notif *req) {
        if (req->data.nr == SYS_connect)
                handle_connect(e, req);
        else if (req->data.nr == SYS_sendto)
                handle_sendto(e, req);
        else
                handle_sendmsg(e, req);
}

/* ---- DNS ---- */

static size_t name_index(egress *e, const char *name) {
        for (size_t i = 0; i < e->n_names; i++)
                if (strcmp(e->names[i].s, name) == 0)
                        return i;
        if (e->n_names >= WARD_NET_NAMES_MAX)
                return WARD_NET_NAMES_MAX;
        snprintf(e->names[e->n_names].s, sizeof e->names[0].s, "%s", name);
        return e->n_names++;
}

static void answer_dns(egress *e) {
        for (int round = 0; round < 64; round++) {
                uint8_t pkt[DNS_UDP_MAX], out[DNS_UDP_MAX];
                struct sockaddr_storage from;
                socklen_t fl = sizeof from;
                ssize_t n = recvfrom(e->dns_fd, pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
                if (n < 0)
                        return;
                dns_query q;
                memset(&q, 0, sizeof q);
                long len;
                if (dns_parse_query(pkt, (size_t)n, &q) < 0) {
                        event(e, "dns_refused", "malformed query");
                        len = dns_build_error(&q, DNS_RCODE_FORMERR, out, sizeof out);
                } else if (q.qclass != DNS_CLASS_IN || !q.name[0]) {
                        len = dns_build_answer(&q, DNS_RCODE_REFUSED, NULL, 0, 0, out, sizeof out);
                } else if (!net_rules_name_allowed(e->rules, q.name)) {
                        char ev[192];
                        snprintf(ev, sizeof ev, "%s not_allowed", q.name);
                        event(e, "dns_refused", ev);
                        len = dns_build_answer(&q, DNS_RCODE_NXDOMAIN, NULL, 0, 0, out, sizeof out);
                } else {
                        size_t i = name_index(e, q.name);
                        net_addr fake = {.family = AF_INET};
                        fake.v4.s_addr = htonl(FAKE_NET + 1 + (uint32_t)i);
                        event(e, "dns", q.name);
                        /* A for A and ANY; other types: the name exists and
                         * has no such record. */
                        bool a = q.qtype == DNS_TYPE_A || q.qtype == DNS_TYPE_ANY;
                        if (i == WARD_NET_NAMES_MAX)
                                len = dns_build_answer(&q, DNS_RCODE_SERVFAIL, NULL, 0, 0, out, sizeof out);
                        else
                                len = dns_build_answer(&q, DNS_RCODE_OK, &fake, a ? 1 : 0, DNS_TTL, out, sizeof out);
                }
                if (len > 0)
                        (void)sendto(e->dns_fd, out, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
        }
}

/* ---- joining the program's socket to the relay (net/relay.c moves the
 * bytes) ---- */

/* Whether two socket addresses are the same IPv4 endpoint, an IPv6
 * socket's ::ffff:a.b.c.d being a.b.c.d. */
static bool v4_endpoint(const struct sockaddr_storage *ss, struct in_addr *ret_addr, in_port_t *ret_port) {
        if (ss->ss_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
                *ret_addr = in->sin_addr;
                *ret_port = in->sin_port;
                return true;
        }
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
                return false;
        memcpy(ret_addr, &in6->sin6_addr.s6_addr[12], sizeof *ret_addr);
        *ret_port = in6->sin6_port;
        return true;
}

static bool same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
        struct in_addr aa, ba;
        in_port_t ap, bp;
        return v4_endpoint(a, &aa, &ap) && v4_endpoint(b, &ba, &bp) && aa.s_addr == ba.s_addr && ap == bp;
}

static void finish_connect(egress *e, conn *c) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(c->relay.host, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
                err = errno;
        record *rec = c->record < WARD_NET_RECORDS_MAX ? &e->records[c->record] : NULL;
        int r = err ? 0 : relay_open(&c->relay);
        if (r < 0)
                err = -r;
        r = 0;
        /* ward's connect on the program's socket must never block ward's
         * loop (a full accept queue would hold a blocking connect for
         * minutes): O_NONBLOCK for this call only, the program's own flags
         * back afterwards, and what it sees follows those. */
        int flags = err ? -1 : fcntl(c->prog_fd, F_GETFL);
        if (!err && (flags < 0 || fcntl(c->prog_fd, F_SETFL, flags | O_NONBLOCK) < 0))
                err = errno;
        if (!err) {
                /* Connect the program's own socket to the relay listener, in
                 * its namespace. */
                if (c->prog_family == AF_INET6) {
                        /* The relay listens on 127.0.0.1: an IPv6 socket
                         * reaches it as ::ffff:127.0.0.1. */
                        struct sockaddr_in6 r6 = {.sin6_family = AF_INET6, .sin6_port = e->relay_addr.sin_port};
                        r6.sin6_addr.s6_addr[10] = 0xff;
                        r6.sin6_addr.s6_addr[11] = 0xff;
                        memcpy(&r6.sin6_addr.s6_addr[12], &e->relay_addr.sin_addr, 4);
                        r = connect(c->prog_fd, (struct sockaddr *)&r6, sizeof r6);
                } else {
                        r = connect(c->prog_fd, (struct sockaddr *)&e->relay_addr, sizeof e->relay_addr);
                }
                if (r < 0 && errno != EINPROGRESS)
                        err = errno;
                (void)fcntl(c->prog_fd, F_SETFL, flags);
                /* A blocking socket would have waited for the loopback
                 * handshake, which completes below: it sees success. */
                if (r < 0 && !err && !(flags & O_NONBLOCK))
                        r = 0;
        }
        if (!err) {
                struct sockaddr_storage mine = {0};
                socklen_t ml = sizeof mine;
                if (getsockname(c->prog_fd, (struct sockaddr *)&mine, &ml) < 0)
                        err = errno;
                /* Accept until the peer is the program's socket: the program
                 * may have connected to the listener itself. */
                for (int tries = 0; !err && tries < 256; tries++) {
                        struct pollfd pfd = {.fd = e->relay_fd, .events = POLLIN};
                        if (poll(&pfd, 1, 100) <= 0) {
                                err = ETIMEDOUT;
                                break;
                        }
                        struct sockaddr_storage peer = {0};
                        socklen_t pl = sizeof peer;
                        int s = accept4(e->relay_fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
                        if (s < 0)
                                continue;
                        if (same_endpoint(&peer, &mine)) {
                                c->relay.side = s;
                                break;
                        }
                        event(e, "network_refused", "a connection to ward's relay from inside");
                        close(s);
                }
                if (!err && c->relay.side < 0)
                        err = ECONNREFUSED;
        }
        if (err) {
                if (rec)
                        snprintf(rec->error, sizeof rec->error, "%s", strerror(err));
                respond(e, c->notif_id, -err, false);
                close(c->relay.host);
                c->relay.host = -1;
        } else {
                respond(e, c->notif_id, r < 0 ? -EINPROGRESS : 0, false);
                if (rec) {
                        char ev[192];
                        snprintf(ev, sizeof ev, "tcp %s%s%s%s:%u", rec->name, rec->name[0] ? " (" : "", rec->address,
                                 rec->name[0] ? ")" : "", rec->port);
                        event(e, "network_connected", ev);
                }
                c->state = CONN_OPEN;
        }
        close(c->prog_fd);
        c->prog_fd = -1;
}

size_t egress_max_fds(const egress *e) {
        /* The DNS socket, the relay listener, a socket per lookup, and
         * each connection's two sockets (its pipes are not polled). */
        return 2 + e->max_conns + 2 * e->max_conns;
}

size_t egress_poll_fill(egress *e, struct pollfd *pf, size_t max) {
        size_t n = 0;
        if (e->dns_fd >= 0 && n < max)
                pf[n++] = (struct pollfd){.fd = e->dns_fd, .events = POLLIN};
        if (e->relay_fd >= 0 && n < max)
                pf[n++] = (struct pollfd){.fd = e->relay_fd, .events = POLLIN};
        for (size_t i = 0; i < e->n_lookups && n < max; i++)
                pf[n++] = (struct pollfd){.fd = e->lookups[i].fd, .events = POLLIN};
        for (size_t i = 0; i < e->n_conns && n + 2 <= max; i++) {
                conn *c = e->conns[i];
                if (c->state == CONN_PENDING) {
                        pf[n++] = (struct pollfd){.fd = c->relay.host, .events = POLLOUT};
                        pf[n++] = (struct pollfd){.fd = -1};
                        continue;
                }
                short hs, ss;
                relay_poll_events(&c->relay, &hs, &ss);
                pf[n++] = (struct pollfd){.fd = c->relay.host, .events = hs};
                pf[n++] = (struct pollfd){.fd = c->relay.side, .events = ss};
        }
        return n;
}

int egress_timeout_ms(const egress *e) {
        uint64_t now = clock_mono_ms();
        int best = -1;
        for (size_t i = 0; i < e->n_lookups; i++) {
                uint64_t d = e->lookups[i].deadline_ms;
                int left = d > now ? (int)(d - now) : 0;
                if (best < 0 || left < best)
                        best = left;
        }
        for (size_t i = 0; i < e->n_conns; i++) {
                const conn *c = e->conns[i];
                if (c->state != CONN_PENDING)
                        continue;
                int left = c->deadline_ms > now ? (int)(c->deadline_ms - now) : 0;
                if (best < 0 || left < best)
                        best = left;
        }
        return best;
}

void egress_poll_done(egress *e, const struct pollfd *pf, size_t n) {
        size_t k = 0;
        if (e->dns_fd >= 0 && k < n) {
                if (pf[k].revents)
                        answer_dns(e);
                k++;
        }
        /* Nothing ward made waits in the relay's queue between rounds (its
         * own connections are accepted as they are made): anything there
         * is the program connecting to the relay itself, which would fill
         * the queue. Dropped, with an event. */
        if (e->relay_fd >= 0 && k < n) {
                for (int i = 0; pf[k].revents && i < 256; i++) {
                        int s = accept4(e->relay_fd, NULL, NULL, SOCK_CLOEXEC);
                        if (s < 0)
                                break;
                        close(s);
                        event(e, "network_refused", "a connection to ward's relay from inside");
                }
                k++;
        }
        uint64_t now = clock_mono_ms();
        /* Lookups first: a finished one may start a connection, which is
         * appended after those polled this round. */
        size_t n_lookups = e->n_lookups;
        size_t first_conn_slot = k + n_lookups;
        for (size_t i = 0; i < n_lookups; i++, k++) {
                lookup *l = &e->lookups[i];
                bool ready = k < n && pf[k].revents;
                if (ready || now >= l->deadline_ms)
                        finish_lookup(e, l, !ready);
        }
        size_t w = 0;
        for (size_t i = 0; i < e->n_lookups; i++)
                if (e->lookups[i].fd >= 0)
                        e->lookups[w++] = e->lookups[i];
        e->n_lookups = w;
        k = first_conn_slot;
        for (size_t i = 0; i < e->n_conns; i++, k += 2) {
                conn *c = e->conns[i];
                int hr = k < n ? pf[k].revents : 0, sr = k + 1 < n ? pf[k + 1].revents : 0;
                if (c->state == CONN_PENDING) {
                        if (hr)
                                finish_connect(e, c);
                        else if (now >= c->deadline_ms) {
                                record *rec = c->record < WARD_NET_RECORDS_MAX ? &e->records[c->record] : NULL;
                                if (rec)
                                        snprintf(rec->error, sizeof rec->error, "%s", strerror(ETIMEDOUT));
                                respond(e, c->notif_id, -ETIMEDOUT, false);
                                close(c->relay.host);
                                c->relay.host = -1;
                        }
                        continue;
                }
                if (hr || sr)
                        relay_pump(&c->relay, &e->meter);
        }
        /* Drop what is over: a failed connect, or both directions shut. */
        w = 0;
        for (size_t i = 0; i < e->n_conns; i++) {
                conn *c = e->conns[i];
                bool done = c->relay.host < 0 || relay_done(&c->relay);
                if (done)
                        conn_free(c);
                else
                        e->conns[w++] = c;
        }
        e->n_conns = w;
        /* A limit passed here or in egress_notify() since the last round:
         * told once, after the round, where the loop used to ask. */
        if (e->meter.limit_hit && !e->limit_reported) {
                e->limit_reported = true;
                e->ev.limit_hit(e->ev.ctx, e->meter.limit_hit);
        }
}

json_t *egress_to_json(const egress *e) {
        json_t *o = json_object(), *list = json_array();
        int bad = !o || !list;
        for (size_t i = 0; !bad && i < e->n_records; i++) {
                const record *r = &e->records[i];
                json_t *c = json_object();
                bad |= !c;
                if (bad)
                        break;
                bad |= json_object_set_new(c, "name", r->name[0] ? json_string(r->name) : json_null());
                bad |= json_object_set_new(c, "address", r->address[0] ? json_string(r->address) : json_null());
                bad |= json_object_set_new(c, "port", json_integer(r->port));
                bad |= json_object_set_new(c, "protocol", json_string(r->protocol));
                bad |= json_object_set_new(c, "verdict", json_string(r->verdict ? r->verdict : "allowed"));
                bad |= json_object_set_new(c, "rule", r->rule[0] ? json_string(r->rule) : json_null());
                bad |= json_object_set_new(c, "error", r->error[0] ? json_string(r->error) : json_null());
                bad |= json_object_set_new(c, "bytes_out", json_integer((json_int_t)r->bytes_out));
                bad |= json_object_set_new(c, "bytes_in", json_integer((json_int_t)r->bytes_in));
                bad |= json_array_append_new(list, c);
        }
        if (bad) {
                json_decref(o);
                json_decref(list);
                return NULL;
        }
        bad |= json_object_set_new(o, "mode", json_string("allowlist"));
        bad |= json_object_set_new(o, "connections", list);
        bad |= json_object_set_new(o, "connections_dropped", json_integer((json_int_t)e->records_dropped));
        bad |= json_object_set_new(o, "bytes_out", json_integer((json_int_t)e->meter.bytes_out));
        bad |= json_object_set_new(o, "bytes_in", json_integer((json_int_t)e->meter.bytes_in));
        if (bad) {
                json_decref(o);
                return NULL;
        }
        return o;
}
