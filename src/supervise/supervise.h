/* The supervisor: spawns a jail, watches it, enforces time and output
 * limits, answers denied syscalls, and builds the Result. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>

#include "basic/error.h"
#include "policy/policy.h"
#include "supervise/result.h"

typedef struct supervise_req {
        const policy *policy;
        char *const *argv; /* owned by the caller; not ward's own argv */
        const char *code;  /* optional file for the interpreter */
        size_t code_len;
        const char *code_name; /* "main.py" */
        int stdin_fd;          /* copied to the program's stdin; -1: empty */
        int stdout_fd;         /* output mirrored here as it comes; -1: kept only */
        int stderr_fd;
        /* Called with output as it comes (stream 1 or 2), besides keeping
         * it in the result. */
        void (*on_output)(void *ctx, int stream, const char *data, size_t len);
        void *ctx;
        bool has_ctl; /* a session: ctl_fd is the sandbox's end of its */
        int ctl_fd;   /* control socket, the program's WARD_CTL_FD */
} supervise_req;

/* Returns 0 with a Result (whatever the program did, including a setup
 * failure reported as STATUS_ERROR), or a negative errno with err filled
 * when the request itself is invalid. Leaves no process, cgroup or fd. */
int supervise_run(const supervise_req *req, result *res, ward_error *err);

/* A sandbox under watch, for callers that hold one across many exchanges
 * (a session). supervise_run() is sv_start(), sv_poll() until sv_ended(),
 * then sv_finish(). req and res must outlive it; output and events go to
 * the current result (sv_set_result). */
typedef struct sv sv;
/* A negative errno for an invalid request (nothing started). Otherwise 0
 * and *ret, which sv_failed() may report as a setup that failed. */
int sv_start(const supervise_req *req, result *res, sv **ret, ward_error *err);
/* One round of the loop: the sandbox's fds and the caller's extra ones
 * (whose revents are filled), for at most timeout_ms (-1: no bound). */
int sv_poll(sv *l, struct pollfd *extra, size_t n_extra, int timeout_ms);
bool sv_ended(const sv *l);
bool sv_alive(const sv *l); /* the init still runs */
bool sv_failed(const sv *l, const char **why);
void sv_kill(sv *l, run_status why, const char *limit);
int sv_interrupt(sv *l); /* SIGINT to the program's process group */
void sv_set_result(sv *l, result *res);
/* Why ward ended the sandbox (a limit, a violation), or STATUS_OK. */
run_status sv_killed_for(const sv *l);
int sv_scratch_fd(const sv *l);
/* An exit status the program reported itself before exiting (a warm
 * script's driver): used when the init has not reported one yet. */
void sv_set_reported_status(sv *l, int exit_code);
/* Readable once the init has reported the program's exit status. */
int sv_status_fd(const sv *l);
bool sv_cpu_ns(const sv *l, uint64_t *ret);
/* Kills what is left, reaps, classifies into the current result, removes
 * the cgroup and frees everything. */
void sv_finish(sv *l);
/* sv_finish() in two steps, for a caller that answers before the slower
 * clean-up: the result is complete after sv_collect(); sv_release() kills
 * nothing more, removes the cgroup and frees. */
void sv_collect(sv *l);
void sv_release(sv *l);

/* Copies the regular files below /output to the host directory. */
/* Copies the scratch's /output into host_dir_fd (opened before the run). */
int output_copy(int scratch_fd, int host_dir_fd, uint64_t max_bytes, result *res);
/* Whether the scratch tmpfs holds a regular file of at least `size` bytes. */
bool scratch_has_file_of(int scratch_fd, uint64_t size);
