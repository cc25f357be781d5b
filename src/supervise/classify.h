/* How a run ended: the decision of its final status, as a pure function.
 *
 * supervise.c gathers the facts (the program's wait status from the init,
 * the cgroup's counters, the scratch tmpfs's free space, why ward ended
 * the run if it did); classify_run() turns them into the status, the exit
 * code or signal, and the limit to report, with no fd and no I/O, so that
 * every status it can give is tested from a table (tests/unit/). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "supervise/result.h"

typedef struct classify_input {
        bool have_status;       /* the init reported the program's wait status */
        int wait_status;        /* that status, when have_status */
        run_status killed_for;  /* why ward ended the run (wall time, output, ...), or STATUS_OK */
        uint64_t oom_kills;     /* the cgroup's OOM kills */
        uint64_t pids_max_hits; /* forks the cgroup's pids limit refused */
        bool disk_full;         /* the scratch tmpfs has no block or inode left */
        /* The scratch tmpfs holds a file of the file-size limit; looked for
         * only when it can matter (see classify_needs_big_file). */
        bool big_file;
} classify_input;

typedef struct classify_verdict {
        run_status status;
        int exit_code; /* -1 when the program did not exit */
        int signal;    /* 0 when it exited */
        /* A "limit" event the decision itself found ("cpu_time",
         * "file_size"), or NULL. The cgroup's and the disk's own limit
         * events are the caller's, whatever the status. */
        const char *limit;
        const char *error; /* with STATUS_ERROR: why */
} classify_verdict;

/* Whether classify_run() will read in->big_file: nothing else decided,
 * the program exited with a failure other than the shell's 128+SIGXFSZ,
 * and the disk was not full. Looking costs a walk of the scratch tmpfs. */
bool classify_needs_big_file(const classify_input *in);
run_status classify_run(const classify_input *in, classify_verdict *ret);
