/* Frames: the only thing that crosses between ward serve's processes.
 *
 * The front (which parses HTTP and holds no privileges), the parent (which
 * spawns jails) and each session's host process talk over AF_UNIX stream
 * sockets in frames: a fixed header, then a JSON object, then raw bytes.
 * A reader checks every length against the caps its side allows before it
 * reads a byte of the body; a frame over a cap ends the connection. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"

enum frame_type {
        FRAME_REQUEST = 1, /* front → parent: {"op": ..., ...}; blob: the body's JSON text, or a file's bytes */
        FRAME_REPLY = 2,   /* parent → front: {"status": 200, "body": {...}}; or a raw blob */
        FRAME_CHUNK = 3,   /* parent → front: one streamed piece of a reply in progress */
        FRAME_CANCEL = 4,  /* front → parent → a session's host: the client went away; JSON "{}" */
        FRAME_AUTH = 5,    /* parent → HTTP front: who may send a body: {"open": true} or {"tokens": [SHA-256 hex]} */
        FRAME_TYPE_MAX = 5,
};

typedef struct frame_hdr {
        uint32_t type;     /* enum frame_type */
        uint32_t json_len; /* bytes of JSON that follow the header */
        uint64_t id;       /* chosen by the asker; the answer carries it */
        uint64_t blob_len; /* raw bytes that follow the JSON */
} frame_hdr;

typedef struct frame {
        frame_hdr hdr;
        char *json; /* NUL-terminated, json_len bytes */
        char *blob; /* blob_len bytes (NULL when 0) */
} frame;

/* What one side accepts. */
typedef struct frame_caps {
        uint32_t json_max;
        uint64_t blob_max;
} frame_caps;

/* Incremental reader for non-blocking sockets. */
typedef struct frame_reader {
        frame_caps caps;
        frame_hdr hdr;
        size_t have; /* bytes of the current frame read so far */
        char *json;
        char *blob;
} frame_reader;

void frame_reader_init(frame_reader *r, frame_caps caps);
/* Reads what the socket has. Returns 1 with *ret filled when a whole frame
 * is there (the caller owns it then: frame_free), 0 when more is needed
 * (EAGAIN), -EPIPE at a clean end of stream, or a negative errno: -EBADMSG
 * for an unknown type, -EMSGSIZE for a length over the caps, -EPROTO for
 * JSON that is not NUL-free text (or is empty), -ECONNRESET when the stream
 * ends inside a frame. It never reads past the end of the frame it
 * returns. After an error the stream is out of step: close it. */
int frame_reader_read(frame_reader *r, int fd, frame *ret);
/* The same state machine fed from memory (what frame_reader_read does with
 * the bytes it reads, and what the fuzz target drives): consumes at most
 * len bytes, stopping at the end of a frame, and sets *ret_used to the
 * bytes it took. Returns 1 with *ret filled, 0 when all len bytes were
 * taken and the frame is not complete yet, or -EBADMSG, -EMSGSIZE,
 * -EPROTO, -ENOMEM as above. */
int frame_reader_feed(frame_reader *r, const void *data, size_t len, size_t *ret_used, frame *ret);
/* True between frames: an end of stream now is a clean one. */
int frame_reader_at_boundary(const frame_reader *r);
void frame_reader_free(frame_reader *r);

/* Blocking read of one whole frame (fd in blocking mode). Same returns. */
int frame_read(int fd, frame_caps caps, frame *ret);

/* Writes one frame whole, retrying on EINTR and short writes (on a
 * non-blocking fd it polls for POLLOUT). json may be NULL ("{}"). */
int frame_write(int fd, uint32_t type, uint64_t id, const char *json, size_t json_len, const void *blob,
                size_t blob_len);
/* The same, giving up with -ETIMEDOUT when the peer takes nothing for
 * timeout_ms (-1: wait for ever; the timeout needs a non-blocking fd). A frame cut by a timeout or an error
 * leaves the stream out of step: close it. -EMSGSIZE when json_len does
 * not fit the header; -EINVAL for an unknown type. Never raises SIGPIPE
 * on a socket (MSG_NOSIGNAL). */
int frame_write_timeout(int fd, uint32_t type, uint64_t id, const char *json, size_t json_len, const void *blob,
                        size_t blob_len, int timeout_ms);

void frame_free(frame *f);
