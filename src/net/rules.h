/* The network allowlist: rules, the hosts map, and the verdict for one
 * destination.
 *
 * A rule is a destination pattern with an optional port:
 *   api.example.com        that name, any port
 *   api.example.com:443    that name, port 443
 *   *.example.org          any name below example.org (not example.org
 *                          itself), any port
 *   10.1.2.0/24:5432       an IPv4 CIDR, port 5432
 *   10.1.2.3               one IPv4 address
 *   [2001:db8::1]:443      an IPv6 address (brackets when a port follows)
 *   2001:db8::/32          an IPv6 CIDR
 * Names are matched case-insensitively, without a trailing dot. Deny rules
 * win over allow rules. A name rule never matches a raw IP destination,
 * and an address rule never matches a name: the program connected to an
 * address only through ward's DNS, so ward always knows the name.
 *
 * Parsing is strict: "*.", "a..b", "*" alone, a wildcard anywhere but the
 * leading label, a port outside 1-65535, a CIDR with host bits set, an
 * empty rule, a label over 63 bytes or a name over 253, a trailing dot,
 * and a name whose last label is all digits ("10.1.2", "300.1.1.1": a
 * mistyped address, not a name) are refused with a message naming the
 * rule and its position in its list. An IPv6 CIDR with a port is written
 * "[2001:db8::]/32:443" ("[2001:db8::/32]:443" is read too). Nothing here
 * allocates after parsing; nothing logs. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "basic/limits.h"

#define NET_NAME_MAX 253u /* a DNS name, without the trailing dot (RFC 1035) */

/* An address of either family, in network byte order. */
typedef struct net_addr {
        int family; /* AF_INET or AF_INET6 */
        union {
                struct in_addr v4;
                struct in6_addr v6;
        };
} net_addr;

typedef enum net_rule_kind {
        NET_RULE_NAME,     /* exact name */
        NET_RULE_WILDCARD, /* "*.suffix": any name strictly below suffix */
        NET_RULE_CIDR,     /* an address or a prefix (a single address is /32 or /128) */
} net_rule_kind;

typedef struct net_rule {
        net_rule_kind kind;
        char name[NET_NAME_MAX + 1];  /* NAME: the name; WILDCARD: the suffix (without "*.") */
        net_addr addr;                /* CIDR: the network address */
        unsigned prefix;              /* CIDR: prefix length */
        uint16_t port;                /* 0: any port */
        char text[NET_NAME_MAX + 48]; /* the rule as written, for messages and events */
} net_rule;

typedef struct net_host {
        char name[NET_NAME_MAX + 1];
        net_addr addr;
} net_host;

typedef struct net_rules {
        net_rule allow[NET_RULES_MAX];
        size_t n_allow;
        net_rule deny[NET_RULES_MAX];
        size_t n_deny;
        net_host hosts[NET_HOSTS_MAX];
        size_t n_hosts;
} net_rules;

/* Parses one rule. `list` ("allow" or "deny") and `index` (0-based) only
 * name the rule in an error message: "allow[2]: '*.': ...". *ret is not
 * touched on failure. */
int net_rule_parse(const char *text, const char *list, size_t index, net_rule *ret, ward_error *err);
/* Adds one hosts entry: `name` must be a valid name, `addr` an IPv4 or
 * IPv6 address (not a CIDR, not a name). One address per name: a name
 * given twice is refused, as is an entry past NET_HOSTS_MAX (-E2BIG). */
int net_host_add(net_rules *r, const char *name, const char *addr, ward_error *err);
/* Parses an address ("10.0.0.1", "::1", not bracketed); 0 or -EINVAL. */
int net_addr_parse(const char *text, net_addr *ret);
/* "10.0.0.1" or "2001:db8::1"; buf of at least INET6_ADDRSTRLEN (a
 * shorter one gets a cut, terminated string). Returns buf. */
const char *net_addr_format(const net_addr *a, char *buf, size_t len);
/* Whether text is a valid DNS name (letters, digits, hyphens, underscores;
 * labels 1-63 bytes, not starting or ending with '-'; total <= 253). */
bool net_name_valid(const char *text);

/* Addresses that are refused unless a CIDR rule names them explicitly:
 * loopback, link-local (cloud metadata at 169.254.169.254 included),
 * private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), unspecified,
 * multicast, broadcast, and their IPv4-mapped IPv6 forms. Returns a short
 * name of the class ("loopback", "link-local", ...) or NULL for a public
 * address. */
const char *net_addr_internal(const net_addr *a);

typedef enum net_verdict {
        NET_ALLOW,
        NET_DENY_RULE,        /* a deny rule matched */
        NET_DENY_NOT_ALLOWED, /* no allow rule matched */
        NET_DENY_INTERNAL,    /* allowed by name, but the address is internal and no CIDR rule names it */
} net_verdict;

/* The verdict for a connection to `addr`:`port`, reached through `name`
 * (NULL when the program used a raw address). *ret_rule, when not NULL,
 * is set to the rule that decided (NULL when none did).
 *
 * `name` is compared as given, in any case: the caller strips a trailing
 * dot ("example.com." never matches; dns_parse_query gives names without
 * it). An IPv4 CIDR rule also covers that IPv4 address in IPv6 form, both
 * IPv4-mapped (::ffff:10.0.0.1, which the kernel connects over IPv4) and
 * NAT64 (64:ff9b::a00:1), so that "deny 169.254.0.0/16" cannot be
 * stepped around through an AF_INET6 socket. A NULL addr is not allowed. */
net_verdict net_rules_check(const net_rules *r, const char *name, const net_addr *addr, uint16_t port,
                            const net_rule **ret_rule);
/* Whether any allow rule could match `name` on some port (for DNS: a name
 * no rule allows gets NXDOMAIN), and no deny rule denies it on every port. */
bool net_rules_name_allowed(const net_rules *r, const char *name);
/* The hosts entry for `name`, or NULL. */
const net_host *net_rules_host(const net_rules *r, const char *name);
/* One rule in its canonical form, which net_rule_parse reads back as the
 * same rule: "api.example.com:443", "*.example.org", "10.1.2.0/24:5432",
 * "10.1.2.3", "[2001:db8::1]:443", "[2001:db8::]/32:443". Names in lower
 * case; a single address without "/32" or "/128". Returns buf, which is
 * always terminated (cut when shorter than sizeof(net_rule.text)). */
const char *net_rule_format(const net_rule *rule, char *buf, size_t len);
const char *net_verdict_name(net_verdict v); /* "allowed", "denied", "not_allowed", "internal" */
