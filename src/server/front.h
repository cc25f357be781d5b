/* The front of ward serve: the process that speaks HTTP.
 *
 * The parent (privileged: it spawns jails) creates the listening socket
 * and a socketpair, forks, and the child calls front_main(). The front
 * confines itself before it reads a byte from a client (front_confine:
 * no privileges, no file system, a seccomp allowlist), then turns each
 * HTTP request into one FRAME_REQUEST on the parent's socket and the
 * FRAME_REPLY (after FRAME_CHUNKs, when streaming) into the HTTP answer.
 * It checks the syntax of what clients send; the parent decides what a
 * request means, who may make it and how much it may cost. The wire
 * contract with the parent is in front.c's header comment and in
 * src/server/openapi.json. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/limits.h"

#include "basic/error.h"
#include "server/frame.h"

/* Its defaults and caps are in basic/limits.h (WARD_API_*). */

typedef struct front_opts {
        int listen_fd;            /* bound, listening */
        int parent_fd;            /* AF_UNIX stream to the parent */
        unsigned max_connections; /* e.g. 256 */
        uint64_t body_max;        /* JSON bodies: 413 above */
        uint64_t file_max;        /* PUT file bodies: 413 above */
        unsigned timeout_s;       /* idle connection timeout */
        unsigned reply_timeout_s; /* the parent's answer; 0: WARD_API_REPLY_TIMEOUT_S */
        /* Screening (front-guard.c). A deadline of 0 is the default. */
        unsigned header_deadline_s; /* a request's headers, from the accept or the last answer */
        unsigned body_deadline_s;   /* a request's body, from the end of its headers */
        bool tokens;                /* the parent asks bearer tokens: Origin is not checked, nor Host
                                     * unless allow_hosts names some */
        const char *allow_hosts[WARD_API_ALLOW_HOSTS_MAX]; /* NAME or NAME:PORT, besides the listen address */
        unsigned n_allow_hosts;
        /* TLS: the certificate chain and key as PEM, read before the
         * confinement (no file can be opened after it); NULL: plain HTTP.
         * The key's memory is wiped once the daemon holds it. */
        char *tls_cert, *tls_key;
        size_t tls_cert_len, tls_key_len;
} front_opts;

/* The front process's whole life: confines itself (front_confine), then
 * serves until the parent's socket ends or SIGTERM (which drains in-flight
 * requests for at most a few seconds). Returns the process exit status:
 * 0 after SIGTERM or when the parent closed its end, 1 when confinement
 * failed or the parent broke the protocol (one line on stderr). The caller
 * should _exit() with it: nothing but exit_group is left to atexit
 * handlers under the seccomp filter. */
int front_main(const front_opts *o);

/* What the parent accepts from a front: a request's JSON is its envelope
 * (the operation, the URL's parts, the token, the peer), never larger than
 * WARD_API_ENVELOPE_MAX; its blob is a body (JSON text) or a file. */
static inline frame_caps front_request_caps(const front_opts *o) {
        return (frame_caps){.json_max = WARD_API_ENVELOPE_MAX,
                            .blob_max = o->file_max > o->body_max ? o->file_max : o->body_max};
}

/* Confinement steps applied, for the message and for tests. */
enum {
        FRONT_CONF_FDS = 1u << 0,      /* only the two sockets and 0, 1, 2 */
        FRONT_CONF_NOBODY = 1u << 1,   /* was root, now uid/gid 65534 */
        FRONT_CONF_USERNS = 1u << 2,   /* new user, net, ipc, uts and mount namespaces */
        FRONT_CONF_NNP = 1u << 3,      /* no_new_privs, not dumpable */
        FRONT_CONF_CAPS = 1u << 4,     /* every capability set empty, bounding too */
        FRONT_CONF_LANDLOCK = 1u << 5, /* no file may be opened */
        FRONT_CONF_SECCOMP = 1u << 6,  /* the allowlist, kill on anything else */
};
/* "fds", "nobody", ... (NULL for an unknown bit). */
const char *front_conf_name(unsigned bit);

/* Applies the confinement in order (front-jail.c). Fails closed: an error
 * in any step that is a barrier returns a negative errno with err set; a
 * missing user namespace or landlock is recorded (not in *ret_applied) and
 * *ret_missing says why in words ("" when nothing is missing). Must run
 * single-threaded, before any thread exists. */
int front_confine(const front_opts *o, unsigned *ret_applied, char *ret_missing, unsigned missing_len, ward_error *err);
