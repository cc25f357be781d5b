/* The DNS wire format for ward's resolver: one query in, one answer out.
 *
 * The packets come from the sandboxed program, so the parser trusts
 * nothing: every length is checked against the end of the packet before a
 * byte is read, a name is built into a fixed buffer and refused past 253
 * bytes, and a compression pointer must land before every byte of the name
 * read so far (and past the header), so that a name cannot loop whatever
 * the pointers say; at most 16 are followed. Answers are built by first
 * computing their exact size, so an answer that does not fit writes
 * nothing. */
#include "net/dns.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_HEADER_LEN 12u
#define DNS_POINTERS_MAX 16u
#define DNS_LABEL_MAX 63u
#define DNS_RR_FIXED 10u /* type, class, TTL, RDLENGTH */

#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_OPCODE_MASK 0x7800u
#define DNS_RCODE_MASK 0x000fu

static uint16_t get16(const uint8_t *p) {
        return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
        put16(p, (uint16_t)(v >> 16));
        put16(p + 2, (uint16_t)v);
}

/* Reads the name at *pos into out (NULL: only skip it) and moves *pos past
 * it: past its terminating zero, or past its first pointer. */
static int read_name(const uint8_t *pkt, size_t len, size_t *pos, char *out) {
        char name[NET_NAME_MAX + 1];
        size_t p = *pos, end = 0, n = 0;
        size_t segment = p; /* where this run of labels began */
        unsigned jumps = 0;

        for (;;) {
                if (p >= len)
                        return -EBADMSG;
                uint8_t b = pkt[p];
                if ((b & 0xc0) == 0xc0) {
                        if (len - p < 2)
                                return -EBADMSG;
                        size_t target = ((size_t)(b & 0x3f) << 8) | pkt[p + 1];
                        /* Strictly before this run of labels, so each jump
                         * goes below everything read so far: no loop. */
                        if (target < DNS_HEADER_LEN || target >= segment || ++jumps > DNS_POINTERS_MAX)
                                return -EBADMSG;
                        if (jumps == 1)
                                end = p + 2;
                        p = segment = target;
                        continue;
                }
                if (b & 0xc0) /* 0x40 and 0x80: extended and reserved label types */
                        return -EBADMSG;
                if (b == 0) {
                        if (jumps == 0)
                                end = p + 1;
                        break;
                }
                if (b > len - p - 1 || (n ? n + 1 : 0) + b > NET_NAME_MAX)
                        return -EBADMSG;
                if (n)
                        name[n++] = '.';
                for (size_t i = 0; i < b; i++) {
                        char c = (char)pkt[p + 1 + i];
                        /* The name is kept flat, with dots between labels:
                         * a dot or a NUL inside a label would change it. */
                        if (c == '.' || c == '\0')
                                return -EBADMSG;
                        if (c >= 'A' && c <= 'Z')
                                c = (char)(c - 'A' + 'a');
                        name[n++] = c;
                }
                p += 1 + (size_t)b;
        }
        name[n] = '\0';
        if (out)
                memcpy(out, name, n + 1);
        *pos = end;
        return 0;
}

/* Skips one resource record at *pos. */
static int skip_record(const uint8_t *pkt, size_t len, size_t *pos) {
        size_t p = *pos;
        int r = read_name(pkt, len, &p, NULL);
        if (r < 0)
                return r;
        if (len - p < DNS_RR_FIXED)
                return -EBADMSG;
        size_t rdlen = get16(pkt + p + 8);
        p += DNS_RR_FIXED;
        if (len - p < rdlen)
                return -EBADMSG;
        *pos = p + rdlen;
        return 0;
}

int dns_parse_query(const uint8_t *pkt, size_t len, dns_query *ret) {
        dns_query q;
        size_t pos = DNS_HEADER_LEN;
        int r;

        memset(ret, 0, sizeof *ret);
        if (!pkt || len < DNS_HEADER_LEN)
                return -EBADMSG;
        memset(&q, 0, sizeof q);
        q.id = get16(pkt);
        q.flags = get16(pkt + 2);
        ret->id = q.id;
        ret->flags = q.flags;
        if (len > DNS_TCP_MAX)
                return -EBADMSG;
        if ((q.flags & DNS_FLAG_QR) || (q.flags & DNS_OPCODE_MASK) != 0)
                return -EBADMSG;
        /* Exactly one question; a query carries no answers or authority,
         * and its additional records (EDNS OPT) are checked, then ignored. */
        if (get16(pkt + 4) != 1 || get16(pkt + 6) != 0 || get16(pkt + 8) != 0)
                return -EBADMSG;
        unsigned arcount = get16(pkt + 10);

        r = read_name(pkt, len, &pos, q.name);
        if (r < 0)
                return r;
        if (len - pos < 4)
                return -EBADMSG;
        q.qtype = get16(pkt + pos);
        q.qclass = get16(pkt + pos + 2);
        pos += 4;
        q.question_len = pos - DNS_HEADER_LEN;

        for (unsigned i = 0; i < arcount; i++) {
                r = skip_record(pkt, len, &pos);
                if (r < 0)
                        return r;
        }
        if (pos != len)
                return -EBADMSG;
        *ret = q;
        return 0;
}

