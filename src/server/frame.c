/* Frames between ward serve's processes (see frame.h).
 *
 * One state machine reads them, whether the bytes come from a socket
 * (frame_reader_read) or from memory (frame_reader_feed, which the fuzz
 * target drives): the header is checked against the caps before anything
 * is allocated for the body, so a peer can make us allocate no more than
 * the caps allow, and a reader never consumes a byte past the frame it
 * returns. Writes go out whole, with MSG_NOSIGNAL, so that a peer that
 * went away is an error and not a SIGPIPE. */
#include "server/frame.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/clock.h"

#define HDR_LEN sizeof(frame_hdr)

void frame_reader_init(frame_reader *r, frame_caps caps) {
        memset(r, 0, sizeof *r);
        r->caps = caps;
}

void frame_reader_free(frame_reader *r) {
        free(r->json);
        free(r->blob);
        r->json = r->blob = NULL;
        r->have = 0;
        memset(&r->hdr, 0, sizeof r->hdr);
}

void frame_free(frame *f) {
        if (!f)
                return;
        free(f->json);
        free(f->blob);
        memset(f, 0, sizeof *f);
}

int frame_reader_at_boundary(const frame_reader *r) {
        return r->have == 0;
}

/* Where the next bytes of the current frame go, and how many the current
 * part (header, JSON, blob) still wants. */
static void next_slot(frame_reader *r, char **ret_p, size_t *ret_n) {
        if (r->have < HDR_LEN) {
                *ret_p = (char *)&r->hdr + r->have;
                *ret_n = HDR_LEN - r->have;
                return;
        }
        size_t off = r->have - HDR_LEN;
        if (off < r->hdr.json_len) {
                *ret_p = r->json + off;
                *ret_n = r->hdr.json_len - off;
                return;
        }
        off -= r->hdr.json_len;
        *ret_p = r->blob + off;
        *ret_n = (size_t)r->hdr.blob_len - off;
}

/* The header is complete: check it before trusting any length in it. */
static int header_done(frame_reader *r) {
        if (r->hdr.type < FRAME_REQUEST || r->hdr.type > FRAME_TYPE_MAX)
                return -EBADMSG;
        if (r->hdr.json_len > r->caps.json_max || r->hdr.blob_len > r->caps.blob_max ||
            r->hdr.blob_len > SIZE_MAX - HDR_LEN - r->hdr.json_len)
                return -EMSGSIZE;
        /* Every frame carries a JSON object; "{}" at least. */
        if (r->hdr.json_len == 0)
                return -EPROTO;
        r->json = malloc((size_t)r->hdr.json_len + 1);
        if (!r->json)
                return -ENOMEM;
        r->json[r->hdr.json_len] = '\0';
        if (r->hdr.blob_len > 0) {
                r->blob = malloc((size_t)r->hdr.blob_len);
                if (!r->blob)
                        return -ENOMEM;
        }
        return 0;
}

/* n more bytes landed in the slot next_slot gave. Returns 1 with *ret
 * filled when the frame is complete. */
static int advance(frame_reader *r, size_t n, frame *ret) {
        size_t before = r->have;
        r->have += n;
        if (before < HDR_LEN) {
                if (r->have < HDR_LEN)
                        return 0;
                int k = header_done(r);
                if (k < 0)
                        return k;
        }
        if (before < HDR_LEN + r->hdr.json_len && r->have >= HDR_LEN + r->hdr.json_len) {
                /* The JSON is handed on as a C string: a NUL inside would
                 * make two readers see two different documents. */
                if (memchr(r->json, '\0', r->hdr.json_len))
                        return -EPROTO;
        }
        if (r->have < HDR_LEN + r->hdr.json_len + (size_t)r->hdr.blob_len)
                return 0;
        ret->hdr = r->hdr;
        ret->json = TAKE_PTR(r->json);
        ret->blob = TAKE_PTR(r->blob);
        r->have = 0;
        memset(&r->hdr, 0, sizeof r->hdr);
        return 1;
}

