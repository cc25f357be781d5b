/* Frames (src/server/frame.c): round trips over a socketpair, whole and
 * byte by byte; every refusal the reader documents, each before it reads
 * a byte of the refused body; ends of stream; writes that time out or find
 * the peer gone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "server/frame.h"

static const frame_caps caps = {.json_max = 1024, .blob_max = 1u << 20};

static void pair(int sp[2]) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
}

static void nonblock(int fd) {
        assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* Raw bytes onto the socket, as a peer that does not use frame_write. */
static void put(int fd, const void *p, size_t n) {
        assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void put_hdr(int fd, uint32_t type, uint32_t json_len, uint64_t id, uint64_t blob_len) {
        frame_hdr h = {.type = type, .json_len = json_len, .id = id, .blob_len = blob_len};
        put(fd, &h, sizeof h);
}

/* What is left unread on fd (non-blocking), at most n bytes. */
static size_t leftover(int fd, char *buf, size_t n) {
        ssize_t k = recv(fd, buf, n, MSG_DONTWAIT);
        return k < 0 ? 0 : (size_t)k;
}

static void expect_frame(const frame *f, uint32_t type, uint64_t id, const char *json, const void *blob,
                         size_t blob_len) {
        assert_int_equal(f->hdr.type, type);
        assert_int_equal(f->hdr.id, id);
        assert_int_equal(f->hdr.json_len, strlen(json));
        assert_string_equal(f->json, json);
        assert_int_equal(f->hdr.blob_len, blob_len);
        if (blob_len)
                assert_memory_equal(f->blob, blob, blob_len);
        else
                assert_null(f->blob);
}

static void round_trip_blocking(void **state) {
        (void)state;
        int sp[2];
        pair(sp);
        const char blob[] = {'a', 0, 'b', '\xff', 0};
        assert_int_equal(frame_write(sp[0], FRAME_REQUEST, 7, "{\"op\":\"x\"}", 10, blob, sizeof blob), 0);
        assert_int_equal(frame_write(sp[0], FRAME_REPLY, UINT64_MAX, NULL, 0, NULL, 0), 0);
        frame f;
        assert_int_equal(frame_read(sp[1], caps, &f), 1);
        expect_frame(&f, FRAME_REQUEST, 7, "{\"op\":\"x\"}", blob, sizeof blob);
        frame_free(&f);
        /* json NULL is "{}"; a zero-length blob is no blob. */
        assert_int_equal(frame_read(sp[1], caps, &f), 1);
        expect_frame(&f, FRAME_REPLY, UINT64_MAX, "{}", NULL, 0);
        frame_free(&f);
        close(sp[0]);
        assert_int_equal(frame_read(sp[1], caps, &f), -EPIPE);
        close(sp[1]);
}

/* Two frames' bytes as frame_write puts them on the wire. */
static size_t wire_bytes(char *buf, size_t max) {
        int sp[2];
        pair(sp);
        char blob[300];
        for (size_t i = 0; i < sizeof blob; i++)
                blob[i] = (char)(i * 7);
        assert_int_equal(frame_write(sp[0], FRAME_CHUNK, 1, "{\"n\":1}", 7, blob, sizeof blob), 0);
        assert_int_equal(frame_write(sp[0], FRAME_CANCEL, 2, "{}", 2, NULL, 0), 0);
        close(sp[0]);
        size_t n = 0;
        ssize_t k;
        while ((k = read(sp[1], buf + n, max - n)) > 0)
                n += (size_t)k;
        close(sp[1]);
        return n;
}

static void check_two(const frame *a, const frame *b) {
        char blob[300];
        for (size_t i = 0; i < sizeof blob; i++)
                blob[i] = (char)(i * 7);
        expect_frame(a, FRAME_CHUNK, 1, "{\"n\":1}", blob, sizeof blob);
        expect_frame(b, FRAME_CANCEL, 2, "{}", NULL, 0);
}

/* The bytes arrive one at a time on a non-blocking socket: 0 until a frame
 * is whole, never a byte read past it. */
static void incremental_nonblocking(void **state) {
        (void)state;
        char wire[1024];
        size_t n = wire_bytes(wire, sizeof wire);
        assert_int_equal(n, 2 * sizeof(frame_hdr) + 7 + 300 + 2);

        int sp[2];
        pair(sp);
        nonblock(sp[1]);
        frame_reader r;
        frame_reader_init(&r, caps);
        frame got[2];
        unsigned n_got = 0;
        assert_int_equal(frame_reader_read(&r, sp[1], &got[0]), 0); /* nothing yet */
        for (size_t i = 0; i < n; i++) {
                put(sp[0], wire + i, 1);
                int k = frame_reader_read(&r, sp[1], &got[n_got]);
                assert_true(k == 0 || k == 1);
                if (k == 1) {
                        /* Complete exactly at the frame's last byte. */
                        size_t end = n_got == 0 ? sizeof(frame_hdr) + 7 + 300 : n;
                        assert_int_equal(i + 1, end);
                        n_got++;
                }
                assert_true(frame_reader_at_boundary(&r) == (i + 1 == sizeof(frame_hdr) + 7 + 300 || i + 1 == n));
        }
        assert_int_equal(n_got, 2);
        check_two(&got[0], &got[1]);
        frame_free(&got[0]);
        frame_free(&got[1]);
        close(sp[0]);
        assert_int_equal(frame_reader_read(&r, sp[1], &got[0]), -EPIPE);
        frame_reader_free(&r);
        close(sp[1]);
}

/* The same bytes from memory, in pieces of every size from 1 to 9. */
static void feed_pieces(void **state) {
        (void)state;
        char wire[1024];
        size_t n = wire_bytes(wire, sizeof wire);
        for (size_t piece = 1; piece <= 9; piece++) {
                frame_reader r;
                frame_reader_init(&r, caps);
                frame got[2];
                unsigned n_got = 0;
                for (size_t off = 0; off < n;) {
                        size_t len = n - off < piece ? n - off : piece, used = 0;
                        int k = frame_reader_feed(&r, wire + off, len, &used, &got[n_got]);
                        assert_true(k == 0 || k == 1);
                        assert_true(used > 0 && used <= len);
                        if (k == 0)
                                assert_int_equal(used, len);
                        else
                                n_got++;
                        off += used;
                }
                assert_int_equal(n_got, 2);
                check_two(&got[0], &got[1]);
                frame_free(&got[0]);
                frame_free(&got[1]);
                frame_reader_free(&r);
        }
        /* All at once: the first call stops at the end of the first frame. */
        frame_reader r;
        frame_reader_init(&r, caps);
        frame f;
        size_t used;
        assert_int_equal(frame_reader_feed(&r, wire, n, &used, &f), 1);
        assert_int_equal(used, sizeof(frame_hdr) + 7 + 300);
        frame_free(&f);
        assert_int_equal(frame_reader_feed(&r, wire + used, n - used, &used, &f), 1);
        assert_int_equal(used, sizeof(frame_hdr) + 2);
        frame_free(&f);
        assert_int_equal(frame_reader_feed(&r, wire, 0, &used, &f), 0);
        assert_int_equal(used, 0);
        frame_reader_free(&r);
}

/* A header over the caps is refused as soon as it is read: the body that
 * follows stays unread on the socket. */
static void caps_before_body(void **state) {
        (void)state;
        struct {
                uint32_t json_len;
                uint64_t blob_len;
        } cases[] = {
                {caps.json_max + 1, 0},
                {UINT32_MAX, 0},
                {2, caps.blob_max + 1},
                {2, UINT64_MAX},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                int sp[2];
                pair(sp);
                put_hdr(sp[0], FRAME_REQUEST, cases[i].json_len, 1, cases[i].blob_len);
                put(sp[0], "BODY", 4);
                frame f;
                assert_int_equal(frame_read(sp[1], caps, &f), -EMSGSIZE);
                char rest[8];
                assert_int_equal(leftover(sp[1], rest, sizeof rest), 4);
                assert_memory_equal(rest, "BODY", 4);
                close(sp[0]);
                close(sp[1]);
        }
        /* At the caps exactly: accepted. */
        int sp[2];
        pair(sp);
        _cleanup_free_ char *json = malloc(caps.json_max);
        assert_non_null(json);
        memset(json, ' ', caps.json_max);
        json[0] = '1';
        assert_int_equal(frame_write(sp[0], FRAME_REPLY, 3, json, caps.json_max, NULL, 0), 0);
        frame f;
        assert_int_equal(frame_read(sp[1], caps, &f), 1);
        assert_int_equal(f.hdr.json_len, caps.json_max);
        frame_free(&f);
        close(sp[0]);
        close(sp[1]);
}

static void refused_frames(void **state) {
        (void)state;
        /* Unknown types, before anything else is read. */
        uint32_t types[] = {0, FRAME_TYPE_MAX + 1, UINT32_MAX};
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                int sp[2];
                pair(sp);
                put_hdr(sp[0], types[i], 2, 1, 0);
                put(sp[0], "{}", 2);
                frame f;
                assert_int_equal(frame_read(sp[1], caps, &f), -EBADMSG);
                char rest[4];
                assert_int_equal(leftover(sp[1], rest, sizeof rest), 2);
                close(sp[0]);
                close(sp[1]);
        }
        /* A NUL inside the JSON; an empty JSON. */
        int sp[2];
        pair(sp);
        put_hdr(sp[0], FRAME_REPLY, 4, 1, 0);
        put(sp[0], "{\0}x", 4);
        frame f;
        assert_int_equal(frame_read(sp[1], caps, &f), -EPROTO);
        close(sp[0]);
        close(sp[1]);
        pair(sp);
        put_hdr(sp[0], FRAME_REPLY, 0, 1, 0);
        assert_int_equal(frame_read(sp[1], caps, &f), -EPROTO);
        close(sp[0]);
        close(sp[1]);
        /* The same from memory. */
        frame_reader r;
        frame_reader_init(&r, caps);
        static const char json[3] = {'a', '\0', 'b'};
        char wire[sizeof(frame_hdr) + sizeof json];
        frame_hdr h = {.type = FRAME_CHUNK, .json_len = sizeof json, .id = 9};
        memcpy(wire, &h, sizeof h);
        memcpy(wire + sizeof h, json, sizeof json);
        size_t used;
        assert_int_equal(frame_reader_feed(&r, wire, sizeof wire, &used, &f), -EPROTO);
        frame_reader_free(&r);
}

