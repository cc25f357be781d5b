/* Fuzz target: the DNS wire format, dns_parse_query(), dns_build_answer()
 * and dns_build_error().
 *
 * The input is one packet, as a sandboxed program would send it. Checked,
 * from dns.h:
 *   - a refused packet leaves id and flags from its header (zero when there
 *     was no header) and question_len 0, and its FORMERR answer is a bare
 *     header with that id;
 *   - a parsed query is a standard query (QR clear, opcode 0, one question,
 *     no answer or authority records) whose name is lower case, at most 253
 *     bytes, with labels of 1-63 bytes;
 *   - the answer built for it has the documented header, exactly the
 *     records its type asks for, each a pointer to the question's name, and
 *     its question section, read back as a query, gives the same question;
 *     one byte less of room gives -ENOSPC;
 *   - the error built for it repeats the question. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "net/dns.h"

static uint16_t get16(const uint8_t *p) {
        return (uint16_t)((p[0] << 8) | p[1]);
}

static void check_name(const char *name) {
        size_t n = strlen(name), label = 0;
        if (n > NET_NAME_MAX)
                fuzz_fail("name of %zu bytes", n);
        for (size_t i = 0; i < n; i++) {
                if (name[i] >= 'A' && name[i] <= 'Z')
                        fuzz_fail("name '%.64s' is not lower case", name);
                if (name[i] != '.') {
                        if (++label > 63)
                                fuzz_fail("name '%.64s' has a label over 63 bytes", name);
                        continue;
                }
                if (label == 0)
                        fuzz_fail("name '%.64s' has an empty label", name);
                label = 0;
        }
        if (n > 0 && label == 0)
                fuzz_fail("name '%.64s' ends with a dot", name);
}

static void check_refused(const uint8_t *data, size_t size, const dns_query *q) {
        uint8_t out[DNS_UDP_MAX];
        uint16_t id = size >= 12 ? get16(data) : 0, flags = size >= 12 ? get16(data + 2) : 0;
        if (q->id != id || q->flags != flags)
                fuzz_fail("refused query: id/flags %04x/%04x, the header says %04x/%04x", q->id, q->flags, id, flags);
        if (q->question_len != 0)
                fuzz_fail("refused query with question_len %zu", q->question_len);
        long len = dns_build_error(q, DNS_RCODE_FORMERR, out, sizeof out);
        if (len != 12)
                fuzz_fail("FORMERR of %ld bytes", len);
        uint16_t want = (uint16_t)(0x8000u | 0x0080u | (flags & 0x7900u) | DNS_RCODE_FORMERR);
        if (get16(out) != id || get16(out + 2) != want || get16(out + 4) || get16(out + 6) || get16(out + 8) ||
            get16(out + 10))
                fuzz_fail("FORMERR header %02x%02x %02x%02x ...", out[0], out[1], out[2], out[3]);
}

static void check_answer(const dns_query *q, const uint8_t *out, long len, int rcode, const net_addr *addrs,
                         size_t n_addrs, uint32_t ttl) {
        size_t o = 12 + q->question_len, count = 0;
        uint16_t want = (uint16_t)(0x8000u | 0x0400u | 0x0080u | (q->flags & 0x0100u) | (unsigned)rcode);
        if (len < (long)o)
                fuzz_fail("answer of %ld bytes, question of %zu", len, q->question_len);
        if (get16(out) != q->id || get16(out + 2) != want || get16(out + 4) != 1 || get16(out + 8) || get16(out + 10))
                fuzz_fail("answer header %02x%02x %02x%02x ...", out[0], out[1], out[2], out[3]);
        for (size_t i = 0; i < n_addrs; i++) {
                bool v4 = addrs[i].family == AF_INET;
                bool wanted = q->qtype == DNS_TYPE_ANY || q->qtype == (v4 ? DNS_TYPE_A : DNS_TYPE_AAAA);
                if (!wanted)
                        continue;
                size_t rdlen = v4 ? 4 : 16;
                if ((size_t)len < o + 12 + rdlen)
                        fuzz_fail("answer cut in record %zu", count);
                const uint8_t *rr = out + o;
                uint32_t got_ttl = (uint32_t)get16(rr + 6) << 16 | get16(rr + 8);
                if (rr[0] != 0xc0 || rr[1] != 12 || get16(rr + 2) != (v4 ? DNS_TYPE_A : DNS_TYPE_AAAA) ||
                    get16(rr + 4) != DNS_CLASS_IN || got_ttl != ttl || get16(rr + 10) != rdlen ||
                    memcmp(rr + 12, v4 ? (const void *)&addrs[i].v4 : (const void *)&addrs[i].v6, rdlen) != 0)
                        fuzz_fail("record %zu is not address %zu", count, i);
                o += 12 + rdlen;
                count++;
        }
        if ((size_t)len != o || get16(out + 6) != count)
                fuzz_fail("answer of %ld bytes with ANCOUNT %u, want %zu bytes and %zu records", len, get16(out + 6), o,
                          count);

        /* The question section, turned back into a query (QR and AA off,
         * no answers), is the same question. */
        uint8_t back[12 + NET_NAME_MAX + 2 + 4];
        dns_query q2;
        if (q->question_len > sizeof back - 12)
                fuzz_fail("question of %zu bytes", q->question_len);
        memcpy(back, out, 12 + q->question_len);
        back[2] &= 0x7b;
        back[6] = back[7] = 0;
        int r = dns_parse_query(back, 12 + q->question_len, &q2);
        if (r != 0 || strcmp(q2.name, q->name) != 0 || q2.qtype != q->qtype || q2.qclass != q->qclass ||
            q2.question_len != q->question_len || q2.id != q->id)
                fuzz_fail("the answer's question reads back as %d '%.64s', not '%.64s'", r, q2.name, q->name);
        /* An answer is no query. */
        if (dns_parse_query(out, (size_t)len, &q2) != -EBADMSG)
                fuzz_fail("an answer parsed as a query");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint8_t out[DNS_TCP_MAX];
        dns_query q;
        memset(&q, 0xa5, sizeof q);
        int r = dns_parse_query(data, size, &q);
        if (r < 0) {
                if (r != -EBADMSG)
                        fuzz_fail("dns_parse_query returned %d", r);
                check_refused(data, size, &q);
                return 0;
        }
        if (r != 0 || size > DNS_TCP_MAX)
                fuzz_fail("dns_parse_query returned %d for %zu bytes", r, size);
        if ((q.flags & 0xf800u) != 0 || get16(data + 4) != 1 || get16(data + 6) || get16(data + 8))
                fuzz_fail("accepted a packet that is not a standard query");
        check_name(q.name);
        size_t name_len = q.name[0] ? strlen(q.name) + 2 : 1;
        if (q.question_len != name_len + 4)
                fuzz_fail("question_len %zu for name '%.64s'", q.question_len, q.name);

        /* Addresses from the input's own bytes, of both families. */
        net_addr addrs[4];
        memset(addrs, 0, sizeof addrs);
        for (size_t i = 0; i < 4; i++) {
                addrs[i].family = i % 2 ? AF_INET6 : AF_INET;
                for (size_t j = 0; j < 16; j++)
                        addrs[i].v6.s6_addr[j] = data[(i * 16 + j) % size];
        }
        int rcode = data[size - 1] & 0x0f;
        uint32_t ttl = (uint32_t)size * 2654435761u;
        long len = dns_build_answer(&q, rcode, addrs, 4, ttl, out, DNS_UDP_MAX);
        if (len < 0)
                fuzz_fail("dns_build_answer for '%.64s' failed: %ld", q.name, len);
        check_answer(&q, out, len, rcode, addrs, 4, ttl);
        if (dns_build_answer(&q, rcode, addrs, 4, ttl, out, (size_t)len - 1) != -ENOSPC)
                fuzz_fail("dns_build_answer with a byte too little did not fail");

        len = dns_build_error(&q, DNS_RCODE_REFUSED, out, DNS_UDP_MAX);
        if (len != (long)(12 + q.question_len) || get16(out + 4) != 1 || get16(out + 6) != 0)
                fuzz_fail("REFUSED answer of %ld bytes", len);
        return 0;
}