int frame_reader_feed(frame_reader *r, const void *data, size_t len, size_t *ret_used, frame *ret) {
        const char *p = data;
        size_t used = 0;
        int k = 0;
        while (used < len) {
                char *dst;
                size_t want;
                next_slot(r, &dst, &want);
                size_t n = len - used < want ? len - used : want;
                memcpy(dst, p + used, n);
                used += n;
                k = advance(r, n, ret);
                if (k != 0)
                        break;
        }
        *ret_used = used;
        return k;
}

int frame_reader_read(frame_reader *r, int fd, frame *ret) {
        for (;;) {
                char *dst;
                size_t want;
                next_slot(r, &dst, &want);
                ssize_t n = read(fd, dst, want);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return 0;
                        return -errno;
                }
                if (n == 0)
                        return r->have == 0 ? -EPIPE : -ECONNRESET;
                int k = advance(r, (size_t)n, ret);
                if (k != 0)
                        return k;
        }
}

int frame_read(int fd, frame_caps caps, frame *ret) {
        frame_reader r;
        frame_reader_init(&r, caps);
        for (;;) {
                int k = frame_reader_read(&r, fd, ret);
                if (k != 0) {
                        frame_reader_free(&r);
                        return k;
                }
                /* A non-blocking fd after all: wait for it. */
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
                        k = -errno;
                        frame_reader_free(&r);
                        return k;
                }
        }
}

/* Waits until fd takes more bytes; -ETIMEDOUT when timeout_ms pass
 * without that. */
static int wait_writable(int fd, int timeout_ms) {
        uint64_t deadline = timeout_ms < 0 ? 0 : clock_mono_ms() + (uint64_t)timeout_ms;
        for (;;) {
                int left = -1;
                if (timeout_ms >= 0 && (left = clock_ms_left(deadline)) == 0)
                        return -ETIMEDOUT;
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                int k = poll(&pfd, 1, left);
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (k > 0)
                        return 0;
        }
}

int frame_write_timeout(int fd, uint32_t type, uint64_t id, const char *json, size_t json_len, const void *blob,
                        size_t blob_len, int timeout_ms) {
        if (type < FRAME_REQUEST || type > FRAME_TYPE_MAX)
                return -EINVAL;
        if (!json) {
                json = "{}";
                json_len = 2;
        }
        if (json_len > UINT32_MAX)
                return -EMSGSIZE;
        if (json_len == 0 || (blob_len > 0 && !blob))
                return -EINVAL;
        frame_hdr hdr = {.type = type, .json_len = (uint32_t)json_len, .id = id, .blob_len = blob_len};
        struct iovec iov[3] = {
                {.iov_base = &hdr, .iov_len = sizeof hdr},
                {.iov_base = (void *)json, .iov_len = json_len},
                {.iov_base = (void *)blob, .iov_len = blob_len},
        };
        struct iovec *v = iov;
        int nv = blob_len > 0 ? 3 : 2;
        bool is_socket = true;
        while (nv > 0) {
                ssize_t n;
                if (is_socket) {
                        struct msghdr msg = {.msg_iov = v, .msg_iovlen = (size_t)nv};
                        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
                        if (n < 0 && errno == ENOTSOCK) {
                                is_socket = false; /* a pipe, in tests */
                                continue;
                        }
                } else {
                        n = writev(fd, v, nv);
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK) {
                                int k = wait_writable(fd, timeout_ms);
                                if (k < 0)
                                        return k;
                                continue;
                        }
                        return -errno;
                }
                size_t done = (size_t)n;
                while (nv > 0 && done >= v->iov_len) {
                        done -= v->iov_len;
                        v++;
                        nv--;
                }
                if (nv > 0) {
                        v->iov_base = (char *)v->iov_base + done;
                        v->iov_len -= done;
                }
        }
        return 0;
}

int frame_write(int fd, uint32_t type, uint64_t id, const char *json, size_t json_len, const void *blob,
                size_t blob_len) {
        return frame_write_timeout(fd, type, id, json, json_len, blob, blob_len, -1);
}