/* The stream ends in the header, in the JSON, in the blob: -ECONNRESET;
 * between frames: -EPIPE. */
static void end_of_stream(void **state) {
        (void)state;
        size_t cuts[] = {1,
                         sizeof(frame_hdr) - 1,
                         sizeof(frame_hdr),
                         sizeof(frame_hdr) + 1,
                         sizeof(frame_hdr) + 2,
                         sizeof(frame_hdr) + 3};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
                int sp[2];
                pair(sp);
                static const char body[4] = {'{', '}', 'z', 'z'};
                char wire[sizeof(frame_hdr) + sizeof body];
                frame_hdr h = {.type = FRAME_REPLY, .json_len = 2, .id = 1, .blob_len = 2};
                memcpy(wire, &h, sizeof h);
                memcpy(wire + sizeof h, body, sizeof body);
                put(sp[0], wire, cuts[i]);
                close(sp[0]);
                frame f;
                assert_int_equal(frame_read(sp[1], caps, &f), -ECONNRESET);
                close(sp[1]);
        }
        int sp[2];
        pair(sp);
        close(sp[0]);
        frame f;
        assert_int_equal(frame_read(sp[1], caps, &f), -EPIPE);
        close(sp[1]);
}

static void write_errors(void **state) {
        (void)state;
        int sp[2];
        pair(sp);
        assert_int_equal(frame_write(sp[0], 0, 1, NULL, 0, NULL, 0), -EINVAL);
        assert_int_equal(frame_write(sp[0], FRAME_TYPE_MAX + 1, 1, NULL, 0, NULL, 0), -EINVAL);
        assert_int_equal(frame_write(sp[0], FRAME_REPLY, 1, "{}", 0, NULL, 0), -EINVAL);
        assert_int_equal(frame_write(sp[0], FRAME_REPLY, 1, "{}", 2, NULL, 5), -EINVAL);
        assert_int_equal(frame_write(sp[0], FRAME_REPLY, 1, "{}", (size_t)UINT32_MAX + 1, NULL, 0), -EMSGSIZE);
        /* Nothing was written by any of those. */
        char buf[4];
        assert_int_equal(leftover(sp[1], buf, sizeof buf), 0);

        /* A peer that reads nothing: a non-blocking write gives up. */
        nonblock(sp[0]);
        size_t big = 4u << 20;
        char *blob = calloc(1, big);
        assert_non_null(blob);
        int r = frame_write_timeout(sp[0], FRAME_REQUEST, 1, "{}", 2, blob, big, 50);
        free(blob);
        assert_int_equal(r, -ETIMEDOUT);

        /* A peer that is gone: an error, not SIGPIPE. */
        close(sp[1]);
        assert_int_equal(frame_write(sp[0], FRAME_REPLY, 1, "{}", 2, NULL, 0), -EPIPE);
        close(sp[0]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(round_trip_blocking), cmocka_unit_test(incremental_nonblocking),
                cmocka_unit_test(feed_pieces),         cmocka_unit_test(caps_before_body),
                cmocka_unit_test(refused_frames),      cmocka_unit_test(end_of_stream),
                cmocka_unit_test(write_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
