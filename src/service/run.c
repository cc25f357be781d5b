/* One-shot runs (see run.h): the one place that decides how a request
 * becomes a sandbox, for ward run and ward serve alike. */
#include "service/run.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "exec/files.h"
#include "exec/lang.h"
#include "supervise/supervise.h"

bool service_run_via_driver_ok(const char *language, bool has_stdin) {
        return language && language[0] && session_language_ok(language) && !has_stdin;
}

int service_run_on(session *s, const service_run_req *rq, result *res, ward_error *err) {
        for (size_t i = 0; i < rq->n_files; i++) {
                const service_file *f = &rq->files[i];
                ward_error fe = {0};
                int r = files_put(session_home_fd(s), f->path, f->data, f->len, &fe);
                if (r < 0)
                        return err_set_at(err, r, NULL, "files", "files[%zu]: %s", i, fe.msg);
        }
        cell_opts co = {
                .wall_ms = rq->policy->wall_time_ms,
                .cpu_ms = rq->policy->cpu_time_ms,
                .on_output = rq->on_output,
                .ctx = rq->ctx,
        };
        int r = session_script(s, rq->code, rq->code_len, &co, res, err);
        if (r < 0)
                err->reason = "unavailable";
        return r;
}

/* A cold sandbox running the code through its driver: a session started
 * for this one run. */
static int run_via_driver(const service_run_req *rq, result *res, ward_error *err) {
        session *s = NULL;
        int r = session_start(rq->policy, rq->language, &s, err);
        if (r < 0) {
                err->reason = "unavailable";
                return r;
        }
        r = service_run_on(s, rq, res, err);
        session_free(s);
        return r;
}

/* stdin given as bytes is a memfd the supervisor reads like any file:
 * nothing has to feed it while the sandbox may not read. */
static int stdin_memfd(const char *data, size_t len) {
        _cleanup_close_ int fd = memfd_create("ward-stdin", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = fd_write_full(fd, data, len);
        if (r < 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int service_run(const service_run_req *rq, result *res, ward_error *err) {
        if (rq->via_driver) {
                if (!service_run_via_driver_ok(rq->language, rq->stdin_data || rq->stdin_fd >= 0))
                        return err_set_at(err, -EINVAL, "invalid_field", "language",
                                          "language '%s' has no driver to run it with files",
                                          rq->language ? rq->language : "");
                return run_via_driver(rq, res, err);
        }
        if (rq->n_files)
                return err_set_at(err, -EINVAL, "invalid_field", "files", "files need a language with a driver");
        const lang *l = rq->language && rq->language[0] ? lang_find(rq->language) : NULL;
        if (rq->language && rq->language[0] && !l)
                return err_set_at(err, -EINVAL, "invalid_field", "language", "unknown language '%s' (%s)", rq->language,
                                  lang_names());
        _cleanup_free_ char **argv = l ? lang_argv(l, rq->argv, rq->argc) : NULL;
        if (l && !argv)
                return err_set_at(err, -ENOMEM, "unavailable", NULL, "out of memory");
        _cleanup_close_ int in = -1;
        if (rq->stdin_data && (in = stdin_memfd(rq->stdin_data, rq->stdin_len)) < 0)
                return err_set_at(err, in, "unavailable", NULL, "cannot hold stdin: %s", strerror(-in));
        supervise_req req = {
                .policy = rq->policy,
                .argv = l ? argv : rq->argv,
                .code = rq->code,
                .code_len = rq->code_len,
                .code_name = l ? l->file_name : NULL,
                .stdin_fd = rq->stdin_data ? in : rq->stdin_fd,
                .stdout_fd = rq->stdout_fd,
                .stderr_fd = rq->stderr_fd,
                .on_output = rq->on_output,
                .ctx = rq->ctx,
        };
        int r = supervise_run(&req, res, err);
        if (r < 0 && !err->reason)
                err->reason = "invalid_field";
        return r;
}
