/* bench-spawn: how long does a command take from fork to reaped exit?
 *
 * This file owns the one measurement the start-up benchmark makes. It
 * forks, execs the command with stdin on /dev/null and stdout/stderr on
 * /dev/null (or on a pipe it drains, with -p), waits for it, and reads
 * CLOCK_MONOTONIC on both sides of that. It then prints one line of
 * key=value pairs that bench/run parses:
 *
 *     min=0.412 median=0.455 p90=0.501 mean=0.470 max=0.733 n=200
 *
 * All times are milliseconds. The harness stops at the first run that does
 * not exit 0 and says which run it was: a sandbox that fails fast would
 * otherwise look like a very fast sandbox.
 *
 * bench/run interleaves runners in small blocks, so it also needs to keep
 * raw samples across invocations: -R FILE appends each timed sample to FILE,
 * and -S FILE prints the summary line for the samples in FILE without
 * running anything. The statistics code is therefore shared by both paths.
 *
 * Everything is bounded: the number of runs, warm-up runs and samples read
 * back are capped by the constants below, and sample storage is one
 * malloc'd array sized from that capped count.
 *
 * Exit status: 0 all runs exited 0; 1 a run failed (exit status non-zero,
 * killed by a signal); 2 usage error or the harness itself failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2(), strsignal(); meson passes it too */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS_DEFAULT 200L
#define RUNS_MAX 100000L
#define WARMUP_DEFAULT 10L
#define WARMUP_MAX 10000L
/* Longest line accepted in a raw sample file ("123456.123456\n" is 14). */
#define SAMPLE_LINE_MAX 64
/* Bytes read per read() when draining the pipe in -p mode. */
#define DRAIN_CHUNK 65536

#define EXIT_RUN_FAILED 1
#define EXIT_HARNESS 2

enum output_mode {
        OUTPUT_DEVNULL,
        OUTPUT_PIPE,
};

struct options {
        long runs;
        long warmup;
        enum output_mode output;
        const char *raw_path;   /* -R: append samples here, or NULL */
        const char *stats_path; /* -S: only summarise this file, or NULL */
        char **argv;            /* command to run, NULL-terminated */
};

struct stats {
        double min;
        double median;
        double p90;
        double mean;
        double max;
        size_t n;
};

/* Outcome of one timed run that the harness itself completed. */
struct run_result {
        double ms;
        int wait_status;
};

static const char *program_name = "bench-spawn";

static void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Diagnostics go to stderr with the program name; they are never fatal by
 * themselves so that every caller decides the exit status. */
static void warn_msg(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: %s [-n RUNS] [-w WARMUP] [-p] [-R RAWFILE] -- CMD [ARG...]\n"
                "       %s -S RAWFILE\n"
                "\n"
                "Runs CMD RUNS times (default %ld, at most %ld) after WARMUP untimed\n"
                "runs (default %ld, at most %ld) and prints, in milliseconds from fork\n"
                "to waitpid:\n"
                "  min=... median=... p90=... mean=... max=... n=...\n"
                "\n"
                "  -p          stdout/stderr of CMD go to a pipe that is drained\n"
                "              (default: /dev/null)\n"
                "  -R RAWFILE  also append each sample (ms, one per line) to RAWFILE\n"
                "  -S RAWFILE  print the summary of the samples in RAWFILE; run nothing\n"
                "\n"
                "Exit status: 0 every run exited 0, 1 a run failed, 2 usage or harness error.\n",
                program_name, program_name, RUNS_DEFAULT, RUNS_MAX, WARMUP_DEFAULT, WARMUP_MAX);
}

/* Parses a decimal integer in [min, max]. No atoi: trailing junk, empty
 * strings and overflow are all errors. */
static int parse_long(const char *s, long min, long max, long *ret_value) {
        char *end = NULL;
        long v;

        if (!s || *s == '\0')
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || end == s || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret_value = v;
        return 0;
}

static int now_ns(long long *ret_ns) {
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                return -errno;
        *ret_ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        return 0;
}

static void close_fd(int *fd) {
        if (*fd >= 0) {
                int saved = errno;

                (void)close(*fd);
                errno = saved;
                *fd = -1;
        }
}

/* Reaps pid, retrying on EINTR. */
static int reap(pid_t pid, int *ret_status) {
        int status = 0;

        for (;;) {
                pid_t r = waitpid(pid, &status, 0);

                if (r == pid)
                        break;
                if (r < 0 && errno == EINTR)
                        continue;
                return r < 0 ? -errno : -ECHILD;
        }
        *ret_status = status;
        return 0;
}

/* Reads and discards everything until EOF. */
static int drain(int fd) {
        static char buf[DRAIN_CHUNK];

        for (;;) {
                ssize_t r = read(fd, buf, sizeof(buf));

                if (r == 0)
                        return 0;
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
        }
}

/* Runs argv once and times it from just before fork() to just after the
 * child is reaped. The harness's own failures (fork, pipe, clock) return a
 * negative errno; the command's own failure is reported through
 * ret->wait_status for the caller to judge. The child never outlives this
 * function: if draining fails, it is killed and reaped before returning. */
