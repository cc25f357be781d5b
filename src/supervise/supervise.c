/* The supervisor's event loop.
 *
 * One poll loop watches the sandbox's init (pidfd), its output pipes (with
 * caps), its stdin pipe, the seccomp notification fd, a wall-clock timer, a
 * CPU-accounting tick and ward's own termination signals. Whatever ends
 * the run, the sandbox is killed, the init reaped, the cgroup removed and
 * every fd closed before supervise_run returns. */
#include "supervise/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "jail/jail.h"
#include "net/egress.h"

#define CPU_TICK_MS 20
#define STDIN_CHUNK 65536

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The sandbox's environment: a fixed base, then the policy's variables.
 * Nothing of ward's own environment is passed. */
static char **build_env(const policy *p) {
        static const char *const base[] = {
                "PATH=/usr/local/bin:/usr/bin:/bin",
                // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one string, "HOME=" joined to the macro's path
                "HOME=" WARD_SANDBOX_HOME,
                "USER=user",
                "LOGNAME=user",
                "LANG=C.UTF-8",
                "TMPDIR=/tmp",
                "SHELL=/bin/sh",
        };
        size_t n = ELEMENTSOF(base) + p->n_env + 1;
        char **env = calloc(n, sizeof *env);
        if (!env)
                return NULL;
        size_t k = 0;
        for (size_t i = 0; i < ELEMENTSOF(base); i++) {
                size_t name_len = (size_t)(strchr(base[i], '=') - base[i]);
                bool overridden = false;
                for (size_t j = 0; j < p->n_env; j++)
                        overridden |= strncmp(p->env[j], base[i], name_len + 1) == 0;
                if (!overridden)
                        env[k++] = (char *)base[i];
        }
        for (size_t j = 0; j < p->n_env; j++)
                env[k++] = p->env[j];
        env[k] = NULL;
        return env;
}

typedef struct loop {
        const supervise_req *req;
        result *res;
        jail *jail;
        const cgroup *cg;
        int out_fd, err_fd, in_fd; /* our ends of the pipes */
        char in_buf[STDIN_CHUNK];
        size_t in_len, in_off;
        bool in_eof;
        run_status killed_for; /* STATUS_OK while nobody ended the run */
        uint64_t violations;
        uint64_t cpu_limit_ns;
        bool init_exited;
        bool notify_hup; /* every filtered process is gone */
        egress *net;     /* with the network allowlist */
} loop;

static void end_run(loop *l, run_status why, const char *limit) {
        if (l->killed_for != STATUS_OK)
                return;
        l->killed_for = why;
        if (limit)
                result_event(l->res, "limit", limit, 1);
        jail_kill(l->jail);
}

/* Reads what is there; keeps it under the cap; mirrors it if asked. */
static void pump_output(loop *l, int *fd, buf *b, int mirror) {
        char chunk[65536];
        for (int rounds = 0; rounds < 16; rounds++) {
                ssize_t n = read(*fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        close(*fd);
                        *fd = -1;
                        return;
                }
                size_t before = b->len;
                long kept = buf_append(b, chunk, (size_t)n);
                if (mirror >= 0 && kept > 0)
                        (void)fd_write_full(mirror, b->data + before, (size_t)kept);
                if (kept < n && l->req->policy->output_mode == OUTPUT_MODE_STOP)
                        end_run(l, STATUS_OUTPUT_LIMIT, "output");
        }
}

static void pump_stdin(loop *l) {
        if (l->in_off == l->in_len && !l->in_eof) {
                ssize_t n = read(l->req->stdin_fd, l->in_buf, sizeof l->in_buf);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        return;
                if (n <= 0) {
                        l->in_eof = true;
                } else {
                        l->in_len = (size_t)n;
                        l->in_off = 0;
                }
        }
        if (l->in_off < l->in_len) {
                ssize_t n = write(l->in_fd, l->in_buf + l->in_off, l->in_len - l->in_off);
                if (n > 0)
                        l->in_off += (size_t)n;
                else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                        l->in_eof = true; /* the program closed its stdin */
                        l->in_off = l->in_len;
                }
        }
        if (l->in_eof && l->in_off == l->in_len && l->in_fd >= 0) {
                close(l->in_fd);
                l->in_fd = -1;
        }
}

/* A denied syscall: one event, answered with EPERM. Past the policy's
 * threshold the run ends as a violation. */
