/* Sessions as every face reaches them (see session.h). */
#include "service/session.h"

#include <errno.h>

#include "basic/limits.h"
#include "exec/files.h"
#include "service/audit.h"
#include "supervise/result.h"

int service_files(session *s, const service_file_req *rq, char **ret_data, size_t *ret_len, json_t **ret_list,
                  ward_error *err) {
        const char *field = rq->op == SERVICE_FILE_LIST ? "dir" : "path";
        const char *path = rq->path ? rq->path : "";
        int home = session_home_fd(s);
        if (home < 0)
                return err_set_at(err, -EAGAIN, "unavailable", NULL, "the session is restarting");
        ward_error fe = {0};
        int r = -EINVAL;
        switch (rq->op) {
        case SERVICE_FILE_PUT:
                r = files_put(home, path, rq->data ? rq->data : "", rq->len, &fe);
                break;
        case SERVICE_FILE_GET:
                r = files_get(home, path, rq->max, ret_data, ret_len, &fe);
                break;
        case SERVICE_FILE_DELETE:
                r = files_delete(home, path, &fe);
                break;
        case SERVICE_FILE_LIST:
                r = files_list(home, path, ret_list, &fe);
                break;
        }
        if (r < 0)
                return err_set_at(err, r, fe.reason, field, "%s", fe.msg);
        return r;
}

int service_cell(session *s, const char *code, size_t len, const cell_opts *o, const service_audit_ctx *a, json_t **ret,
                 ward_error *ret_audit_err, ward_error *err) {
        json_t *doc = NULL;
        int r = session_cell(s, code, len, o, &doc, err);
        if (r < 0) {
                err->reason = "unavailable";
                return r;
        }
        if (a && a->fd >= 0) {
                const policy *p = session_policy(s);
                service_audit_rec rec = {
                        .kind = "cell",
                        .doc = doc,
                        .policy = p,
                        .code = code,
                        .code_len = len,
                        .tenant = a->tenant,
                        .session = a->session,
                        .max_len = result_text_max(p->output) + WARD_DRIVER_AUDIT_SLACK,
                };
                (void)service_audit(a->fd, &rec, ret_audit_err);
        }
        *ret = doc;
        return 0;
}