static int run_once(char **argv, int devnull, enum output_mode mode, struct run_result *ret) {
        int pipefd[2] = {-1, -1};
        long long t0 = 0, t1 = 0;
        int status = 0;
        pid_t pid;
        int r;

        if (mode == OUTPUT_PIPE && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;

        r = now_ns(&t0);
        if (r < 0)
                goto out;

        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto out;
        }
        if (pid == 0) {
                /* Child. dup2() clears FD_CLOEXEC on the targets only; every
                 * other descriptor this harness opened is O_CLOEXEC. Only
                 * async-signal-safe calls, and _exit(), never exit(). */
                int out = mode == OUTPUT_PIPE ? pipefd[1] : devnull;

                if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
                        _exit(127);
                execvp(argv[0], argv);
                _exit(127);
        }

        if (mode == OUTPUT_PIPE) {
                close_fd(&pipefd[1]);
                r = drain(pipefd[0]);
                if (r < 0) {
                        int ignored;

                        (void)kill(pid, SIGKILL);
                        (void)reap(pid, &ignored);
                        goto out;
                }
        }

        r = reap(pid, &status);
        if (r < 0)
                goto out;
        r = now_ns(&t1);
        if (r < 0)
                goto out;

        ret->ms = (double)(t1 - t0) / 1e6;
        ret->wait_status = status;
out:
        close_fd(&pipefd[0]);
        close_fd(&pipefd[1]);
        return r;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Sorts samples in place and fills *ret. Median of an even count is the
 * mean of the two middle samples; p90 is the nearest-rank percentile
 * (the smallest sample with at least 90% of samples at or below it). */
static int compute_stats(double *samples, size_t n, struct stats *ret) {
        double sum = 0.0;
        size_t rank;

        if (n == 0)
                return -EINVAL;
        qsort(samples, n, sizeof(samples[0]), cmp_double);
        for (size_t i = 0; i < n; i++)
                sum += samples[i];

        rank = (n * 9 + 9) / 10; /* ceil(0.9 * n), exact in integers */
        ret->min = samples[0];
        ret->max = samples[n - 1];
        ret->median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
        ret->p90 = samples[rank - 1];
        ret->mean = sum / (double)n;
        ret->n = n;
        return 0;
}

static int print_stats(const struct stats *s) {
        if (printf("min=%.3f median=%.3f p90=%.3f mean=%.3f max=%.3f n=%zu\n", s->min, s->median, s->p90, s->mean,
                   s->max, s->n) < 0)
                return -EIO;
        if (fflush(stdout) != 0)
                return -errno;
        return 0;
}

/* Describes a failed wait status as "exited with status 3" etc. */
static void describe_status(int status, char *buf, size_t len) {
        if (WIFEXITED(status))
                snprintf(buf, len, "exited with status %d%s", WEXITSTATUS(status),
                         WEXITSTATUS(status) == 127 ? " (not found, or exec failed)" : "");
        else if (WIFSIGNALED(status))
                snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
                snprintf(buf, len, "ended with wait status 0x%x", (unsigned)status);
}

/* -S mode: reads one sample per line, at most RUNS_MAX of them. */
static int summarise_file(const char *path) {
        char line[SAMPLE_LINE_MAX];
        double *samples = NULL;
        struct stats st;
        size_t n = 0, lineno = 0;
        FILE *f;
        int r = 0;

        f = fopen(path, "re");
        if (!f) {
                r = -errno;
                warn_msg("open %s: %s", path, strerror(-r));
                return r;
        }
        samples = calloc((size_t)RUNS_MAX, sizeof(*samples));
        if (!samples) {
                r = -ENOMEM;
                warn_msg("allocate %ld samples: %s", RUNS_MAX, strerror(-r));
                goto out;
        }

        while (fgets(line, sizeof(line), f)) {
                char *end = NULL;
                size_t len = strlen(line);
                double v;

                lineno++;
                if (len > 0 && line[len - 1] == '\n')
                        line[--len] = '\0';
                else if (!feof(f)) {
                        r = -EINVAL;
                        warn_msg("%s:%zu: line longer than %d bytes", path, lineno, SAMPLE_LINE_MAX - 2);
                        goto out;
                }
                if (len == 0)
                        continue;
                if (n >= (size_t)RUNS_MAX) {
                        r = -E2BIG;
                        warn_msg("%s: more than %ld samples", path, RUNS_MAX);
                        goto out;
                }
                errno = 0;
                v = strtod(line, &end);
                if (errno != 0 || end == line || *end != '\0' || !isfinite(v) || v < 0.0) {
                        r = -EINVAL;
                        warn_msg("%s:%zu: not a sample: '%s'", path, lineno, line);
                        goto out;
                }
                samples[n++] = v;
        }
        if (ferror(f)) {
                r = -EIO;
                warn_msg("read %s: %s", path, strerror(EIO));
                goto out;
        }
        r = compute_stats(samples, n, &st);
        if (r < 0) {
                warn_msg("%s: no samples", path);
                goto out;
        }
        r = print_stats(&st);
        if (r < 0)
                warn_msg("write summary: %s", strerror(-r));
out:
        free(samples);
        (void)fclose(f);
        return r;
}

static int parse_args(int argc, char **argv, struct options *ret) {
        struct options o = {
                .runs = RUNS_DEFAULT,
                .warmup = WARMUP_DEFAULT,
                .output = OUTPUT_DEVNULL,
        };
        int c, r;

        /* '+' stops at the first non-option so CMD's own flags are left alone
         * even without "--". */
        while ((c = getopt(argc, argv, "+n:w:pR:S:h")) != -1) {
                switch (c) {
                case 'n':
                        r = parse_long(optarg, 1, RUNS_MAX, &o.runs);
                        if (r < 0) {
                                warn_msg("-n: expected an integer in 1..%ld, got '%s'", RUNS_MAX, optarg);
                                return r;
                        }
                        break;
                case 'w':
                        r = parse_long(optarg, 0, WARMUP_MAX, &o.warmup);
                        if (r < 0) {
                                warn_msg("-w: expected an integer in 0..%ld, got '%s'", WARMUP_MAX, optarg);
                                return r;
                        }
                        break;
                case 'p':
                        o.output = OUTPUT_PIPE;
                        break;
                case 'R':
                        o.raw_path = optarg;
                        break;
                case 'S':
                        o.stats_path = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_SUCCESS);
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }

        if (o.stats_path) {
                if (optind != argc) {
                        warn_msg("-S takes no command");
                        return -EINVAL;
                }
        } else {
                if (optind >= argc) {
                        warn_msg("no command given");
                        usage(stderr);
                        return -EINVAL;
                }
                o.argv = argv + optind;
        }
        *ret = o;
        return 0;
}

/* Appends one sample to the raw file. */
static int write_sample(int fd, double ms) {
        if (fd < 0)
                return 0;
        if (dprintf(fd, "%.6f\n", ms) < 0)
                return -EIO;
        return 0;
}

int main(int argc, char **argv) {
        struct options o;
        struct stats st;
        double *samples = NULL;
        int devnull = -1, rawfd = -1;
        int ret = EXIT_HARNESS;
        long total;
        int r;

        if (argc > 0 && argv[0] && argv[0][0] != '\0') {
                const char *slash = strrchr(argv[0], '/');

                program_name = slash ? slash + 1 : argv[0];
        }

        if (parse_args(argc, argv, &o) < 0)
                return EXIT_HARNESS;
        if (o.stats_path)
                return summarise_file(o.stats_path) < 0 ? EXIT_HARNESS : EXIT_SUCCESS;

        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                warn_msg("open /dev/null: %s", strerror(errno));
                goto out;
        }
        if (o.raw_path) {
                rawfd = open(o.raw_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (rawfd < 0) {
                        warn_msg("open %s: %s", o.raw_path, strerror(errno));
                        goto out;
                }
        }
        samples = calloc((size_t)o.runs, sizeof(*samples));
        if (!samples) {
                warn_msg("allocate %ld samples: %s", o.runs, strerror(ENOMEM));
                goto out;
        }

        /* Warm-up runs go first and are checked like timed ones: they fill
         * the page cache and the dynamic loader's caches so that the first
         * timed sample is not an outlier, and a failing command is caught
         * before any time is spent measuring it. */
        total = o.warmup + o.runs;
        for (long i = 0; i < total; i++) {
                bool warm = i < o.warmup;
                struct run_result res = {0};

                r = run_once(o.argv, devnull, o.output, &res);
                if (r < 0) {
                        warn_msg("run %ld: %s", i + 1, strerror(-r));
                        goto out;
                }
                if (!WIFEXITED(res.wait_status) || WEXITSTATUS(res.wait_status) != 0) {
                        char why[128];

                        describe_status(res.wait_status, why, sizeof(why));
                        if (warm)
                                warn_msg("warm-up run %ld of %ld: '%s' %s", i + 1, o.warmup, o.argv[0], why);
                        else
                                warn_msg("run %ld of %ld: '%s' %s", i - o.warmup + 1, o.runs, o.argv[0], why);
                        ret = EXIT_RUN_FAILED;
                        goto out;
                }
                if (warm)
                        continue;
                samples[i - o.warmup] = res.ms;
                r = write_sample(rawfd, res.ms);
                if (r < 0) {
                        warn_msg("write %s: %s", o.raw_path, strerror(-r));
                        goto out;
                }
        }

        r = compute_stats(samples, (size_t)o.runs, &st);
        if (r < 0)
                goto out;
        r = print_stats(&st);
        if (r < 0) {
                warn_msg("write summary: %s", strerror(-r));
                goto out;
        }
        ret = EXIT_SUCCESS;
out:
        free(samples);
        close_fd(&devnull);
        if (rawfd >= 0 && close(rawfd) < 0 && ret == EXIT_SUCCESS) {
                warn_msg("close %s: %s", o.raw_path, strerror(errno));
                ret = EXIT_HARNESS;
        }
        return ret;
}
