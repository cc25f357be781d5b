/* The reply multiplexer of the HTTP front: many request threads, one
 * socket to the parent.
 *
 * Each request that goes to the parent registers a waiter (its frame id,
 * a queue, an eventfd) and writes its FRAME_REQUEST under write_lock; the
 * main thread alone reads the parent's socket (front_read_parent) and
 * hands each FRAME_CHUNK or FRAME_REPLY to the waiter with its id, waking
 * it. The request's thread sleeps in front_wait on its eventfd and its
 * client's socket, so a client that leaves is noticed while the parent
 * works, and a FRAME_CANCEL tells the parent. A waiter's queue is bounded
 * (WARD_API_STREAM_QUEUE_MAX): a client that reads a stream slower than
 * the parent writes it is failed, not buffered without end. */
#include "server/front-internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/clock.h"

static void wake(waiter *w) {
        uint64_t one = 1;
        /* Non-blocking; a counter already non-zero is enough of a wake-up. */
        (void)!write(w->efd, &one, sizeof one);
}

/* Under front.lock. */
static void unregister(waiter *w) {
        if (!w->registered)
                return;
        for (waiter **p = &front.waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        w->next = NULL;
        w->registered = false;
}

/* Under front.lock: no more frames will come for w. */
static void fail_waiter(waiter *w, int why, bool cancel) {
        if (!w->failed)
                w->failed = why;
        w->cancel_needed = cancel && w->registered;
        unregister(w);
        wake(w);
}

/* Under front.lock: the parent is gone; every waiter answers 503. */
static void fail_all(const char *why) {
        if (!front.parent_gone && why)
                snprintf(front.gone_why, sizeof front.gone_why, "%s", why);
        front.parent_gone = true;
        while (front.waiters)
                fail_waiter(front.waiters, -EPIPE, false);
}

/* The reader thread's half: a frame from the parent to its waiter. */
static void dispatch(frame *f) {
        pthread_mutex_lock(&front.lock);
        waiter *w = front.waiters;
        while (w && w->id != f->hdr.id)
                w = w->next;
        if (!w || (f->hdr.type != FRAME_REPLY && f->hdr.type != FRAME_CHUNK)) {
                /* The client went away (its frames are dropped), or a
                 * frame the front never answers to. */
                pthread_mutex_unlock(&front.lock);
                frame_free(f);
                return;
        }
        if (f->hdr.type == FRAME_CHUNK && !w->stream) {
                fail_waiter(w, -EBADMSG, true);
        } else if (f->hdr.type == FRAME_CHUNK &&
                   w->queued_bytes + f->hdr.json_len + f->hdr.blob_len > WARD_API_STREAM_QUEUE_MAX) {
                /* The client reads slower than the parent writes: the
                 * queue would grow without bound. */
                fail_waiter(w, -ENOBUFS, true);
        } else {
                queued *q = calloc(1, sizeof *q);
                if (!q) {
                        fail_waiter(w, -ENOMEM, true);
                } else {
                        q->f = *f;
                        memset(f, 0, sizeof *f);
                        *w->tail = q;
                        w->tail = &q->next;
                        w->queued_bytes += q->f.hdr.json_len + q->f.hdr.blob_len;
                        if (q->f.hdr.type == FRAME_REPLY)
                                unregister(w); /* the last frame for this id */
                        wake(w);
                }
        }
        pthread_mutex_unlock(&front.lock);
        frame_free(f);
}

static void drop_queue(waiter *w) {
        while (w->head) {
                queued *q = w->head;
                w->head = q->next;
                frame_free(&q->f);
                free(q);
        }
        w->tail = &w->head;
        w->queued_bytes = 0;
}

/* A frame to the parent failed part-way: the stream is out of step, so
 * the parent connection is over. Only a parent that stopped reading is
 * an error worth an exit status; one that closed its end is an ending. */
static void parent_write_failed(int r) {
        pthread_mutex_lock(&front.lock);
        fail_all(r == -ETIMEDOUT ? "the parent took no frame for 10 s" : NULL);
        pthread_mutex_unlock(&front.lock);
        (void)shutdown(front.o.parent_fd, SHUT_RDWR);
}

static void send_cancel(uint64_t id) {
        pthread_mutex_lock(&front.lock);
        bool gone = front.parent_gone;
        pthread_mutex_unlock(&front.lock);
        if (gone)
                return;
        pthread_mutex_lock(&front.write_lock);
        int r = frame_write_timeout(front.o.parent_fd, FRAME_CANCEL, id, NULL, 0, NULL, 0, WARD_API_WRITE_TIMEOUT_MS);
        pthread_mutex_unlock(&front.write_lock);
        if (r < 0)
                parent_write_failed(r);
}

/* The request is over for the front (client gone, answer given up): the
 * parent hears of it if it still works on it. */
void front_abandon(request *q) {
        pthread_mutex_lock(&front.lock);
        bool cancel = q->w.registered || q->w.cancel_needed;
        q->w.cancel_needed = false;
        unregister(&q->w);
        drop_queue(&q->w);
        pthread_mutex_unlock(&front.lock);
        if (cancel)
                send_cancel(q->w.id);
}

/* Waits for the next frame for q, the client's going away, or the
 * deadline. */
enum front_wait_result front_wait(request *q, frame *ret, int *ret_why) {
        uint64_t deadline = clock_mono_ms() + (uint64_t)front.o.reply_timeout_s * 1000;
        for (;;) {
                pthread_mutex_lock(&front.lock);
                queued *h = q->w.head;
                if (h) {
                        q->w.head = h->next;
                        if (!q->w.head)
                                q->w.tail = &q->w.head;
                        q->w.queued_bytes -= h->f.hdr.json_len + h->f.hdr.blob_len;
                }
                int failed = q->w.failed;
                pthread_mutex_unlock(&front.lock);
                if (h) {
                        *ret = h->f;
                        free(h);
                        return WAIT_FRAME;
                }
                if (failed) {
                        *ret_why = failed;
                        return WAIT_FAILED;
                }
                int left = clock_ms_left(deadline);
                if (left == 0)
                        return WAIT_TIMEOUT;
                /* POLLRDHUP: the client closed its end (a client that only
                 * half-closes after its request is taken as gone too). */
                struct pollfd p[2] = {
                        {.fd = q->w.efd, .events = POLLIN},
                        {.fd = q->client_fd, .events = POLLRDHUP},
                };
                int n = poll(p, 2, left > 60000 ? 60000 : left);
                if (n < 0 && errno != EINTR)
                        return WAIT_CLIENT_GONE;
                if (n > 0 && (p[0].revents & POLLIN)) {
                        uint64_t v;
                        (void)!read(q->w.efd, &v, sizeof v);
                }
                if (n > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
                        return WAIT_CLIENT_GONE;
        }
}

/* Sends q to the parent and registers it for the answer. */
int front_forward(request *q, const char *json, size_t json_len, ward_error *e) {
        q->w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (q->w.efd < 0)
                return front_error(e, -EMFILE, "unavailable", NULL, "out of file descriptors");
        pthread_mutex_lock(&front.lock);
        bool closed = front.parent_gone || front.draining;
        if (!closed) {
                q->w.id = ++front.next_id;
                q->w.stream = q->stream;
                q->w.registered = true;
                q->w.next = front.waiters;
                front.waiters = &q->w;
        }
        pthread_mutex_unlock(&front.lock);
        if (closed)
                return front_error(e, -ESHUTDOWN, "unavailable", NULL, "the server is shutting down");

        /* The body as the client sent it, checked by front_build_request:
         * a file's bytes, or a JSON object's text. */
        const char *blob = q->route.body != BODY_NONE ? q->body : NULL;
        size_t blob_len = q->route.body != BODY_NONE ? q->body_len : 0;
        pthread_mutex_lock(&front.write_lock);
        int r = frame_write_timeout(front.o.parent_fd, FRAME_REQUEST, q->w.id, json, json_len, blob, blob_len,
                                    WARD_API_WRITE_TIMEOUT_MS);
        pthread_mutex_unlock(&front.write_lock);
        front_body_drop(q);
        if (r < 0) {
                parent_write_failed(r);
                return front_error(e, -EPIPE, "unavailable", NULL, "the server is not available");
        }
        return 0;
}

/* Reads and hands on every frame the parent has sent. 0 to go on; 1 at
 * the parent's clean end; -errno for a broken stream. */
int front_read_parent(frame_reader *rd) {
        for (;;) {
                frame f;
                int r = frame_reader_read(rd, front.o.parent_fd, &f);
                if (r == 0)
                        return 0;
                if (r == -EPIPE)
                        return 1;
                if (r < 0)
                        return r;
                if (f.hdr.type == FRAME_AUTH) {
                        r = front_auth_update(&f);
                        frame_free(&f);
                        if (r < 0)
                                return r;
                        continue;
                }
                dispatch(&f);
        }
}

void front_waiter_release(waiter *w) {
        pthread_mutex_lock(&front.lock);
        unregister(w);
        drop_queue(w);
        pthread_mutex_unlock(&front.lock);
}

void front_mux_end(bool parent_ended) {
        pthread_mutex_lock(&front.lock);
        front.draining = true;
        if (parent_ended)
                fail_all(NULL);
        for (waiter *w = front.waiters; w; w = front.waiters)
                fail_waiter(w, -EPIPE, true);
        pthread_mutex_unlock(&front.lock);
}
