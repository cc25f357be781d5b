/* The relay: the bytes of one connection that ward made for a sandbox.
 *
 * A relayed connection is two sockets: `host`, connected to the
 * destination in ward's network namespace, and `side`, accepted from the
 * relay listener in the sandbox's, whose peer is the program's own
 * socket. Each direction is a kernel pipe between them; bytes move by
 * splice(2) and never pass through ward's memory. Every byte moved is
 * counted in a meter shared by all of a run's connections, and past the
 * run's limits nothing more moves. Deciding which connections exist is
 * egress.c's. Everything here is non-blocking and runs in the
 * supervisor's poll loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One direction of a relayed connection: a kernel pipe between the two
 * sockets. */
typedef struct relay_pipe {
        int p[2];
        size_t pending; /* bytes in the pipe */
        size_t cap;     /* the pipe's size */
        bool eof;       /* the reading side reached its end */
        bool shut;      /* shutdown(SHUT_WR) sent to the writing side */
} relay_pipe;

typedef struct relay {
        int host;                   /* connected to the destination, in ward's namespace */
        int side;                   /* accepted from the relay listener, in the sandbox's */
        relay_pipe out;             /* sandbox -> host */
        relay_pipe in;              /* host -> sandbox */
        uint64_t *own_out, *own_in; /* this connection's own counts, or NULL */
} relay;

/* The byte counts of a run, all connections together, and its limits. */
typedef struct relay_meter {
        uint64_t bytes_out, bytes_in;
        uint64_t max_out, max_in;
        /* The limit passed first ("bytes_out", "bytes_in", or one the
         * caller sets, such as "connections"), or NULL. Once it is set,
         * nothing more moves: the run is ending. */
        const char *limit_hit;
} relay_meter;

/* Every fd -1, no counts: relay_close() may follow at once. */
void relay_init(relay *r);
/* The two pipes, once `host` is connected. Returns 0 or a negative errno. */
int relay_open(relay *r);
void relay_close(relay *r);
/* What to poll for on `host` and on `side`. */
void relay_poll_events(const relay *r, short *ret_host, short *ret_side);
/* Moves what it can in both directions, counting it in m. */
void relay_pump(relay *r, relay_meter *m);
/* Both directions ended and shut: the connection is over. */
bool relay_done(const relay *r);
