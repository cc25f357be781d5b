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
#include "basic/clock.h"
#include "basic/fd.h"
#include "jail/jail.h"
#include "net/egress.h"
#include "supervise/classify.h"

#define CPU_TICK_MS 20
#define STDIN_CHUNK 65536

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

/* A sandbox under watch. supervise_run() is sv_start(), sv_poll() until
 * sv_ended(), then sv_finish(); a session holds one across many cells. */
struct sv {
        const supervise_req *req;
        result *res;
        egress *net; /* with the network allowlist */
        struct pollfd *pf;
        size_t pf_cap;
        size_t in_len, in_off;
        uint64_t violations;
        uint64_t cpu_limit_ns;
        uint64_t exited_at;
        uint64_t t0, t_exec;
        jail jail;
        cgroup cg;
        sigset_t old_mask;
        ward_error setup;          /* why the supervisor itself failed, if it did */
        run_status killed_for;     /* STATUS_OK while nobody ended the run */
        int failed;                /* < 0: the supervisor failed (setup) */
        int out_fd, err_fd, in_fd; /* our ends of the pipes */
        int wall_fd, tick_fd, sig_fd;
        int exec_class;
        int out_dir;
        bool have_cg;
        bool in_eof;
        bool init_exited;
        bool notify_hup; /* every filtered process is gone */
        bool collected;  /* sv_collect() ran */
        bool reaped;     /* the init was waited for */
        bool has_reported;
        int reported_status; /* a wait status the program gave itself */
        char in_buf[STDIN_CHUNK];
};
typedef struct sv loop;

static void end_run(loop *l, run_status why, const char *limit) {
        if (l->killed_for != STATUS_OK)
                return;
        l->killed_for = why;
        if (limit)
                result_event(l->res, "limit", limit, 1);
        jail_kill(&l->jail);
}

