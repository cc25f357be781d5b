/* The relay's pipes, pumping and byte accounting (see relay.h). */
#include "net/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"

/* A larger pipe moves more per wake-up; the default is fine too. */
#define RELAY_PIPE (1u << 20)

void relay_init(relay *r) {
        *r = (relay){.host = -1, .side = -1, .out.p = {-1, -1}, .in.p = {-1, -1}};
}

int relay_open(relay *r) {
        for (int i = 0; i < 2; i++) {
                relay_pipe *b = i ? &r->in : &r->out;
                if (pipe2(b->p, O_NONBLOCK | O_CLOEXEC) < 0)
                        return -errno;
                (void)fcntl(b->p[1], F_SETPIPE_SZ, (int)RELAY_PIPE);
                int sz = fcntl(b->p[1], F_GETPIPE_SZ);
                b->cap = sz > 0 ? (size_t)sz : 65536;
        }
        return 0;
}

void relay_close(relay *r) {
        int *fds[] = {&r->out.p[0], &r->out.p[1], &r->in.p[0], &r->in.p[1], &r->host, &r->side};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                closep(fds[i]);
        relay_init(r);
}

void relay_poll_events(const relay *r, short *ret_host, short *ret_side) {
        int hs = 0, ss = 0;
        if (!r->out.eof && r->out.pending < r->out.cap)
                ss |= POLLIN;
        if (r->out.pending)
                hs |= POLLOUT;
        if (!r->in.eof && r->in.pending < r->in.cap)
                hs |= POLLIN;
        if (r->in.pending)
                ss |= POLLOUT;
        *ret_host = (short)hs;
        *ret_side = (short)ss;
}

static void count(relay *r, relay_meter *m, size_t n, bool outbound) {
        if (outbound) {
                m->bytes_out += n;
                if (r->own_out)
                        *r->own_out += n;
                if (m->bytes_out > m->max_out && !m->limit_hit)
                        m->limit_hit = "bytes_out";
        } else {
                m->bytes_in += n;
                if (r->own_in)
                        *r->own_in += n;
                if (m->bytes_in > m->max_in && !m->limit_hit)
                        m->limit_hit = "bytes_in";
        }
}

/* Moves bytes from `from` into the pipe, and from the pipe to `to`. */
static bool pump_once(relay *r, relay_meter *m, relay_pipe *b, int from, int to, bool outbound) {
        const unsigned flags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
        bool moved = false;
        /* Past a limit nothing more moves: the run is ending. */
        if (m->limit_hit)
                return false;
        if (!b->eof && b->pending < b->cap) {
                ssize_t n = splice(from, NULL, b->p[1], NULL, b->cap - b->pending, flags);
                if (n > 0) {
                        b->pending += (size_t)n;
                        moved = true;
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                        b->eof = true;
                }
        }
        while (b->pending > 0) {
                ssize_t n = splice(b->p[0], NULL, to, NULL, b->pending, flags);
                if (n <= 0) {
                        if (n < 0 && errno != EAGAIN && errno != EINTR) {
                                b->eof = true; /* the other side is gone: drop the rest */
                                b->pending = 0;
                        }
                        break;
                }
                b->pending -= (size_t)n;
                moved = true;
                count(r, m, (size_t)n, outbound);
        }
        if (b->eof && b->pending == 0 && !b->shut) {
                (void)shutdown(to, SHUT_WR);
                b->shut = true;
        }
        return moved;
}

/* As long as bytes move, up to a bound: one poll round per buffer would
 * make the loop, not the network, the limit of a large transfer. */
static void pump(relay *r, relay_meter *m, relay_pipe *b, int from, int to, bool outbound) {
        for (int round = 0; round < 32 && pump_once(r, m, b, from, to, outbound); round++)
                ;
}

void relay_pump(relay *r, relay_meter *m) {
        pump(r, m, &r->out, r->side, r->host, true);
        pump(r, m, &r->in, r->host, r->side, false);
}

bool relay_done(const relay *r) {
        return r->out.shut && r->in.shut;
}
