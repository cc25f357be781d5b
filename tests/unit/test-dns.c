/* The DNS wire format: queries as stub resolvers send them, malformed
 * packets, and the bytes of the answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/dns.h"

/* Header fields, big-endian, as on the wire. */
#define U16(v) (uint8_t)((v) >> 8), (uint8_t)((v)&0xff)
#define HEADER(id, flags, qd, an, ns, ar) U16(id), U16(flags), U16(qd), U16(an), U16(ns), U16(ar)
#define EXAMPLE_COM 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0

/* glibc's A query for example.com: RD set, no EDNS. */
static const uint8_t query_a[] = {HEADER(0x1234, 0x0100, 1, 0, 0, 0), EXAMPLE_COM, U16(DNS_TYPE_A), U16(DNS_CLASS_IN)};

static dns_query parse_ok(const uint8_t *pkt, size_t len) {
        dns_query q;
        int r = dns_parse_query(pkt, len, &q);
        if (r != 0)
                fail_msg("dns_parse_query: %d", r);
        return q;
}

static void real_queries(void **state) {
        (void)state;
        dns_query q = parse_ok(query_a, sizeof query_a);
        assert_int_equal(q.id, 0x1234);
        assert_int_equal(q.flags, 0x0100);
        assert_string_equal(q.name, "example.com");
        assert_int_equal(q.qtype, DNS_TYPE_A);
        assert_int_equal(q.qclass, DNS_CLASS_IN);
        assert_int_equal(q.question_len, 17);

        /* AAAA, mixed case (DNS 0x20), no RD. */
        static const uint8_t aaaa[] = {HEADER(0xbeef, 0x0000, 1, 0, 0, 0),
                                       3,
                                       'A',
                                       'p',
                                       'I',
                                       7,
                                       'E',
                                       'x',
                                       'a',
                                       'M',
                                       'p',
                                       'l',
                                       'e',
                                       3,
                                       'C',
                                       'O',
                                       'M',
                                       0,
                                       U16(DNS_TYPE_AAAA),
                                       U16(DNS_CLASS_IN)};
        q = parse_ok(aaaa, sizeof aaaa);
        assert_int_equal(q.id, 0xbeef);
        assert_int_equal(q.flags, 0);
        assert_string_equal(q.name, "api.example.com");
        assert_int_equal(q.qtype, DNS_TYPE_AAAA);
        assert_int_equal(q.question_len, 21);

        /* With an EDNS OPT record (UDP size 1232, DO bit, a cookie option),
         * as systemd-resolved and dig send. The record is ignored. */
        static const uint8_t edns[] = {HEADER(0x0001, 0x0120, 1, 0, 0, 1),
                                       EXAMPLE_COM,
                                       U16(DNS_TYPE_A),
                                       U16(DNS_CLASS_IN),
                                       0, /* root */
                                       U16(41),
                                       U16(1232),
                                       0,
                                       0,
                                       U16(0x8000),
                                       U16(12),
                                       U16(10),
                                       U16(8),
                                       1,
                                       2,
                                       3,
                                       4,
                                       5,
                                       6,
                                       7,
                                       8};
        q = parse_ok(edns, sizeof edns);
        assert_string_equal(q.name, "example.com");
        assert_int_equal(q.flags, 0x0120);
        assert_int_equal(q.question_len, 17);

        /* Additional records whose names are compressed: a pointer to the
         * question's name, and a label followed by a pointer. */
        static const uint8_t compressed[] = {HEADER(0x0002, 0x0100, 1, 0, 0, 2),
                                             EXAMPLE_COM,
                                             U16(DNS_TYPE_ANY),
                                             U16(DNS_CLASS_IN),
                                             0xc0,
                                             12, /* offset 29: example.com */
                                             U16(DNS_TYPE_A),
                                             U16(DNS_CLASS_IN),
                                             0,
                                             0,
                                             0,
                                             60,
                                             U16(4),
                                             1,
                                             2,
                                             3,
                                             4,
                                             3,
                                             'w', /* offset 45: www.example.com */
                                             'w',
                                             'w',
                                             0xc0,
                                             29,
                                             U16(DNS_TYPE_A),
                                             U16(DNS_CLASS_IN),
                                             0,
                                             0,
                                             0,
                                             60,
                                             U16(0)};
        q = parse_ok(compressed, sizeof compressed);
        assert_string_equal(q.name, "example.com");
        assert_int_equal(q.qtype, DNS_TYPE_ANY);

        /* The root, and labels of odd bytes (anything but '.' and NUL). */
        static const uint8_t root[] = {HEADER(3, 0, 1, 0, 0, 0), 0, U16(2), U16(1)};
        q = parse_ok(root, sizeof root);
        assert_string_equal(q.name, "");
        assert_int_equal(q.question_len, 5);
        static const uint8_t odd[] = {HEADER(4, 0, 1, 0, 0, 0), 3, 'a', ' ', 0xff, 1, '_', 0, U16(1), U16(1)};
        q = parse_ok(odd, sizeof odd);
        assert_string_equal(q.name, "a \xff._");
}