static void answer_notification(loop *l) {
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        if (seccomp_notify_alloc(&req, &resp) < 0)
                return;
        if (seccomp_notify_receive(l->jail->notify_fd, req) < 0) {
                seccomp_notify_free(req, resp);
                return;
        }
        if (l->net && egress_wants(req)) {
                /* connect() and sendto() with an address: the allowlist's. */
                egress_notify(l->net, req);
        } else {
                char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
                char fallback[32];
                if (!name)
                        snprintf(fallback, sizeof fallback, "syscall_%d", req->data.nr);
                result_event(l->res, "syscall_denied", name ? name : fallback, 1);
                free(name);
                resp->id = req->id;
                resp->error = -EPERM;
                resp->val = 0;
                resp->flags = 0;
                (void)seccomp_notify_respond(l->jail->notify_fd, resp); /* ENOENT: the caller died */
                if (++l->violations > l->req->policy->max_violations)
                        end_run(l, STATUS_VIOLATION, NULL);
        }
        seccomp_notify_free(req, resp);
}

static void check_cpu(loop *l) {
        uint64_t ns;
        if (!l->cg || !l->cg->cpu || cgroup_cpu_ns(l->cg, &ns) < 0)
                return;
        if (ns >= l->cpu_limit_ns)
                end_run(l, STATUS_CPU_LIMIT, "cpu_time");
}