/* Reads what is there; keeps it under the cap; mirrors it if asked. */
static void pump_output(loop *l, int *fd, buf *b, int stream) {
        int mirror = stream == 1 ? l->req->stdout_fd : l->req->stderr_fd;
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
                if (l->req->on_output && kept > 0)
                        l->req->on_output(l->req->ctx, stream, b->data + before, (size_t)kept);
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

/* What the network allowlist tells the run (net/egress.h). */
static void net_event(void *ctx, const char *type, const char *what) {
        loop *l = ctx;
        result_event(l->res, type, what, 1);
}

static void net_limit_hit(void *ctx, const char *limit) {
        loop *l = ctx;
        char what[48];
        snprintf(what, sizeof what, "network_%s", limit);
        end_run(l, STATUS_NETWORK_LIMIT, what);
}

/* A denied syscall: one event, answered with EPERM. Past the policy's
 * threshold the run ends as a violation. */
static void answer_notification(loop *l) {
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        if (seccomp_notify_alloc(&req, &resp) < 0)
                return;
        if (seccomp_notify_receive(l->jail.notify_fd, req) < 0) {
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
                (void)seccomp_notify_respond(l->jail.notify_fd, resp); /* ENOENT: the caller died */
                if (++l->violations > l->req->policy->max_violations)
                        end_run(l, STATUS_VIOLATION, NULL);
        }
        seccomp_notify_free(req, resp);
}

/* The CPU limit is checked by reading the cgroup's usage. The sandbox
 * cannot use more than every CPU of the machine for the whole wait, so the
 * next check need not come before the rest of the budget could be spent
 * that way: a sandbox that waits (a warm one, an idle session) is looked
 * at seldom, one that spins every CPU_TICK_MS near its limit. */
static uint64_t cpu_check_ms(uint64_t budget_left_ns) {
        static long cpus; /* the CPUs this machine may have; read once */
        if (!cpus && (cpus = sysconf(_SC_NPROCESSORS_CONF)) < 1)
                cpus = 1;
        uint64_t ms = budget_left_ns / (uint64_t)cpus / 1000000u;
        return ms < CPU_TICK_MS ? CPU_TICK_MS : ms;
}

static void check_cpu(loop *l) {
        uint64_t ns, ms = CPU_TICK_MS; /* unreadable now: look again soon */
        if (l->have_cg && l->cg.cpu && cgroup_cpu_ns(&l->cg, &ns) == 0) {
                if (ns >= l->cpu_limit_ns) {
                        end_run(l, STATUS_CPU_LIMIT, "cpu_time");
                        return;
                }
                ms = cpu_check_ms(l->cpu_limit_ns - ns);
        }
        struct itimerspec its = {.it_value = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000}};
        if (timerfd_settime(l->tick_fd, 0, &its, NULL) < 0) {
                /* The limit would go unwatched: the run ends (fail closed). */
                snprintf(l->res->error, sizeof l->res->error, "cannot watch the CPU time: timerfd: %s",
                         strerror(errno));
                end_run(l, STATUS_ERROR, NULL);
        }
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

/* Gathers what decides the run's status (the cgroup's counters, the
 * scratch tmpfs) and records the decision of classify_run(). */
static void classify(loop *l, int prog_status, bool have_status, int scratch_fd) {
        result *res = l->res;
        cgroup_stats st = {0};
        if (l->have_cg)
                cgroup_read_stats(&l->cg, &st);
        res->memory_peak = st.memory_peak;
        res->cpu_ms = st.cpu_ns / 1000000;
        if (st.oom_kills)
                result_event(res, "limit", "memory", st.oom_kills);
        if (st.pids_max_hits)
                result_event(res, "limit", "pids", st.pids_max_hits);
        classify_input in = {
                .have_status = have_status,
                .wait_status = prog_status,
                .killed_for = l->killed_for,
                .oom_kills = st.oom_kills,
                .pids_max_hits = st.pids_max_hits,
        };
        struct statfs sf;
        if (scratch_fd >= 0 && fstatfs(scratch_fd, &sf) == 0)
                in.disk_full = sf.f_bavail == 0 || sf.f_ffree == 0;
        if (in.disk_full)
                result_event(res, "limit", "disk", 1);
        if (scratch_fd >= 0 && classify_needs_big_file(&in))
                in.big_file = scratch_has_file_of(scratch_fd, l->req->policy->file_size);

        classify_verdict v;
        res->status = classify_run(&in, &v);
        if (v.exit_code >= 0)
                res->exit_code = v.exit_code;
        if (v.signal)
                res->signal = v.signal;
        if (v.limit)
                result_event(res, "limit", v.limit, 1);
        if (v.error)
                snprintf(res->error, sizeof res->error, "%s", v.error);
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

enum { S_PID, S_OUT, S_ERR, S_NOTIFY, S_IN, S_STDIN, S_WALL, S_TICK, S_SIG, S_N };

bool sv_ended(const sv *l) {
        if (l->failed < 0)
                return true;
        /* Once the init is gone every writer of the pipes is gone: they
         * reach EOF soon; a short bound guards the rest. */
        return l->init_exited && ((l->out_fd < 0 && l->err_fd < 0) || clock_mono_ms() - l->exited_at > 1000);
}

int sv_poll(sv *l, struct pollfd *extra, size_t n_extra, int timeout) {
        if (sv_ended(l))
                return 0;
        size_t n_net_max = l->net ? egress_max_fds(l->net) : 0;
        size_t need = S_N + n_net_max + n_extra;
        if (need > l->pf_cap) {
                struct pollfd *pf = realloc(l->pf, need * sizeof *pf);
                if (!pf)
                        return -ENOMEM;
                l->pf = pf;
                l->pf_cap = need;
        }
        struct pollfd *pf = l->pf;
        for (int i = 0; i < S_N; i++)
                pf[i] = (struct pollfd){.fd = -1};
        if (!l->init_exited)
                pf[S_PID] = (struct pollfd){.fd = l->jail.pidfd, .events = POLLIN};
        pf[S_OUT] = (struct pollfd){.fd = l->out_fd, .events = POLLIN};
        pf[S_ERR] = (struct pollfd){.fd = l->err_fd, .events = POLLIN};
        if (!l->init_exited && !l->notify_hup)
                pf[S_NOTIFY] = (struct pollfd){.fd = l->jail.notify_fd, .events = POLLIN};
        if (l->in_fd >= 0 && l->in_off < l->in_len)
                pf[S_IN] = (struct pollfd){.fd = l->in_fd, .events = POLLOUT};
        else if (l->in_fd >= 0 && !l->in_eof)
                pf[S_STDIN] = (struct pollfd){.fd = l->req->stdin_fd, .events = POLLIN};
        pf[S_WALL] = (struct pollfd){.fd = l->wall_fd, .events = POLLIN};
        pf[S_TICK] = (struct pollfd){.fd = l->tick_fd, .events = POLLIN};
        pf[S_SIG] = (struct pollfd){.fd = l->sig_fd, .events = POLLIN};

        if (l->init_exited && (timeout < 0 || timeout > 200))
                timeout = 200;
        size_t n_net = 0;
        if (l->net && !l->init_exited) {
                n_net = egress_poll_fill(l->net, pf + S_N, n_net_max);
                int t = egress_timeout_ms(l->net);
                if (t >= 0 && (timeout < 0 || t < timeout))
                        timeout = t;
        }
        struct pollfd *ex = pf + S_N + n_net;
        for (size_t i = 0; i < n_extra; i++)
                ex[i] = extra[i];
        int n = poll(pf, S_N + n_net + n_extra, timeout);
        if (n < 0 && errno == EINTR)
                return 0;
        if (n < 0)
                return -errno;
        for (size_t i = 0; i < n_extra; i++)
                extra[i].revents = ex[i].revents;
        if (pf[S_OUT].revents)
                pump_output(l, &l->out_fd, &l->res->out, 1);
        if (pf[S_ERR].revents)
                pump_output(l, &l->err_fd, &l->res->err, 2);
        if (pf[S_NOTIFY].revents & POLLIN)
                answer_notification(l);
        if (l->net && !l->init_exited) {
                egress_poll_done(l->net, pf + S_N, n_net); /* may end the run: net_limit_hit */
        }
        /* POLLHUP on the notify fd: every filtered process is gone; the
         * pidfd says so in its turn, so stop asking. */
        if (pf[S_NOTIFY].revents & (POLLHUP | POLLERR | POLLNVAL))
                l->notify_hup = true;
        if (pf[S_IN].revents & (POLLOUT | POLLERR | POLLHUP))
                pump_stdin(l);
        if (pf[S_STDIN].revents)
                pump_stdin(l);
        if (pf[S_WALL].revents) {
                drain_timer(l->wall_fd);
                end_run(l, STATUS_TIMEOUT, "wall_time");
        }
        if (l->tick_fd >= 0 && pf[S_TICK].revents) {
                drain_timer(l->tick_fd);
                check_cpu(l);
        }
        if (pf[S_SIG].revents) {
                struct signalfd_siginfo si;
                if (read(l->sig_fd, &si, sizeof si) == sizeof si) {
                        snprintf(l->res->error, sizeof l->res->error, "ward was stopped by signal %u", si.ssi_signo);
                        end_run(l, STATUS_ERROR, NULL);
                }
        }
        if (pf[S_PID].revents & POLLIN) {
                l->init_exited = true;
                l->exited_at = clock_mono_ms();
                if (l->in_fd >= 0) {
                        close(l->in_fd);
                        l->in_fd = -1;
                }
        }
        return 0;
}

static void close_fd(int *fd) {
        if (*fd >= 0) {
                close(*fd);
                *fd = -1;
        }
}

static void reap(sv *l) {
        if (l->reaped || l->jail.pidfd < 0)
                return;
        jail_kill_and_reap(&l->jail); /* the kill is a no-op once it exited; makes sure otherwise */
        l->reaped = true;
}

/* Frees what sv_start made, whatever state it got to. */
static void sv_free(sv *l) {
        reap(l);
        if (l->net)
                egress_free(l->net);
        jail_release(&l->jail);
        int *fds[] = {&l->out_fd, &l->err_fd, &l->in_fd, &l->wall_fd, &l->tick_fd, &l->out_dir};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                close_fd(fds[i]);
        if (l->sig_fd >= 0) {
                close_fd(&l->sig_fd);
                sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
        }
        if (l->have_cg)
                cgroup_destroy(&l->cg);
        free(l->pf);
        free(l);
}

int sv_start(const supervise_req *req, result *res, sv **ret, ward_error *err) {
        const policy *p = req->policy;
        *ret = NULL;
        int r = policy_validate(p, err);
        if (r < 0)
                return r;
        int landlock = landlock_abi();
        if (landlock < 1 && !p->allow_without_landlock)
                return err_set(err, -EOPNOTSUPP,
                               "landlock is not available on this host; the policy must list \"landlock\" in "
                               "allow_without to run without it");
        sv *l = calloc(1, sizeof *l);
        if (!l)
                return err_set(err, -ENOMEM, "out of memory");
        *l = (sv){
                .req = req,
                .res = res,
                .jail = {.pidfd = -1,
                         .sock = -1,
                         .status_fd = -1,
                         .notify_fd = -1,
                         .scratch_fd = -1,
                         .dns_fd = -1,
                         .relay_fd = -1},
                .out_fd = -1,
                .err_fd = -1,
                .in_fd = -1,
                .killed_for = STATUS_OK,
                .cpu_limit_ns = p->cpu_time_ms * 1000000ull,
                .wall_fd = -1,
                .tick_fd = -1,
                .sig_fd = -1,
                .out_dir = -1,
                .t0 = clock_mono_ms(),
        };

        /* The output directory is opened now, by the path the caller gave,
         * and not again after the run: by then the sandbox may have replaced
         * that path (it may be inside a --rw bind or the workdir). */
        if (p->output_dir && (l->out_dir = fd_open_no_symlinks(p->output_dir, O_RDONLY | O_DIRECTORY, 0)) < 0) {
                r = err_set(err, l->out_dir, "output_dir: cannot open '%s': %s", p->output_dir, strerror(-l->out_dir));
                l->out_dir = -1;
                sv_free(l);
                return r;
        }
        /* The allowlist's rules are parsed now: a policy that was valid
         * when written stays valid, but nothing is started before it is
         * known to be. */
        const egress_events net_events = {.ctx = l, .event = net_event, .limit_hit = net_limit_hit};
        if (p->net.mode == NET_MODE_ALLOWLIST && egress_new(&p->net, &net_events, &l->net, err) < 0) {
                r = err->code;
                sv_free(l);
                return r;
        }

        _cleanup_free_ char **env = build_env(p);
        int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
        bool spawned = false;
        ward_error *setup = &l->setup;
        ward_error cg_err = {0};

        if (!env) {
                err_set(setup, -ENOMEM, "out of memory");
                goto setup_failed;
        }
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                err_set(setup, -errno, "pipe: %s", strerror(errno));
                goto setup_failed;
        }
        if ((l->sig_fd = block_signals(&l->old_mask)) < 0) {
                err_set(setup, l->sig_fd, "signalfd: %s", strerror(-l->sig_fd));
                l->sig_fd = -1;
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
                .ctl_fd = req->has_ctl ? req->ctl_fd : -1,
                .landlock_abi = landlock,
        };
        if (jail_spawn(&spec, &l->jail, setup) < 0)
                goto setup_failed;
        spawned = true;
        /* The init builds the sandbox's root meanwhile. */
        if (cgroup_create(&l->cg, p, &cg_err) < 0) {
                if (!p->allow_without_cgroups) {
                        r = err_set(err, cg_err.code,
                                    "%s; the policy must list \"cgroups\" in allow_without to run with rlimit-only "
                                    "limits",
                                    cg_err.msg);
                        reap(l);
                        for (int i = 0; i < 2; i++) {
                                close_fd(&in[i]);
                                close_fd(&out[i]);
                                close_fd(&errp[i]);
                        }
                        memset(&l->cg, 0, sizeof l->cg);
                        sv_free(l);
                        return r;
                }
                memset(&l->cg, 0, sizeof l->cg);
                result_event(res, "degraded", "cgroups unavailable: rlimit-only limits", 1);
        }
        l->have_cg = l->cg.version != 0;
        res->cgroup_version = l->cg.version;
        if (jail_send_cgroup(&l->jail, l->have_cg ? &l->cg : NULL, setup) < 0)
                goto setup_failed;
        res->protections = l->jail.protections;
        close_fd(&in[0]);
        close_fd(&out[1]);
        close_fd(&errp[1]);
        (void)fd_nonblock(out[0]);
        (void)fd_nonblock(errp[0]);
        (void)fd_nonblock(l->jail.status_fd); /* read once it is ready, or not at all */
        (void)fd_nonblock(in[1]);

        if (jail_wait_started(&l->jail, (int)p->wall_time_ms, &l->exec_class, setup) < 0 && !l->exec_class)
                goto setup_failed;
        if (l->exec_class) {
                res->exec_class = l->exec_class;
                result_event(res, "exec_failed", setup->msg, 1);
        }
        if (l->net) {
                egress_attach(l->net, l->jail.notify_fd, l->jail.dns_fd, l->jail.relay_fd);
                l->jail.dns_fd = l->jail.relay_fd = -1; /* egress owns them now */
        }
        l->out_fd = out[0];
        l->err_fd = errp[0];
        out[0] = errp[0] = -1;
        if (req->stdin_fd >= 0)
                l->in_fd = in[1];
        else
                close(in[1]);
        in[1] = -1;
        l->wall_fd = arm_timer(CLOCK_MONOTONIC, p->wall_time_ms, 0);
        if (l->wall_fd < 0) {
                err_set(setup, l->wall_fd, "timerfd: %s", strerror(-l->wall_fd));
                l->wall_fd = -1;
                goto setup_failed;
        }
        if (l->have_cg && l->cg.cpu) /* the program has used nothing yet: the whole budget */
                l->tick_fd = arm_timer(CLOCK_MONOTONIC, cpu_check_ms(l->cpu_limit_ns), 0); /* < 0: RLIMIT_CPU holds */
        l->t_exec = clock_mono_ms();
        *ret = l;
        return 0;

setup_failed:
        if (spawned) {
                reap(l); /* sv_finish must not wait again */
                l->init_exited = true;
        }
        for (int i = 0; i < 2; i++) {
                close_fd(&in[i]);
                close_fd(&out[i]);
                close_fd(&errp[i]);
        }
        l->failed = l->setup.code < 0 ? l->setup.code : -EIO;
        *ret = l;
        return 0;
}

void sv_kill(sv *l, run_status why, const char *limit) {
        end_run(l, why, limit);
}

int sv_interrupt(sv *l) {
        return jail_interrupt(&l->jail);
}

void sv_set_reported_status(sv *l, int exit_code) {
        l->has_reported = true;
        l->reported_status = (exit_code & 0xff) << 8; /* as W_EXITCODE(exit_code, 0) */
}

int sv_status_fd(const sv *l) {
        return l->jail.status_fd;
}

run_status sv_killed_for(const sv *l) {
        return l->killed_for;
}

void sv_set_result(sv *l, result *res) {
        l->res = res;
}

int sv_scratch_fd(const sv *l) {
        return l->jail.scratch_fd;
}

bool sv_cpu_ns(const sv *l, uint64_t *ret) {
        return l->have_cg && l->cg.cpu && cgroup_cpu_ns(&l->cg, ret) == 0;
}

bool sv_alive(const sv *l) {
        return l->failed == 0 && !l->init_exited;
}

bool sv_failed(const sv *l, const char **why) {
        if (why)
                *why = l->setup.msg;
        return l->failed < 0;
}

void sv_collect(sv *l) {
        result *res = l->res;
        if (l->collected)
                return;
        l->collected = true;
        if (l->failed < 0) {
                fail_result(res, &l->setup);
                /* Nothing ran: no protection was in force for anything. */
                res->protections = 0;
                res->wall_ms = clock_mono_ms() - l->t0;
                return;
        }
        /* What the program wrote before its status came is the run's,
         * even if the pipes were not read since. */
        if (l->out_fd >= 0)
                pump_output(l, &l->out_fd, &res->out, 1);
        if (l->err_fd >= 0)
                pump_output(l, &l->err_fd, &res->err, 2);
        close_fd(&l->out_fd);
        close_fd(&l->err_fd);
        close_fd(&l->in_fd);
        res->wall_ms = clock_mono_ms() - l->t_exec;

        int32_t prog_status = 0;
        bool have_status = read(l->jail.status_fd, &prog_status, sizeof prog_status) == sizeof prog_status;
        if (!have_status && !l->has_reported && !l->init_exited) {
                /* The program may be exiting still (its control socket
                 * closed first): the init's report is waited for, boundedly. */
                struct pollfd pf = {.fd = l->jail.status_fd, .events = POLLIN};
                if (poll(&pf, 1, 2000) > 0)
                        have_status = read(l->jail.status_fd, &prog_status, sizeof prog_status) == sizeof prog_status;
        }
        if (!have_status && l->has_reported) {
                /* The program said its status as it exited; the init's
                 * report is still on its way. The rest of the teardown is
                 * sv_release()'s. */
                prog_status = l->reported_status;
                have_status = true;
        }
        /* With the status there, the init's teardown of the sandbox is not
         * waited for here: sv_release() reaps it. */
        if (!have_status || prog_status == JAIL_STATUS_INIT_FAILED)
                reap(l);
        int r = 0;
        if (have_status && prog_status == JAIL_STATUS_INIT_FAILED) {
                have_status = false;
                r = err_set(&l->setup, -EPERM, "sandbox init: cannot drop its own privileges");
        }
        classify(l, prog_status, have_status, l->jail.scratch_fd);
        if (l->exec_class) {
                res->exit_code = l->exec_class;
                res->signal = 0;
                res->status = STATUS_EXIT;
        }
        if (r < 0)
                fail_result(res, &l->setup);
        if (l->out_dir >= 0 && l->jail.scratch_fd >= 0) {
                int c = output_copy(l->jail.scratch_fd, l->out_dir, l->req->policy->disk, res);
                if (c < 0)
                        result_event(res, "output_skipped", "copy to the output dir failed", 1);
        }
        if (l->net && res->status != STATUS_ERROR)
                res->network = egress_to_json(l->net);
}

void sv_release(sv *l) {
        sv_free(l);
}

void sv_finish(sv *l) {
        sv_collect(l);
        sv_free(l);
}

int supervise_run(const supervise_req *req, result *res, ward_error *err) {
        sv *l;
        int r = sv_start(req, res, &l, err);
        if (r < 0 || !l)
                return r < 0 ? r : -EIO;
        while (!sv_ended(l)) {
                r = sv_poll(l, NULL, 0, -1);
                if (r < 0) {
                        jail_kill(&l->jail);
                        err_set(&l->setup, r, "supervisor: %s", strerror(-r));
                        fail_result(res, &l->setup);
                        break;
                }
        }
        if (r < 0) {
                /* The loop failed: the run's outcome is an error, whatever
                 * the program did; finish still reaps and cleans up. */
                ward_error keep = l->setup;
                sv_finish(l);
                fail_result(res, &keep);
                return 0;
        }
        sv_finish(l);
        return 0;
}