/* A query for a name of labels of the given lengths, in `pkt`. */
static size_t query_with_labels(uint8_t *pkt, size_t cap, const unsigned *labels, size_t n) {
        static const uint8_t head[] = {HEADER(0x4242, 0x0100, 1, 0, 0, 0)};
        size_t o = sizeof head;
        memcpy(pkt, head, o);
        for (size_t i = 0; i < n; i++) {
                assert_true(o + 1 + labels[i] + 5 <= cap);
                pkt[o++] = (uint8_t)labels[i];
                memset(pkt + o, 'a', labels[i]);
                o += labels[i];
        }
        pkt[o++] = 0;
        const uint8_t tail[] = {U16(1), U16(1)};
        memcpy(pkt + o, tail, 4);
        return o + 4;
}

static void expect_bad(const uint8_t *pkt, size_t len, uint16_t id, uint16_t flags) {
        dns_query q;
        memset(&q, 0x5a, sizeof q);
        assert_int_equal(dns_parse_query(pkt, len, &q), -EBADMSG);
        assert_int_equal(q.id, id);
        assert_int_equal(q.flags, flags);
        assert_int_equal(q.question_len, 0);
}

static void malformed(void **state) {
        (void)state;
        uint8_t pkt[600];

        /* Truncated header: nothing, not even the id. */
        expect_bad(query_a, 11, 0, 0);
        expect_bad(query_a, 0, 0, 0);
        expect_bad(NULL, 0, 0, 0);
        /* Every cut of a valid query is refused, with id and flags kept. */
        for (size_t len = 12; len < sizeof query_a; len++)
                expect_bad(query_a, len, 0x1234, 0x0100);
        /* One byte too many. */
        memcpy(pkt, query_a, sizeof query_a);
        pkt[sizeof query_a] = 0;
        expect_bad(pkt, sizeof query_a + 1, 0x1234, 0x0100);

        /* A name that runs past the end. */
        static const uint8_t trunc_name[] = {HEADER(0x1111, 0x0100, 1, 0, 0, 0), 7, 'e', 'x', 'a', 'm'};
        expect_bad(trunc_name, sizeof trunc_name, 0x1111, 0x0100);

        /* QDCOUNT 2, or 0; answers or authority in a query. */
        static const uint8_t two[] = {
                HEADER(0x2222, 0x0100, 2, 0, 0, 0), EXAMPLE_COM, U16(1), U16(1), EXAMPLE_COM, U16(1), U16(1)};
        expect_bad(two, sizeof two, 0x2222, 0x0100);
        static const uint8_t none[] = {HEADER(0x2223, 0x0100, 0, 0, 0, 0)};
        expect_bad(none, sizeof none, 0x2223, 0x0100);
        static const uint8_t with_answer[] = {HEADER(0x2224, 0x0100, 1, 1, 0, 0),
                                              EXAMPLE_COM,
                                              U16(1),
                                              U16(1),
                                              0xc0,
                                              12,
                                              U16(1),
                                              U16(1),
                                              0,
                                              0,
                                              0,
                                              1,
                                              U16(4),
                                              1,
                                              2,
                                              3,
                                              4};
        expect_bad(with_answer, sizeof with_answer, 0x2224, 0x0100);

        /* QR set (an answer), and an opcode other than QUERY. */
        static const uint8_t qr[] = {HEADER(0x3333, 0x8100, 1, 0, 0, 0), EXAMPLE_COM, U16(1), U16(1)};
        expect_bad(qr, sizeof qr, 0x3333, 0x8100);
        static const uint8_t status[] = {HEADER(0x3334, 0x1000, 1, 0, 0, 0), EXAMPLE_COM, U16(1), U16(1)};
        expect_bad(status, sizeof status, 0x3334, 0x1000);

        /* Compression pointers: to itself, forward, into the header, and a
         * loop of two. */
        static const uint8_t self[] = {HEADER(0x4444, 0, 1, 0, 0, 0), 0xc0, 12, U16(1), U16(1)};
        expect_bad(self, sizeof self, 0x4444, 0);
        static const uint8_t forward[] = {HEADER(0x4445, 0, 1, 0, 0, 0), 0xc0, 18, U16(1), U16(1), 1, 'a', 0};
        expect_bad(forward, sizeof forward, 0x4445, 0);
        static const uint8_t header[] = {HEADER(0x4446, 0, 1, 0, 0, 0), 0xc0, 0, U16(1), U16(1)};
        expect_bad(header, sizeof header, 0x4446, 0);
        /* Additional record at 29: "a" then a pointer back to 29. */
        static const uint8_t loop[] = {HEADER(0x4447, 0, 1, 0, 0, 1),
                                       EXAMPLE_COM,
                                       U16(1),
                                       U16(1),
                                       1,
                                       'a',
                                       0xc0,
                                       29,
                                       U16(41),
                                       U16(512),
                                       0,
                                       0,
                                       0,
                                       0,
                                       U16(0)};
        expect_bad(loop, sizeof loop, 0x4447, 0);
        /* Record at 29 points to 31, which points back to 29. */
        static const uint8_t loop2[] = {HEADER(0x4448, 0, 1, 0, 0, 1),
                                        EXAMPLE_COM,
                                        U16(1),
                                        U16(1),
                                        0xc0,
                                        31,
                                        0xc0,
                                        29,
                                        U16(41),
                                        U16(512),
                                        0,
                                        0,
                                        0,
                                        0,
                                        U16(0)};
        expect_bad(loop2, sizeof loop2, 0x4448, 0);
        /* A pointer cut in half. */
        static const uint8_t half[] = {HEADER(0x4449, 0, 1, 0, 0, 1), EXAMPLE_COM, U16(1), U16(1), 0xc0};
        expect_bad(half, sizeof half, 0x4449, 0);

        /* Label types 0x40 (a "label of 64") and 0x80. */
        const unsigned l63[] = {63}, l64[] = {64};
        size_t len = query_with_labels(pkt, sizeof pkt, l63, 1);
        parse_ok(pkt, len);
        pkt[12] = 0x80 | 63;
        expect_bad(pkt, len, 0x4242, 0x0100);
        len = query_with_labels(pkt, sizeof pkt, l64, 1);
        expect_bad(pkt, len, 0x4242, 0x0100);

        /* Names of 253 bytes and of 254 (63+1+63+1+63+1+62). */
        const unsigned n253[] = {63, 63, 63, 61}, n254[] = {63, 63, 63, 62};
        len = query_with_labels(pkt, sizeof pkt, n253, 4);
        dns_query q = parse_ok(pkt, len);
        assert_int_equal(strlen(q.name), 253);
        len = query_with_labels(pkt, sizeof pkt, n254, 4);
        expect_bad(pkt, len, 0x4242, 0x0100);

        /* A dot or a NUL inside a label would change the flat name. */
        static const uint8_t dot[] = {HEADER(0x5555, 0, 1, 0, 0, 0), 3, 'a', '.', 'b', 0, U16(1), U16(1)};
        expect_bad(dot, sizeof dot, 0x5555, 0);
        static const uint8_t nul[] = {HEADER(0x5556, 0, 1, 0, 0, 0), 3, 'a', 0, 'b', 0, U16(1), U16(1)};
        expect_bad(nul, sizeof nul, 0x5556, 0);

        /* An additional record whose data runs past the end. */
        static const uint8_t rdata[] = {HEADER(0x6666, 0, 1, 0, 0, 1),
                                        EXAMPLE_COM,
                                        U16(1),
                                        U16(1),
                                        0,
                                        U16(41),
                                        U16(512),
                                        0,
                                        0,
                                        0,
                                        0,
                                        U16(5),
                                        1,
                                        2,
                                        3,
                                        4};
        expect_bad(rdata, sizeof rdata, 0x6666, 0);
        /* ARCOUNT larger than the records present. */
        static const uint8_t missing[] = {
                HEADER(0x6667, 0, 1, 0, 0, 2), EXAMPLE_COM, U16(1), U16(1), 0, U16(41), U16(512), 0, 0, 0, 0, U16(0)};
        expect_bad(missing, sizeof missing, 0x6667, 0);

        /* Every cut of a query with an OPT record, inside the record too. */
        static const uint8_t opt[] = {HEADER(0x6668, 0, 1, 0, 0, 1),
                                      EXAMPLE_COM,
                                      U16(1),
                                      U16(1),
                                      0,
                                      U16(41),
                                      U16(512),
                                      0,
                                      0,
                                      0,
                                      0,
                                      U16(4),
                                      U16(10),
                                      U16(0)};
        parse_ok(opt, sizeof opt);
        for (size_t cut = 12; cut < sizeof opt; cut++)
                expect_bad(opt, cut, 0x6668, 0);

        /* More than DNS_TCP_MAX bytes. */
        static uint8_t big[DNS_TCP_MAX + 1];
        memcpy(big, query_a, sizeof query_a);
        expect_bad(big, sizeof big, 0x1234, 0x0100);
}