static int arm_timer(int clock, uint64_t first_ms, uint64_t interval_ms) {
        int fd = timerfd_create(clock, TFD_CLOEXEC | TFD_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct itimerspec its = {
                .it_value = {(time_t)(first_ms / 1000), (long)(first_ms % 1000) * 1000000},
                .it_interval = {(time_t)(interval_ms / 1000), (long)(interval_ms % 1000) * 1000000},
        };
        if (timerfd_settime(fd, 0, &its, NULL) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

static void drain_timer(int fd) {
        uint64_t n;
        (void)!read(fd, &n, sizeof n);
}

/* Runs until the init exits (or is killed). */
static int watch(loop *l, int sigfd) {
        const policy *p = l->req->policy;
        _cleanup_close_ int wall = arm_timer(CLOCK_MONOTONIC, p->wall_time_ms, 0);
        _cleanup_close_ int tick = l->cg && l->cg->cpu ? arm_timer(CLOCK_MONOTONIC, CPU_TICK_MS, CPU_TICK_MS) : -1;
        if (wall < 0)
                return wall;
        uint64_t exited_at = 0;
        enum { P_PID, P_OUT, P_ERR, P_NOTIFY, P_IN, P_STDIN, P_WALL, P_TICK, P_SIG, P_N };
        size_t n_extra = l->net ? egress_max_fds(l->net) : 0;
        _cleanup_free_ struct pollfd *pf = calloc(P_N + n_extra, sizeof *pf);
        if (!pf)
                return -ENOMEM;
        for (;;) {
                for (int i = 0; i < P_N; i++)
                        pf[i] = (struct pollfd){.fd = -1};
                if (!l->init_exited)
                        pf[P_PID] = (struct pollfd){.fd = l->jail->pidfd, .events = POLLIN};
                pf[P_OUT] = (struct pollfd){.fd = l->out_fd, .events = POLLIN};
                pf[P_ERR] = (struct pollfd){.fd = l->err_fd, .events = POLLIN};
                if (!l->init_exited && !l->notify_hup)
                        pf[P_NOTIFY] = (struct pollfd){.fd = l->jail->notify_fd, .events = POLLIN};
                if (l->in_fd >= 0 && l->in_off < l->in_len)
                        pf[P_IN] = (struct pollfd){.fd = l->in_fd, .events = POLLOUT};
                else if (l->in_fd >= 0 && !l->in_eof)
                        pf[P_STDIN] = (struct pollfd){.fd = l->req->stdin_fd, .events = POLLIN};
                pf[P_WALL] = (struct pollfd){.fd = wall, .events = POLLIN};
                pf[P_TICK] = (struct pollfd){.fd = tick, .events = POLLIN};
                pf[P_SIG] = (struct pollfd){.fd = sigfd, .events = POLLIN};

                /* Once the init is gone every writer of the pipes is gone:
                 * they reach EOF soon; a short bound guards the rest. */
                if (l->init_exited && (l->out_fd < 0 && l->err_fd < 0))
                        return 0;
                int timeout = l->init_exited ? 200 : -1;
                if (l->init_exited && now_ms() - exited_at > 1000)
                        return 0;
                size_t n_net = 0;
                if (l->net && !l->init_exited) {
                        n_net = egress_poll_fill(l->net, pf + P_N, n_extra);
                        int t = egress_timeout_ms(l->net);
                        if (t >= 0 && (timeout < 0 || t < timeout))
                                timeout = t;
                }
                int n = poll(pf, P_N + n_net, timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (pf[P_OUT].revents)
                        pump_output(l, &l->out_fd, &l->res->out, l->req->stdout_fd);
                if (pf[P_ERR].revents)
                        pump_output(l, &l->err_fd, &l->res->err, l->req->stderr_fd);
                if (pf[P_NOTIFY].revents & POLLIN)
                        answer_notification(l);
                if (l->net && !l->init_exited) {
                        egress_poll_done(l->net, pf + P_N, n_net);
                        const char *hit = egress_limit_hit(l->net);
                        if (hit) {
                                char what[48];
                                snprintf(what, sizeof what, "network_%s", hit);
                                end_run(l, STATUS_NETWORK_LIMIT, what);
                        }
                }
                /* POLLHUP on the notify fd: every filtered process is
                 * gone; the pidfd says so in its turn, so stop asking. */
                if (pf[P_NOTIFY].revents & (POLLHUP | POLLERR | POLLNVAL))
                        l->notify_hup = true;
                if (pf[P_IN].revents & (POLLOUT | POLLERR | POLLHUP))
                        pump_stdin(l);
                if (pf[P_STDIN].revents)
                        pump_stdin(l);
                if (pf[P_WALL].revents) {
                        drain_timer(wall);
                        end_run(l, STATUS_TIMEOUT, "wall_time");
                }
                if (tick >= 0 && pf[P_TICK].revents) {
                        drain_timer(tick);
                        check_cpu(l);
                }
                if (pf[P_SIG].revents) {
                        struct signalfd_siginfo si;
                        if (read(sigfd, &si, sizeof si) == sizeof si) {
                                snprintf(l->res->error, sizeof l->res->error, "ward was stopped by signal %u",
                                         si.ssi_signo);
                                end_run(l, STATUS_ERROR, NULL);
                        }
                }
                if (pf[P_PID].revents & POLLIN) {
                        l->init_exited = true;
                        exited_at = now_ms();
                        if (l->in_fd >= 0) {
                                close(l->in_fd);
                                l->in_fd = -1;
                        }
                }
        }
}

static void classify(loop *l, int prog_status, bool have_status, int scratch_fd) {
        result *res = l->res;
        cgroup_stats st = {0};
        if (l->cg && l->cg->version)
                cgroup_read_stats(l->cg, &st);
        res->memory_peak = st.memory_peak;
        res->cpu_ms = st.cpu_ns / 1000000;
        if (st.oom_kills)
                result_event(res, "limit", "memory", st.oom_kills);
        if (st.pids_max_hits)
                result_event(res, "limit", "pids", st.pids_max_hits);
        bool disk_full = false;
        struct statfs sf;
        if (scratch_fd >= 0 && fstatfs(scratch_fd, &sf) == 0)
                disk_full = sf.f_bavail == 0 || sf.f_ffree == 0;
        if (disk_full)
                result_event(res, "limit", "disk", 1);

        if (have_status && WIFEXITED(prog_status)) {
                res->exit_code = WEXITSTATUS(prog_status);
        } else if (have_status && WIFSIGNALED(prog_status)) {
                res->signal = WTERMSIG(prog_status);
        } else {
                /* The init died before reporting: killed by ward, by the
                 * OOM killer, or by ward's death. */
                res->signal = SIGKILL;
        }
        if (l->killed_for != STATUS_OK) {
                res->status = l->killed_for;
                if ((l->killed_for == STATUS_TIMEOUT || l->killed_for == STATUS_CPU_LIMIT) && st.pids_max_hits)
                        res->status = STATUS_PIDS_LIMIT; /* a fork bomb spinning until time ran out */
                return;
        }
        if (st.oom_kills) {
                res->status = STATUS_MEMORY_LIMIT;
                return;
        }
        if (!have_status) {
                /* Neither ward nor a limit ended it: whatever the program
                 * did is unknown, and a guess would be a lie. */
                res->status = STATUS_ERROR;
                snprintf(res->error, sizeof res->error,
                         "the sandbox's init ended without reporting the program's status");
                return;
        }
        if (res->signal == SIGXCPU) {
                res->status = STATUS_CPU_LIMIT;
                result_event(res, "limit", "cpu_time", 1);
                return;
        }
        if (res->signal == SIGXFSZ) {
                res->status = STATUS_FILE_SIZE_LIMIT;
                result_event(res, "limit", "file_size", 1);
                return;
        }
        if (res->signal) {
                res->status = st.pids_max_hits ? STATUS_PIDS_LIMIT : STATUS_SIGNAL;
                return;
        }
        if (res->exit_code == 0) {
                res->status = STATUS_OK;
                return;
        }
        if (disk_full) {
                res->status = STATUS_DISK_LIMIT;
        } else if (res->exit_code == 128 + SIGXFSZ ||
                   (scratch_fd >= 0 && scratch_has_file_of(scratch_fd, l->req->policy->file_size))) {
                /* A child hit the file-size limit and its parent passed the
                 * failure on (a shell reports 128+SIGXFSZ). */
                res->status = STATUS_FILE_SIZE_LIMIT;
                result_event(res, "limit", "file_size", 1);
        } else if (st.pids_max_hits) {
                res->status = STATUS_PIDS_LIMIT;
        } else {
                res->status = STATUS_EXIT;
        }
}

static int block_signals(sigset_t *old) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGQUIT);
        /* A shell starts background jobs with SIGINT ignored; an ignored
         * signal never reaches a signalfd, and ward must still clean up. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sigismember(&set, sig) == 1)
                        signal(sig, SIG_DFL);
        if (sigprocmask(SIG_BLOCK, &set, old) < 0)
                return -errno;
        int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

static void fail_result(result *res, const ward_error *e) {
        res->status = STATUS_ERROR;
        snprintf(res->error, sizeof res->error, "%s", e->msg);
}

int supervise_run(const supervise_req *req, result *res, ward_error *err) {
        const policy *p = req->policy;
        int r = policy_validate(p, err);
        if (r < 0)
                return r;
        int landlock = landlock_abi();
        if (landlock < 1 && !p->allow_without_landlock)
                return err_set(err, -EOPNOTSUPP,
                               "landlock is not available on this host; the policy must list \"landlock\" in "
                               "allow_without to run without it");

        /* The output directory is opened now, by the path the caller gave,
         * and not again after the run: by then the sandbox may have replaced
         * that path (it may be inside a --rw bind or the workdir). */
        _cleanup_close_ int out_dir = -1;
        if (p->output_dir && (out_dir = fd_open_no_symlinks(p->output_dir, O_RDONLY | O_DIRECTORY, 0)) < 0)
                return err_set(err, out_dir, "output_dir: cannot open '%s': %s", p->output_dir, strerror(-out_dir));

        /* The allowlist's rules are parsed now: a policy that was valid
         * when written stays valid, but nothing is started before it is
         * known to be. */
        egress *net = NULL;
        if (p->net.mode == NET_MODE_ALLOWLIST && egress_new(&p->net, res, &net, err) < 0)
                return err->code;

        uint64_t t0 = now_ms();
        cgroup cg = {0};
        ward_error cg_err = {0};
        int ret = 0; /* < 0: the request fails as a whole, with no result */

        _cleanup_free_ char **env = build_env(p);
        sigset_t old_mask;
        int sigfd = -1;
        int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
        jail j = {.pidfd = -1, .sock = -1, .status_fd = -1, .notify_fd = -1, .scratch_fd = -1};
        bool spawned = false;
        ward_error setup = {0};

        if (!env) {
                err_set(&setup, -ENOMEM, "out of memory");
                goto setup_failed;
        }
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                err_set(&setup, -errno, "pipe: %s", strerror(errno));
                goto setup_failed;
        }
        if ((sigfd = block_signals(&old_mask)) < 0) {
                err_set(&setup, sigfd, "signalfd: %s", strerror(-sigfd));
                goto setup_failed;
        }
        jail_spec spec = {
                .policy = p,
                .argv = req->argv,
                .envp = env,
                .code = req->code,
                .code_len = req->code_len,
                .code_name = req->code_name,
                .stdio = {in[0], out[1], errp[1]},
                .landlock_abi = landlock,
        };
        if (jail_spawn(&spec, &j, &setup) < 0)
                goto setup_failed;
        spawned = true;
        /* The init builds the sandbox's root meanwhile. */
        if (cgroup_create(&cg, p, &cg_err) < 0) {
                if (!p->allow_without_cgroups) {
                        ret = err_set(err, cg_err.code,
                                      "%s; the policy must list \"cgroups\" in allow_without to run with rlimit-only "
                                      "limits",
                                      cg_err.msg);
                        goto setup_failed;
                }
                memset(&cg, 0, sizeof cg);
                result_event(res, "degraded", "cgroups unavailable: rlimit-only limits", 1);
        }
        res->cgroup_version = cg.version;
        if (jail_send_cgroup(&j, cg.version ? &cg : NULL, &setup) < 0)
                goto setup_failed;
        res->protections = j.protections;
        close(in[0]);
        close(out[1]);
        close(errp[1]);
        in[0] = out[1] = errp[1] = -1;
        (void)fd_nonblock(out[0]);
        (void)fd_nonblock(errp[0]);
        (void)fd_nonblock(in[1]);

        int exec_class = 0;
        if (jail_wait_started(&j, (int)p->wall_time_ms, &exec_class, &setup) < 0 && !exec_class)
                goto setup_failed;
        if (exec_class) {
                res->exec_class = exec_class;
                result_event(res, "exec_failed", setup.msg, 1);
        }
        if (net) {
                egress_attach(net, j.notify_fd, j.dns_fd, j.relay_fd);
                j.dns_fd = j.relay_fd = -1; /* egress owns them now */
        }

        loop l = {
                .req = req,
                .res = res,
                .jail = &j,
                .cg = cg.version ? &cg : NULL,
                .out_fd = out[0],
                .err_fd = errp[0],
                .in_fd = req->stdin_fd >= 0 ? in[1] : -1,
                .killed_for = STATUS_OK,
                .cpu_limit_ns = p->cpu_time_ms * 1000000ull,
                .net = net,
        };
        if (req->stdin_fd < 0) {
                close(in[1]);
        }
        in[1] = -1;
        out[0] = errp[0] = -1;
        uint64_t t_exec = now_ms();
        r = watch(&l, sigfd);
        if (r < 0) {
                jail_kill(&j);
                err_set(&setup, r, "supervisor: %s", strerror(-r));
        }
        if (l.out_fd >= 0)
                close(l.out_fd);
        if (l.err_fd >= 0)
                close(l.err_fd);
        if (l.in_fd >= 0)
                close(l.in_fd);
        res->wall_ms = now_ms() - t_exec;

        int32_t prog_status = 0;
        bool have_status = read(j.status_fd, &prog_status, sizeof prog_status) == sizeof prog_status;
        siginfo_t si;
        jail_kill(&j); /* a no-op once it exited; makes sure otherwise */
        (void)waitid((idtype_t)P_PIDFD, (id_t)j.pidfd, &si, WEXITED);
        if (have_status && prog_status == JAIL_STATUS_INIT_FAILED) {
                have_status = false;
                if (r >= 0)
                        r = err_set(&setup, -EPERM, "sandbox init: cannot drop its own privileges");
        }
        classify(&l, prog_status, have_status, j.scratch_fd);
        if (exec_class) {
                res->exit_code = exec_class;
                res->signal = 0;
                res->status = STATUS_EXIT;
        }
        if (r < 0)
                fail_result(res, &setup);
        if (out_dir >= 0 && j.scratch_fd >= 0) {
                int c = output_copy(j.scratch_fd, out_dir, p->disk, res);
                if (c < 0)
                        result_event(res, "output_skipped", "copy to the output dir failed", 1);
        }
        goto cleanup;

setup_failed:
        if (spawned) {
                jail_kill(&j);
                siginfo_t si2;
                (void)waitid((idtype_t)P_PIDFD, (id_t)j.pidfd, &si2, WEXITED);
        }
        fail_result(res, &setup);
        /* Nothing ran: no protection was in force for anything. */
        res->protections = 0;
        res->wall_ms = now_ms() - t0;
cleanup:
        if (net) {
                if (spawned && res->status != STATUS_ERROR)
                        res->network = egress_to_json(net);
                egress_free(net);
        }
        jail_release(&j);
        for (int i = 0; i < 2; i++) {
                if (in[i] >= 0)
                        close(in[i]);
                if (out[i] >= 0)
                        close(out[i]);
                if (errp[i] >= 0)
                        close(errp[i]);
        }
        if (sigfd >= 0) {
                close(sigfd);
                sigprocmask(SIG_SETMASK, &old_mask, NULL);
        }
        if (cg.version)
                cgroup_destroy(&cg);
        return ret;
}
