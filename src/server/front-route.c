/* The HTTP front's routes: which operation a (method, URL) asks the parent
 * for, and the parts of the URL it takes.
 *
 * One table, one row per (method, pattern); a route is added by adding a
 * row (and its description to openapi.json). The rows of one pattern make
 * its Allow for a 405, in table order, GET standing for "GET, HEAD". The
 * URL arrives as the client sent it: each part is %-decoded here (where
 * libmicrohttpd's decoder would cut at a %00) and checked before it goes
 * anywhere: a session id is 1 to WARD_API_SESSION_ID_MAX of [A-Za-z0-9_-]
 * (anything else is no such session, 404), a path is NUL-free UTF-8 of at
 * most WARD_PATH_MAX bytes (400 naming "path" or "dir"). What a path may
 * reach is the parent's and the session's business (exec/files.c). */
#include "server/front-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/utf8.h"

static const front_route_row routes[] = {
        /* method, pattern, operation (OP__COUNT: the front answers), body, takes ?dir= */
        {"GET", "/healthz", OP_HEALTH, BODY_NONE, false},
        {"GET", "/metrics", OP_METRICS, BODY_NONE, false},
        {"GET", "/v1/openapi.json", OP__COUNT, BODY_NONE, false},
        {"POST", "/v1/runs", OP_RUN, BODY_OBJECT, false},
        {"GET", "/v1/sessions", OP_SESSION_LIST, BODY_NONE, false},
        {"POST", "/v1/sessions", OP_SESSION_CREATE, BODY_OBJECT_OR_EMPTY, false},
        {"GET", "/v1/sessions/{id}", OP_SESSION_GET, BODY_NONE, false},
        {"DELETE", "/v1/sessions/{id}", OP_SESSION_DELETE, BODY_NONE, false},
        {"POST", "/v1/sessions/{id}/cells", OP_CELL, BODY_OBJECT, false},
        {"GET", "/v1/sessions/{id}/files", OP_FILE_LIST, BODY_NONE, true},
        {"GET", "/v1/sessions/{id}/files/", OP_FILE_LIST, BODY_NONE, true},
        {"GET", "/v1/sessions/{id}/files/{path}", OP_FILE_GET, BODY_NONE, false},
        {"PUT", "/v1/sessions/{id}/files/{path}", OP_FILE_PUT, BODY_BLOB, false},
        {"DELETE", "/v1/sessions/{id}/files/{path}", OP_FILE_DELETE, BODY_NONE, false},
};

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* %XX decoding of n bytes into out, which has room for max bytes and a
 * NUL. The result may hold NUL bytes. -EINVAL for a broken escape,
 * -E2BIG when the result does not fit. */
static int pct_decode(const char *s, size_t n, char *out, size_t max, size_t *ret_len) {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '%') {
                        int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
                        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
                        if (hi < 0 || lo < 0)
                                return -EINVAL;
                        c = (char)(hi << 4 | lo);
                        i += 2;
                }
                if (o >= max)
                        return -E2BIG;
                out[o++] = c;
        }
        out[o] = '\0';
        *ret_len = o;
        return 0;
}

/* {id}: decoded, 1 to WARD_API_SESSION_ID_MAX of [A-Za-z0-9_-]. */
static bool take_session_id(const char *raw, size_t n, char ret[WARD_API_SESSION_ID_MAX + 1]) {
        char id[WARD_API_SESSION_ID_MAX + 1];
        size_t len;
        if (pct_decode(raw, n, id, WARD_API_SESSION_ID_MAX, &len) < 0 || !op_session_id_valid(id, len))
                return false;
        memcpy(ret, id, len + 1);
        return true;
}

/* A path from the URL or the query: decoded, NUL-free, at most
 * WARD_PATH_MAX bytes, UTF-8 (it travels as a JSON string). */
static int take_path(const char *raw, size_t n, const char *field, char **ret, ward_error *e) {
        _cleanup_free_ char *p = malloc(n + 1);
        size_t len;
        if (!p)
                return front_error(e, -ENOMEM, "unavailable", NULL, "out of memory");
        if (pct_decode(raw, n, p, n, &len) < 0)
                return front_error(e, -EINVAL, "invalid_request", field, "%s: a broken %%-escape", field);
        if (memchr(p, '\0', len))
                return front_error(e, -EINVAL, "invalid_request", field, "%s: a NUL byte", field);
        if (len > WARD_PATH_MAX)
                return front_error(e, -EINVAL, "invalid_request", field, "%s: longer than %u bytes", field,
                                   WARD_PATH_MAX);
        if (!utf8_valid(p, len))
                return front_error(e, -EINVAL, "invalid_request", field, "%s: not UTF-8", field);
        *ret = TAKE_PTR(p);
        return 0;
}

