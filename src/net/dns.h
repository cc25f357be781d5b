/* The DNS wire format, as much of it as ward's resolver inside a sandbox
 * needs: one question in, one answer out (RFC 1035, with the EDNS OPT
 * record of a query ignored). Parsing is bounded and strict: a packet of
 * at most 512 bytes over UDP (65535 over TCP, without the length prefix),
 * exactly one question, names of at most 253 bytes with compression
 * pointers that only point backwards and at most 16 of them, no label over
 * 63 bytes. Nothing here allocates or logs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/rules.h"

enum {
        DNS_TYPE_A = 1,
        DNS_TYPE_CNAME = 5,
        DNS_TYPE_AAAA = 28,
        DNS_TYPE_ANY = 255,
        DNS_CLASS_IN = 1,
        DNS_RCODE_OK = 0,
        DNS_RCODE_FORMERR = 1,
        DNS_RCODE_SERVFAIL = 2,
        DNS_RCODE_NXDOMAIN = 3,
        DNS_RCODE_NOTIMP = 4,
        DNS_RCODE_REFUSED = 5,
};

#define DNS_UDP_MAX 512u
#define DNS_TCP_MAX 65535u

typedef struct dns_query {
        uint16_t id;
        uint16_t flags;              /* as received (RD is echoed) */
        char name[NET_NAME_MAX + 1]; /* lower case, no trailing dot; "" for the root */
        uint16_t qtype, qclass;
        size_t question_len; /* bytes of the question section, for the answer */
} dns_query;

/* Parses a query. 0, or -EBADMSG for anything malformed or not a standard
 * query (QR set, opcode other than QUERY, QDCOUNT != 1, answer or
 * authority records, bytes after the last record, more than DNS_TCP_MAX
 * bytes); when the header could be read, *ret still carries id and flags
 * so that a FORMERR answer can be sent (and question_len is 0). Labels may
 * hold any byte but '.' and NUL; ASCII letters are lower-cased. */
int dns_parse_query(const uint8_t *pkt, size_t len, dns_query *ret);

/* Builds the answer to q into out (at most cap bytes): the header with
 * QR, AA, RA and q's RD and id, opcode 0, rcode, q's question, and one
 * record per address in addrs (A records for AF_INET ones when qtype is A
 * or ANY, AAAA for AF_INET6 when AAAA or ANY), each of class IN with the
 * given TTL and its name a pointer to the question's. Returns the length,
 * or -ENOSPC (nothing written), or -EINVAL for an rcode over 15 or a name
 * that cannot be encoded. */
long dns_build_answer(const dns_query *q, int rcode, const net_addr *addrs, size_t n_addrs, uint32_t ttl, uint8_t *out,
                      size_t cap);
/* An answer without records, typically FORMERR for a packet that could
 * not be parsed: id, opcode and RD from q (zero when even the header was
 * short; q may be NULL), QR and RA set. The question is repeated when q
 * holds a parsed one (question_len != 0), as stub resolvers compare it
 * with theirs even on REFUSED or NOTIMP. Returns the length, -ENOSPC or
 * -EINVAL as dns_build_answer. */
long dns_build_error(const dns_query *q, int rcode, uint8_t *out, size_t cap);
