/* Egress through the allowlist: ward's side of a sandbox's network.
 *
 * The sandbox has its own network namespace with loopback only. Its
 * /etc/resolv.conf names 127.0.0.1, where a UDP socket that the sandbox's
 * init bound (and handed to ward) receives every DNS query: ward answers
 * names the rules allow with an address of its own (198.18.0.0/15, a range
 * no one routes) and refuses the rest. Every connect() and every sendto()
 * that names a destination stops in seccomp and reaches ward as a user
 * notification: a connection to a sandbox-local address continues; one
 * that the rules allow is made by ward on the host, and the program's own
 * socket (taken with pidfd_getfd) is connected to a relay listener in the
 * sandbox's namespace, which ward accepts and joins to the host side,
 * counting bytes both ways; anything else fails at once with
 * ECONNREFUSED (TCP) or EPERM (UDP) and becomes an event. No program
 * cooperates, and none can go around it: there is no route out of the
 * namespace but ward.
 *
 * Everything here runs in the supervisor's poll loop and never blocks it:
 * a host-side name lookup (a name not in the policy's hosts map) runs in
 * a thread of its own and answers on a socket the loop polls. The bytes
 * of a connection are moved by net/relay.c. What happens is told to the
 * supervisor through the egress_events it gives: net/ knows nothing of
 * results. */
#pragma once

#include <jansson.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "policy/policy.h"

typedef struct egress egress;

/* What egress tells the one who runs it, with ctx. */
typedef struct egress_events {
        void *ctx;
        /* Something the run's result should count: type is "dns", "dns_refused",
         * "network_connected" or "network_refused", what names it (a name, or
         * "tcp example.com (198.51.100.7):443 not_allowed"). */
        void (*event)(void *ctx, const char *type, const char *what);
        /* A limit was passed ("connections", "bytes_out", "bytes_in"):
         * nothing more is relayed, and the run must end as network_limit.
         * Told once, from egress_poll_done(). */
        void (*limit_hit)(void *ctx, const char *limit);
} egress_events;

/* Builds the rules from the policy (already validated); ev is copied. */
int egress_new(const policy_net *pn, const egress_events *ev, egress **ret, ward_error *err);
void egress_free(egress *e);
/* The fds of one run: the seccomp listener (not owned), and the DNS
 * socket and relay listener that the init made in the sandbox's network
 * namespace (owned from now on). */
void egress_attach(egress *e, int notify_fd, int dns_fd, int relay_fd);

/* Whether a notification is egress's to answer (connect, sendto). */
bool egress_wants(const struct seccomp_notif *req);
/* Answers it now, or later from the poll loop. */
void egress_notify(egress *e, const struct seccomp_notif *req);

/* The poll loop: fds to watch (at most `max`), the longest wait in ms
 * (-1: none), and the work once poll returned. */
size_t egress_poll_fill(egress *e, struct pollfd *pf, size_t max);
int egress_timeout_ms(const egress *e);
void egress_poll_done(egress *e, const struct pollfd *pf, size_t n);
/* The most fds egress_poll_fill may ask for. */
size_t egress_max_fds(const egress *e);

/* The network part of the result: mode, totals, and each connection tried. */
json_t *egress_to_json(const egress *e);
