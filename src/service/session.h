/* Sessions as every face reaches them (see service/run.h): a session's
 * files, each operation with the reason and input field of any error,
 * and a cell with its audit record. The session itself (a jail holding a
 * REPL driver) is exec/session.c's; what a path may reach is
 * exec/files.c's. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "basic/error.h"
#include "exec/session.h"

typedef enum service_file_op {
        SERVICE_FILE_PUT,
        SERVICE_FILE_GET,
        SERVICE_FILE_DELETE,
        SERVICE_FILE_LIST,
} service_file_op;

/* One file operation on the session's work dir. path is the file (put,
 * get, delete) or the directory to list ("" for the work dir). put takes
 * data and len; get fills *ret_data (malloc'd, at most max bytes) and
 * *ret_len; list fills *ret_list. 0, or a negative errno with err's
 * reason derived from it ("not_found", "too_large", ...), its field
 * "path" or "dir", and "unavailable" while the session restarts. */
typedef struct service_file_req {
        service_file_op op;
        const char *path;
        const void *data; /* put */
        size_t len;
        size_t max; /* get */
} service_file_req;
int service_files(session *s, const service_file_req *rq, char **ret_data, size_t *ret_len, json_t **ret_list,
                  ward_error *err);

/* Who asked, for the audit record of a cell (fd -1: no audit log). */
typedef struct service_audit_ctx {
        int fd;
        const char *tenant;
        const char *session;
} service_audit_ctx;

/* Runs one cell (exec/session.c's session_cell) and, when there is an
 * audit log, appends its record; a record that cannot be written is said
 * in *ret_audit_err (code set) and does not fail the cell, whose answer
 * the caller still gives. */
int service_cell(session *s, const char *code, size_t len, const cell_opts *o, const service_audit_ctx *a, json_t **ret,
                 ward_error *ret_audit_err, ward_error *err);