/* Where {path} lies in the URL. */
typedef struct url_parts {
        char session[WARD_API_SESSION_ID_MAX + 1];
        const char *path;
        size_t path_len;
} url_parts;

enum { NO_MATCH, MATCH, BAD_SESSION };

/* url against one pattern. BAD_SESSION: it matched up to an {id} that is
 * no session id. */
static int match(const char *pattern, const char *url, url_parts *ret) {
        static const char id[] = "{id}", path[] = "{path}";
        const char *p = pattern, *u = url;
        *ret = (url_parts){0};
        while (*p) {
                if (strncmp(p, id, sizeof id - 1) == 0) {
                        size_t n = strcspn(u, "/");
                        if (!take_session_id(u, n, ret->session))
                                return BAD_SESSION;
                        p += sizeof id - 1;
                        u += n;
                } else if (strncmp(p, path, sizeof path - 1) == 0) {
                        if (!*u)
                                return NO_MATCH;
                        ret->path = u;
                        ret->path_len = strlen(u);
                        p += sizeof path - 1;
                        u += ret->path_len;
                } else if (*p++ != *u++) {
                        return NO_MATCH;
                }
        }
        return *u ? NO_MATCH : MATCH;
}

/* GET covers HEAD: libmicrohttpd leaves the body out. */
static bool method_is(const char *method, const char *row) {
        return strcmp(method, row) == 0 || (strcmp(row, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* The methods of pattern's rows, as an Allow header. */
static void allow_of(const char *pattern, char ret[FRONT_ALLOW_MAX]) {
        size_t n = 0;
        ret[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                if (strcmp(routes[i].pattern, pattern) != 0)
                        continue;
                const char *m = strcmp(routes[i].method, "GET") == 0 ? "GET, HEAD" : routes[i].method;
                int w = snprintf(ret + n, FRONT_ALLOW_MAX - n, "%s%s", n ? ", " : "", m);
                if (w < 0 || (size_t)w >= FRONT_ALLOW_MAX - n)
                        break; /* FRONT_ALLOW_MAX is made to fit: a test checks every pattern's */
                n += (size_t)w;
        }
}

int front_route_match(const char *url, const char *method, const char *dir_query, front_route *ret,
                      char ret_allow[FRONT_ALLOW_MAX], ward_error *err) {
        url_parts parts = {0};
        const char *pattern = NULL;
        bool bad_session = false;
        for (size_t i = 0; i < ELEMENTSOF(routes) && !pattern; i++) {
                int m = match(routes[i].pattern, url, &parts);
                if (m == MATCH)
                        pattern = routes[i].pattern;
                bad_session |= m == BAD_SESSION;
        }
        if (!pattern)
                return front_error(err, -ENOENT, "not_found", NULL, bad_session ? "no such session" : "no such route");

        const front_route_row *row = NULL;
        for (size_t i = 0; i < ELEMENTSOF(routes) && !row; i++)
                if (strcmp(routes[i].pattern, pattern) == 0 && method_is(method, routes[i].method))
                        row = &routes[i];
        if (!row) {
                allow_of(pattern, ret_allow);
                return front_error(err, -EINVAL, "method_not_allowed", NULL, "%.16s is not allowed here; use %s",
                                   method, ret_allow);
        }

        front_route r = {.op = op_name(row->op), .id = row->op, .body = row->body};
        memcpy(r.session, parts.session, sizeof r.session);
        int k = 0;
        if (parts.path)
                k = take_path(parts.path, parts.path_len, "path", &r.path, err);
        if (k >= 0 && row->dir)
                k = take_path(dir_query ? dir_query : "", dir_query ? strlen(dir_query) : 0, "dir", &r.dir, err);
        if (k < 0) {
                front_route_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

void front_route_done(front_route *r) {
        free(r->path);
        free(r->dir);
        r->path = r->dir = NULL;
}
