/* A run's final status from the facts gathered at its end (see classify.h).
 *
 * The order is the order of precedence: what ward ended the run for comes
 * first (a fork bomb that spun until the time ran out is still a pids
 * limit); then the OOM killer; then what the program's own status says,
 * where a signal of the CPU or file-size rlimit is that limit, and a
 * failing exit is blamed on a full disk, a file of the size limit, or
 * refused forks before it counts as the program's own exit code. */
#include "supervise/classify.h"

#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>

bool classify_needs_big_file(const classify_input *in) {
        return in->killed_for == STATUS_OK && !in->oom_kills && in->have_status && WIFEXITED(in->wait_status) &&
               WEXITSTATUS(in->wait_status) != 0 && WEXITSTATUS(in->wait_status) != 128 + SIGXFSZ && !in->disk_full;
}

static run_status decide(const classify_input *in, classify_verdict *v) {
        if (in->killed_for != STATUS_OK) {
                if ((in->killed_for == STATUS_TIMEOUT || in->killed_for == STATUS_CPU_LIMIT) && in->pids_max_hits)
                        return STATUS_PIDS_LIMIT; /* a fork bomb spinning until time ran out */
                return in->killed_for;
        }
        if (in->oom_kills)
                return STATUS_MEMORY_LIMIT;
        if (!in->have_status) {
                /* Neither ward nor a limit ended it: whatever the program
                 * did is unknown, and a guess would be a lie. */
                v->error = "the sandbox's init ended without reporting the program's status";
                return STATUS_ERROR;
        }
        if (v->signal == SIGXCPU) {
                v->limit = "cpu_time";
                return STATUS_CPU_LIMIT;
        }
        if (v->signal == SIGXFSZ) {
                v->limit = "file_size";
                return STATUS_FILE_SIZE_LIMIT;
        }
        if (v->signal)
                return in->pids_max_hits ? STATUS_PIDS_LIMIT : STATUS_SIGNAL;
        if (v->exit_code == 0)
                return STATUS_OK;
        if (in->disk_full)
                return STATUS_DISK_LIMIT;
        if (v->exit_code == 128 + SIGXFSZ || in->big_file) {
                /* A child hit the file-size limit and its parent passed the
                 * failure on (a shell reports 128+SIGXFSZ). */
                v->limit = "file_size";
                return STATUS_FILE_SIZE_LIMIT;
        }
        return in->pids_max_hits ? STATUS_PIDS_LIMIT : STATUS_EXIT;
}

run_status classify_run(const classify_input *in, classify_verdict *ret) {
        classify_verdict v = {.exit_code = -1};
        if (in->have_status && WIFEXITED(in->wait_status))
                v.exit_code = WEXITSTATUS(in->wait_status);
        else if (in->have_status && WIFSIGNALED(in->wait_status))
                v.signal = WTERMSIG(in->wait_status);
        else
                /* The init died before reporting: killed by ward, by the
                 * OOM killer, or by ward's death. */
                v.signal = SIGKILL;
        v.status = decide(in, &v);
        *ret = v;
        return v.status;
}