/* Writes name in wire format to out (NULL: only measure). Returns its
 * length, or -EINVAL when it is not a name that could have been parsed. */
static long encode_name(const char *name, uint8_t *out) {
        size_t n = strnlen(name, NET_NAME_MAX + 1), o = 0, start = 0;
        if (n > NET_NAME_MAX)
                return -EINVAL;
        if (n == 0) {
                if (out)
                        out[0] = 0;
                return 1;
        }
        for (size_t i = 0; i <= n; i++) {
                if (i < n && name[i] != '.')
                        continue;
                size_t l = i - start;
                if (l == 0 || l > DNS_LABEL_MAX)
                        return -EINVAL;
                if (out) {
                        out[o] = (uint8_t)l;
                        memcpy(out + o + 1, name + start, l);
                }
                o += 1 + l;
                start = i + 1;
        }
        if (out)
                out[o] = 0;
        return (long)(o + 1);
}

static bool record_wanted(const dns_query *q, const net_addr *a) {
        if (a->family == AF_INET)
                return q->qtype == DNS_TYPE_A || q->qtype == DNS_TYPE_ANY;
        if (a->family == AF_INET6)
                return q->qtype == DNS_TYPE_AAAA || q->qtype == DNS_TYPE_ANY;
        return false;
}

/* The header and the question; `question` false leaves it out (QDCOUNT 0).
 * out must hold 12 + name_len + 4 bytes. Returns the bytes written. */
static size_t write_head(const dns_query *q, uint16_t flags, bool question, size_t name_len, uint16_t ancount,
                         uint8_t *out) {
        put16(out, q ? q->id : 0);
        put16(out + 2, flags);
        put16(out + 4, question ? 1 : 0);
        put16(out + 6, ancount);
        put16(out + 8, 0);
        put16(out + 10, 0);
        if (!question)
                return DNS_HEADER_LEN;
        (void)encode_name(q->name, out + DNS_HEADER_LEN);
        put16(out + DNS_HEADER_LEN + name_len, q->qtype);
        put16(out + DNS_HEADER_LEN + name_len + 2, q->qclass);
        return DNS_HEADER_LEN + name_len + 4;
}

long dns_build_answer(const dns_query *q, int rcode, const net_addr *addrs, size_t n_addrs, uint32_t ttl, uint8_t *out,
                      size_t cap) {
        if (!q || !out || rcode < 0 || rcode > (int)DNS_RCODE_MASK || (n_addrs && !addrs))
                return -EINVAL;
        long name_len = encode_name(q->name, NULL);
        if (name_len < 0)
                return name_len;

        size_t size = DNS_HEADER_LEN + (size_t)name_len + 4, count = 0;
        for (size_t i = 0; i < n_addrs; i++) {
                if (!record_wanted(q, &addrs[i]))
                        continue;
                count++;
                size += 2 + DNS_RR_FIXED + (addrs[i].family == AF_INET ? 4 : 16);
                /* Past this no answer fits any transport; also keeps
                 * `size` and ANCOUNT from overflowing. */
                if (size > DNS_TCP_MAX)
                        return -ENOSPC;
        }
        if (size > cap)
                return -ENOSPC;

        uint16_t flags =
                (uint16_t)(DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RA | (q->flags & DNS_FLAG_RD) | (unsigned)rcode);
        size_t o = write_head(q, flags, true, (size_t)name_len, (uint16_t)count, out);
        for (size_t i = 0; i < n_addrs; i++) {
                const net_addr *a = &addrs[i];
                if (!record_wanted(q, a))
                        continue;
                bool v4 = a->family == AF_INET;
                uint16_t rdlen = v4 ? 4 : 16;
                put16(out + o, 0xc000u | DNS_HEADER_LEN); /* the question's name */
                put16(out + o + 2, v4 ? DNS_TYPE_A : DNS_TYPE_AAAA);
                put16(out + o + 4, DNS_CLASS_IN);
                put32(out + o + 6, ttl);
                put16(out + o + 10, rdlen);
                memcpy(out + o + 12, v4 ? (const void *)&a->v4 : (const void *)&a->v6, rdlen);
                o += 12 + (size_t)rdlen;
        }
        return (long)o;
}

long dns_build_error(const dns_query *q, int rcode, uint8_t *out, size_t cap) {
        if (!out || rcode < 0 || rcode > (int)DNS_RCODE_MASK)
                return -EINVAL;
        bool question = q && q->question_len != 0;
        long name_len = question ? encode_name(q->name, NULL) : 0;
        if (name_len < 0)
                return name_len;
        size_t size = DNS_HEADER_LEN + (question ? (size_t)name_len + 4 : 0);
        if (size > cap)
                return -ENOSPC;
        uint16_t flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA | (unsigned)rcode);
        if (q)
                flags |= (uint16_t)(q->flags & (DNS_OPCODE_MASK | DNS_FLAG_RD));
        return (long)write_head(q, flags, question, (size_t)name_len, 0, out);
}