/* Records whose names are chains of pointers: record k (from 1) follows k
 * pointers to reach the question's name. */
static size_t pointer_chain(uint8_t *pkt, unsigned records) {
        static const uint8_t head[] = {HEADER(0x7777, 0, 1, 0, 0, 0), EXAMPLE_COM, U16(1), U16(1)};
        size_t o = sizeof head, prev = 12;
        memcpy(pkt, head, o);
        pkt[11] = (uint8_t)records;
        for (unsigned i = 0; i < records; i++) {
                size_t here = o;
                pkt[o++] = (uint8_t)(0xc0 | (prev >> 8));
                pkt[o++] = (uint8_t)prev;
                const uint8_t rest[] = {U16(1), U16(1), 0, 0, 0, 1, U16(0)};
                memcpy(pkt + o, rest, sizeof rest);
                o += sizeof rest;
                prev = here;
        }
        return o;
}

static void pointer_limit(void **state) {
        (void)state;
        uint8_t pkt[512];
        size_t len = pointer_chain(pkt, 16);
        parse_ok(pkt, len);
        len = pointer_chain(pkt, 17);
        expect_bad(pkt, len, 0x7777, 0);
}

static net_addr addr(const char *text) {
        net_addr a;
        assert_int_equal(net_addr_parse(text, &a), 0);
        return a;
}

