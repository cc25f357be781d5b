/* Fuzz target: the frame reader of ward serve, frame_reader_feed() and
 * frame_reader_read() (src/server/frame.h).
 *
 * The input is the byte stream a peer sends; its first byte chooses how
 * the rest is cut into pieces. Checked, from frame.h:
 *   - fed whole, fed in pieces, and read from a socket, the stream gives
 *     the same frames and ends the same way;
 *   - that is what a reading of the wire format written here, separately,
 *     says: a 24-byte native-endian header (type, json_len, id, blob_len),
 *     json_len bytes of JSON, blob_len bytes; -EBADMSG for a type outside
 *     1..FRAME_TYPE_MAX, -EMSGSIZE for a length over the caps (both before any byte of
 *     the body), -EPROTO for an empty JSON or one with a NUL (once the JSON
 *     is complete); from a socket, -EPIPE at the end between frames and
 *     -ECONNRESET inside one;
 *   - each frame's JSON is NUL-terminated text of json_len bytes, its blob
 *     NULL exactly when blob_len is 0, and feed never takes a byte past
 *     the frame it returns. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "server/frame.h"

#define HDR 24u
#define MAX_FRAMES 64u
/* Small caps, so that inputs reach them. */
static const frame_caps caps = {.json_max = 64, .blob_max = 256};

typedef struct outcome {
        size_t n;                 /* frames */
        size_t start[MAX_FRAMES]; /* offset of each frame in the stream */
        size_t len[MAX_FRAMES];
        int end;     /* 0: the stream ended (at a boundary or not), or an error */
        size_t have; /* bytes of an incomplete last frame */
} outcome;

static uint32_t get32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        return v;
}

static uint64_t get64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return v;
}

/* The wire format as frame.h documents it. */
static void reference(const uint8_t *d, size_t n, outcome *o) {
        size_t off = 0;
        memset(o, 0, sizeof *o);
        while (o->n < MAX_FRAMES) {
                size_t left = n - off;
                if (left < HDR) {
                        o->have = left;
                        return;
                }
                uint32_t type = get32(d + off), json_len = get32(d + off + 4);
                uint64_t blob_len = get64(d + off + 16);
                if (type < 1 || type > FRAME_TYPE_MAX) {
                        o->end = -EBADMSG;
                        return;
                }
                if (json_len > caps.json_max || blob_len > caps.blob_max) {
                        o->end = -EMSGSIZE;
                        return;
                }
                if (json_len == 0) {
                        o->end = -EPROTO;
                        return;
                }
                if (left < HDR + json_len) {
                        o->have = left;
                        return;
                }
                if (memchr(d + off + HDR, 0, json_len)) {
                        o->end = -EPROTO;
                        return;
                }
                if (left < HDR + json_len + blob_len) {
                        o->have = left;
                        return;
                }
                o->start[o->n] = off;
                o->len[o->n] = HDR + json_len + (size_t)blob_len;
                off += o->len[o->n++];
        }
}

/* A frame the reader returned, against the stream bytes it came from. */
static void check_frame(const frame *f, const uint8_t *d, size_t start, size_t len) {
        if (f->hdr.type < FRAME_REQUEST || f->hdr.type > FRAME_TYPE_MAX)
                fuzz_fail("frame of type %u", f->hdr.type);
        if (f->hdr.json_len == 0 || f->hdr.json_len > caps.json_max || f->hdr.blob_len > caps.blob_max)
                fuzz_fail("frame over the caps: %u, %llu", f->hdr.json_len, (unsigned long long)f->hdr.blob_len);
        if (!f->json || strlen(f->json) != f->hdr.json_len)
                fuzz_fail("JSON is not %u bytes of text", f->hdr.json_len);
        if ((f->blob == NULL) != (f->hdr.blob_len == 0))
                fuzz_fail("blob %p for blob_len %llu", (void *)f->blob, (unsigned long long)f->hdr.blob_len);
        if (len != HDR + f->hdr.json_len + f->hdr.blob_len || memcmp(d + start, &f->hdr, HDR) != 0 ||
            memcmp(d + start + HDR, f->json, f->hdr.json_len) != 0 ||
            (f->hdr.blob_len && memcmp(d + start + HDR + f->hdr.json_len, f->blob, (size_t)f->hdr.blob_len) != 0))
                fuzz_fail("frame %zu+%zu is not the bytes it was read from", start, len);
}

/* Feeds the stream in pieces of the sizes `piece` gives (0: whole). */
static void run_feed(const uint8_t *d, size_t n, uint8_t piece, const outcome *want) {
        frame_reader r;
        frame_reader_init(&r, caps);
        size_t off = 0, got = 0, k = 0;
        int end = 0;
        while (off < n) {
                size_t len = piece ? (size_t)(piece % 7 + 1 + (k++ * piece) % 13) : n - off;
                if (len > n - off)
                        len = n - off;
                size_t used = 0;
                frame f;
                memset(&f, 0, sizeof f);
                int res = frame_reader_feed(&r, d + off, len, &used, &f);
                if (used > len)
                        fuzz_fail("feed took %zu of %zu bytes", used, len);
                if (res < 0) {
                        end = res;
                        break;
                }
                if (res == 0 && used != len)
                        fuzz_fail("feed took %zu of %zu bytes and wants more", used, len);
                off += used;
                if (res == 1) {
                        if (got >= want->n || off != want->start[got] + want->len[got])
                                fuzz_fail("feed (piece %u) returned a frame ending at %zu", piece, off);
                        check_frame(&f, d, want->start[got], want->len[got]);
                        frame_free(&f);
                        got++;
                        if (got == MAX_FRAMES)
                                break;
                }
        }
        if (got != want->n || end != want->end)
                fuzz_fail("feed (piece %u): %zu frames, end %d; the format says %zu, %d", piece, got, end, want->n,
                          want->end);
        if (!end && got < MAX_FRAMES && (frame_reader_at_boundary(&r) != (want->have == 0)))
                fuzz_fail("feed (piece %u): at_boundary wrong with %zu bytes pending", piece, want->have);
        frame_reader_free(&r);
}

/* The same stream from a socket that then closes. */
static void run_socket(const uint8_t *d, size_t n, const outcome *want) {
        int sp[2];
        /* Small inputs only: the whole stream must fit the socket buffer. */
        if (n > 16384 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return;
        if ((n && write(sp[0], d, n) != (ssize_t)n) || fcntl(sp[1], F_SETFL, O_NONBLOCK) < 0)
                fuzz_fail("socketpair write failed");
        close(sp[0]);
        frame_reader r;
        frame_reader_init(&r, caps);
        size_t got = 0;
        int res;
        frame f;
        while ((res = frame_reader_read(&r, sp[1], &f)) == 1 && got < MAX_FRAMES) {
                if (got >= want->n)
                        fuzz_fail("read returned an extra frame");
                check_frame(&f, d, want->start[got], want->len[got]);
                frame_free(&f);
                got++;
        }
        if (res == 1)
                frame_free(&f);
        int want_end = want->end ? want->end : want->have ? -ECONNRESET : -EPIPE;
        if (got < MAX_FRAMES && (got != want->n || res != want_end))
                fuzz_fail("read: %zu frames, end %d; the format says %zu, %d", got, res, want->n, want_end);
        frame_reader_free(&r);
        close(sp[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size == 0)
                return 0;
        uint8_t piece = data[0];
        const uint8_t *d = data + 1;
        size_t n = size - 1;
        outcome want;
        reference(d, n, &want);
        run_feed(d, n, 0, &want);
        run_feed(d, n, piece ? piece : 1, &want);
        run_socket(d, n, &want);
        return 0;
}
