/* The supervisor: spawns a jail, watches it, enforces time and output
 * limits, answers denied syscalls, and builds the Result. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
} supervise_req;

/* Returns 0 with a Result (whatever the program did, including a setup
 * failure reported as STATUS_ERROR), or a negative errno with err filled
 * when the request itself is invalid. Leaves no process, cgroup or fd. */
int supervise_run(const supervise_req *req, result *res, ward_error *err);

/* Copies the regular files below /output to the host directory. */
/* Copies the scratch's /output into host_dir_fd (opened before the run). */
int output_copy(int scratch_fd, int host_dir_fd, uint64_t max_bytes, result *res);
/* Whether the scratch tmpfs holds a regular file of at least `size` bytes. */
bool scratch_has_file_of(int scratch_fd, uint64_t size);