static void expect_bytes(const uint8_t *got, long len, const uint8_t *want, size_t want_len) {
        assert_int_equal(len, (long)want_len);
        for (size_t i = 0; i < want_len; i++)
                if (got[i] != want[i])
                        fail_msg("byte %zu: 0x%02x, want 0x%02x", i, got[i], want[i]);
}

static void answers(void **state) {
        (void)state;
        uint8_t out[512];
        const net_addr addrs[] = {addr("93.184.216.34"), addr("2001:db8::1"), addr("1.2.3.4")};

        /* A: the two IPv4 addresses, the IPv6 one left out. */
        dns_query q = parse_ok(query_a, sizeof query_a);
        static const uint8_t want_a[] = {
                HEADER(0x1234, 0x8580, 1, 2, 0, 0), /* QR AA RD RA, NOERROR */
                EXAMPLE_COM,
                U16(DNS_TYPE_A),
                U16(DNS_CLASS_IN),
                0xc0,
                12,
                U16(DNS_TYPE_A),
                U16(DNS_CLASS_IN),
                0,
                0,
                0,
                60,
                U16(4),
                93,
                184,
                216,
                34,
                0xc0,
                12,
                U16(DNS_TYPE_A),
                U16(DNS_CLASS_IN),
                0,
                0,
                0,
                60,
                U16(4),
                1,
                2,
                3,
                4,
        };
        long len = dns_build_answer(&q, DNS_RCODE_OK, addrs, 3, 60, out, sizeof out);
        expect_bytes(out, len, want_a, sizeof want_a);

        /* AAAA, without RD in the query: none in the answer. */
        q.qtype = DNS_TYPE_AAAA;
        q.flags = 0;
        q.id = 0xbeef;
        static const uint8_t want_aaaa[] = {
                HEADER(0xbeef, 0x8480, 1, 1, 0, 0),
                EXAMPLE_COM,
                U16(DNS_TYPE_AAAA),
                U16(DNS_CLASS_IN),
                0xc0,
                12,
                U16(DNS_TYPE_AAAA),
                U16(DNS_CLASS_IN),
                0x00,
                0x01,
                0x51,
                0x80,
                U16(16),
                0x20,
                0x01,
                0x0d,
                0xb8,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                1,
        };
        len = dns_build_answer(&q, DNS_RCODE_OK, addrs, 3, 86400, out, sizeof out);
        expect_bytes(out, len, want_aaaa, sizeof want_aaaa);

        /* ANY: all three, in order. */
        q.qtype = DNS_TYPE_ANY;
        len = dns_build_answer(&q, DNS_RCODE_OK, addrs, 3, 1, out, sizeof out);
        assert_int_equal(len, 12 + 17 + 16 + 28 + 16);
        assert_int_equal(out[7], 3);
        assert_int_equal(out[12 + 17 + 16 + 3], DNS_TYPE_AAAA);

        /* NXDOMAIN, zero records; and a type no address answers. */
        q = parse_ok(query_a, sizeof query_a);
        static const uint8_t want_nx[] = {HEADER(0x1234, 0x8583, 1, 0, 0, 0), EXAMPLE_COM, U16(DNS_TYPE_A),
                                          U16(DNS_CLASS_IN)};
        len = dns_build_answer(&q, DNS_RCODE_NXDOMAIN, NULL, 0, 60, out, sizeof out);
        expect_bytes(out, len, want_nx, sizeof want_nx);
        q.qtype = 16; /* TXT */
        len = dns_build_answer(&q, DNS_RCODE_OK, addrs, 3, 60, out, sizeof out);
        assert_int_equal(len, 12 + 17);
        assert_int_equal(out[7], 0);

        /* ENOSPC: one byte short writes nothing; exactly enough works. */
        q = parse_ok(query_a, sizeof query_a);
        memset(out, 0xaa, sizeof out);
        assert_int_equal(dns_build_answer(&q, DNS_RCODE_OK, addrs, 3, 60, out, sizeof want_a - 1), -ENOSPC);
        assert_int_equal(out[0], 0xaa);
        assert_int_equal(dns_build_answer(&q, DNS_RCODE_OK, addrs, 3, 60, out, 12), -ENOSPC);
        assert_int_equal(dns_build_answer(&q, DNS_RCODE_OK, addrs, 3, 60, out, sizeof want_a), (long)sizeof want_a);
        assert_int_equal(dns_build_answer(&q, DNS_RCODE_NXDOMAIN, NULL, 0, 60, out, 28), -ENOSPC);

        /* No answer is longer than DNS_TCP_MAX, whatever the room. */
        static net_addr many[4100];
        static uint8_t huge[2 * DNS_TCP_MAX];
        for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
                many[i] = addrs[0];
        assert_int_equal(dns_build_answer(&q, DNS_RCODE_OK, many, 4090, 60, huge, sizeof huge), 12 + 17 + 4090 * 16);
        assert_int_equal(dns_build_answer(&q, DNS_RCODE_OK, many, 4100, 60, huge, sizeof huge), -ENOSPC);

        /* Bad arguments. */
        assert_int_equal(dns_build_answer(&q, 16, NULL, 0, 60, out, sizeof out), -EINVAL);
        assert_int_equal(dns_build_answer(&q, -1, NULL, 0, 60, out, sizeof out), -EINVAL);
        snprintf(q.name, sizeof q.name, "a..b");
        assert_int_equal(dns_build_answer(&q, DNS_RCODE_OK, NULL, 0, 60, out, sizeof out), -EINVAL);

        /* The root's answer points at its one zero byte. */
        static const uint8_t root[] = {HEADER(3, 0x0100, 1, 0, 0, 0), 0, U16(DNS_TYPE_A), U16(DNS_CLASS_IN)};
        q = parse_ok(root, sizeof root);
        static const uint8_t want_root[] = {HEADER(3, 0x8580, 1, 1, 0, 0),
                                            0,
                                            U16(DNS_TYPE_A),
                                            U16(DNS_CLASS_IN),
                                            0xc0,
                                            12,
                                            U16(DNS_TYPE_A),
                                            U16(DNS_CLASS_IN),
                                            0,
                                            0,
                                            0,
                                            5,
                                            U16(4),
                                            1,
                                            2,
                                            3,
                                            4};
        len = dns_build_answer(&q, DNS_RCODE_OK, &addrs[2], 1, 5, out, sizeof out);
        expect_bytes(out, len, want_root, sizeof want_root);
}

static void errors(void **state) {
        (void)state;
        uint8_t out[512];
        dns_query q;

        /* Not even a header: id 0, no question. */
        assert_int_equal(dns_parse_query(query_a, 5, &q), -EBADMSG);
        static const uint8_t want_short[] = {HEADER(0, 0x8081, 0, 0, 0, 0)};
        expect_bytes(out, dns_build_error(&q, DNS_RCODE_FORMERR, out, sizeof out), want_short, sizeof want_short);
        expect_bytes(out, dns_build_error(NULL, DNS_RCODE_FORMERR, out, sizeof out), want_short, sizeof want_short);

        /* A header, then garbage: its id and RD, no question. */
        assert_int_equal(dns_parse_query(query_a, 20, &q), -EBADMSG);
        static const uint8_t want_formerr[] = {HEADER(0x1234, 0x8181, 0, 0, 0, 0)};
        expect_bytes(out, dns_build_error(&q, DNS_RCODE_FORMERR, out, sizeof out), want_formerr, sizeof want_formerr);

        /* An opcode ward does not serve: NOTIMP, opcode echoed. */
        static const uint8_t status[] = {HEADER(0x3334, 0x1100, 1, 0, 0, 0), EXAMPLE_COM, U16(1), U16(1)};
        assert_int_equal(dns_parse_query(status, sizeof status, &q), -EBADMSG);
        static const uint8_t want_notimp[] = {HEADER(0x3334, 0x9184, 0, 0, 0, 0)};
        expect_bytes(out, dns_build_error(&q, DNS_RCODE_NOTIMP, out, sizeof out), want_notimp, sizeof want_notimp);

        /* A parsed query refused: the question is repeated. */
        q = parse_ok(query_a, sizeof query_a);
        static const uint8_t want_refused[] = {HEADER(0x1234, 0x8185, 1, 0, 0, 0), EXAMPLE_COM, U16(DNS_TYPE_A),
                                               U16(DNS_CLASS_IN)};
        expect_bytes(out, dns_build_error(&q, DNS_RCODE_REFUSED, out, sizeof out), want_refused, sizeof want_refused);
        assert_int_equal(dns_build_error(&q, DNS_RCODE_REFUSED, out, sizeof want_refused - 1), -ENOSPC);
        assert_int_equal(dns_build_error(NULL, DNS_RCODE_FORMERR, out, 11), -ENOSPC);
        assert_int_equal(dns_build_error(NULL, 16, out, sizeof out), -EINVAL);
}

/* The answer's question section reads back as the query's. */
static void round_trip(void **state) {
        (void)state;
        uint8_t out[512];
        const net_addr a = addr("192.0.2.1");
        dns_query q = parse_ok(query_a, sizeof query_a);
        long len = dns_build_answer(&q, DNS_RCODE_OK, &a, 1, 60, out, sizeof out);
        assert_true(len > 0);
        /* Turned back into a query: QR and AA off, ANCOUNT 0, no records. */
        out[2] &= 0x7b;
        out[7] = 0;
        dns_query back = parse_ok(out, 12 + q.question_len);
        assert_string_equal(back.name, q.name);
        assert_int_equal(back.qtype, q.qtype);
        assert_int_equal(back.qclass, q.qclass);
        assert_int_equal(back.id, q.id);
        assert_int_equal(back.question_len, q.question_len);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(real_queries), cmocka_unit_test(malformed), cmocka_unit_test(pointer_limit),
                cmocka_unit_test(answers),      cmocka_unit_test(errors),    cmocka_unit_test(round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
