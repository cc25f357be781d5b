/* ward run: one sandboxed execution, with this process as the supervisor.
 *
 * Options are applied in a fixed order whatever their order on the command
 * line: built-in defaults, then --policy FILE, then every other option. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/jsontext.h"
#include "basic/limits.h"
#include "basic/parse.h"
#include "basic/strv.h"
#include "cli/cli.h"
#include "exec/lang.h"
#include "policy/policy.h"
#include "service/audit.h"
#include "service/run.h"
#include "service/status.h"
#include "supervise/supervise.h"

/* The help, in two parts around the line of languages (exec/lang.c's
 * table says which). */
static const char help[] = "usage: ward run [OPTIONS] [--] COMMAND [ARG...]\n"
                           "       ward run [OPTIONS] --lang LANG (-c CODE | FILE | -) [ARG...]\n"
                           "\n"
                           "Runs COMMAND, or CODE in the given language, in a sandbox: new user, pid, mount, net,\n"
                           "ipc, uts and cgroup namespaces, a read-only root, seccomp, landlock, no capabilities.\n"
                           "ward's stdin reaches the program; its stdout and stderr come back on ward's.\n"
                           "\n"
                           "options (each also settable in a policy file):\n"
                           "  --policy FILE        JSON policy; the options below override it\n"
                           "  --memory SIZE        memory of the whole sandbox (cgroup)            [512M]\n"
                           "  --cpu-time DURATION  CPU time of the whole sandbox                   [10s]\n"
                           "  --wall-time DURATION wall-clock time                                 [30s]\n"
                           "  --cpu-rate CORES     CPU bandwidth of the whole sandbox (cgroup): 0.5, 2 [1]\n"
                           "  --pids N             processes and threads                           [64]\n"
                           "  --file-size SIZE     largest file it may write                       [64M]\n"
                           "  --disk SIZE          writable space: /tmp, /home/user, /dev/shm and\n"
                           "                       /output together share this one cap              [256M]\n"
                           "  --output SIZE        stdout and stderr kept, each                    [1M]\n"
                           "  --output-mode MODE   past --output: 'stop' ends the run as output_limit,\n"
                           "                       'truncate' drops the rest                       [stop]\n"
                           "  --max-violations N   denied syscalls before the run ends as violation [1000]\n"
                           "  --workdir DIR        host DIR as /home/user, read-write (outside the disk cap)\n"
                           "  --output-dir DIR     regular files left in /output are copied to DIR\n"
                           "  --ro HOST[:SANDBOX]  read-only bind of a host path\n"
                           "  --rw HOST[:SANDBOX]  read-write bind; NOT counted in the disk cap\n"
                           "                       (no host path given to ward may go through a symlink)\n"
                           "  --env NAME=VALUE     set a variable; nothing of ward's environment leaks in\n"
                           "  --net none           loopback only                                   [none]\n"
                           "  --net allow=RULE,... connections to these destinations only, through ward:\n"
                           "                       NAME[:PORT], *.DOMAIN[:PORT], IP[/PREFIX][:PORT]\n"
                           "  --net deny=RULE,...  never these (deny rules win)\n"
                           "  --add-host NAME:IP   NAME resolves to IP inside (as docker --add-host)\n";
static const char help_after_lang[] =
        "  -c CODE              the code, with --lang (else FILE, or - for stdin)\n"
        "  --json               print one JSON result document instead of the outputs\n"
        "  --audit FILE         append one JSON line per run to FILE\n"
        "  -h, --help           this help\n"
        "\n"
        "SIZE: 123, 64K, 256M, 1G. DURATION: 500ms, 5s, 2m, 1h (a plain number is seconds).\n"
        "\n"
        "exit status (without --json):\n"
        "  N        the program's own exit code\n"
        "  128+N    the program was ended by signal N (137 when ward ended it for a limit)\n"
        "  124      the wall-time or CPU-time limit ended it (as timeout(1))\n"
        "  125      ward itself failed, or the request was invalid\n"
        "  126      the command could not be executed\n"
        "  127      the command was not found in the sandbox\n"
        "With --json: 0 when the run's document was printed; 125 when the request was invalid\n"
        "(one line on stderr, no document) or ward failed (a document with status \"error\").\n"
        "\n"
        "See ward-run(1).\n";

enum {
        OPT_POLICY = 256,
        OPT_MEMORY,
        OPT_CPU_TIME,
        OPT_WALL_TIME,
        OPT_CPU_RATE,
        OPT_PIDS,
        OPT_FILE_SIZE,
        OPT_DISK,
        OPT_OUTPUT,
        OPT_OUTPUT_MODE,
        OPT_MAX_VIOLATIONS,
        OPT_WORKDIR,
        OPT_OUTPUT_DIR,
        OPT_RO,
        OPT_RW,
        OPT_ENV,
        OPT_NET,
        OPT_ADD_HOST,
        OPT_LANG,
        OPT_JSON,
        OPT_AUDIT,
};

static const struct option options[] = {
        {"policy", required_argument, NULL, OPT_POLICY},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"cpu-time", required_argument, NULL, OPT_CPU_TIME},
        {"wall-time", required_argument, NULL, OPT_WALL_TIME},
        {"cpu-rate", required_argument, NULL, OPT_CPU_RATE},
        {"pids", required_argument, NULL, OPT_PIDS},
        {"file-size", required_argument, NULL, OPT_FILE_SIZE},
        {"disk", required_argument, NULL, OPT_DISK},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"output-mode", required_argument, NULL, OPT_OUTPUT_MODE},
        {"max-violations", required_argument, NULL, OPT_MAX_VIOLATIONS},
        {"workdir", required_argument, NULL, OPT_WORKDIR},
        {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
        {"ro", required_argument, NULL, OPT_RO},
        {"rw", required_argument, NULL, OPT_RW},
        {"env", required_argument, NULL, OPT_ENV},
        {"net", required_argument, NULL, OPT_NET},
        {"add-host", required_argument, NULL, OPT_ADD_HOST},
        {"lang", required_argument, NULL, OPT_LANG},
        {"json", no_argument, NULL, OPT_JSON},
        {"audit", required_argument, NULL, OPT_AUDIT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/* Policy keys of the options that set a single value. */
static const char *option_key(int opt) {
        switch (opt) {
        case OPT_MEMORY:
                return "memory";
        case OPT_CPU_TIME:
                return "cpu_time";
        case OPT_WALL_TIME:
                return "wall_time";
        case OPT_CPU_RATE:
                return "cpu_rate";
        case OPT_PIDS:
                return "pids";
        case OPT_FILE_SIZE:
                return "file_size";
        case OPT_DISK:
                return "disk";
        case OPT_OUTPUT:
                return "output";
        case OPT_OUTPUT_MODE:
                return "output_mode";
        case OPT_MAX_VIOLATIONS:
                return "max_violations";
        case OPT_WORKDIR:
                return "workdir";
        case OPT_OUTPUT_DIR:
                return "output_dir";
        default:
                return NULL;
        }
}

static const char *option_name(int opt) {
        for (const struct option *o = options; o->name; o++)
                if (o->val == opt)
                        return o->name;
        return "?";
}

typedef struct run_args {
        const char *policy_file;
        const char *lang;
        const char *code_arg;
        bool json;
        const char *audit;
        struct {
                int opt;
                const char *value;
        } sets[256];
        size_t n_sets;
} run_args;

static int read_code(const char *path, char **ret, size_t *ret_len) {
        if (strcmp(path, "-") == 0) {
                buf b;
                buf_init(&b, WARD_CODE_MAX);
                char chunk[65536];
                for (;;) {
                        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                int e = errno;
                                buf_free(&b);
                                return -e;
                        }
                        if (n == 0)
                                break;
                        if (buf_append(&b, chunk, (size_t)n) < 0 || b.truncated) {
                                buf_free(&b);
                                return -EFBIG;
                        }
                }
                *ret_len = b.len;
                *ret = b.data ? b.data : strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        /* No symlinks followed: the file may sit in a directory an
         * earlier sandbox could write, and its content goes into this one. */
        _cleanup_close_ int fd = fd_open_no_symlinks(path, O_RDONLY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        int r = fd_require_regular(fd);
        if (r < 0)
                return r;
        return fd_read_all(fd, WARD_CODE_MAX, ret, ret_len);
}

/* Without --json: when ward ended the run (a limit, a violation, its own
 * failure), one line on stderr says why, in the service's words; when the
 * program could not be executed, why not. */
static void report_end(const result *res, const policy *p) {
        if (res->status == STATUS_OK || res->status == STATUS_EXIT || res->status == STATUS_SIGNAL) {
                if (res->exec_class)
                        for (unsigned i = 0; i < res->n_events; i++)
                                if (strcmp(res->events[i].type, "exec_failed") == 0)
                                        cli_error("%s", res->events[i].name);
                return;
        }
        status_facts f;
        char text[WARD_ERROR_MAX + 64];
        status_facts_from_result(res, p, &f);
        status_text(&f, text, sizeof text);
        cli_error("%s", text);
}

static int parse_args(int argc, char **argv, run_args *a, int *ret_optind) {
        int c;
        opterr = 0;
        optind = 1;
        /* '+': stop at the first non-option, the command. */
        while ((c = getopt_long(argc, argv, "+hc:", options, NULL)) != -1) {
                switch (c) {
                case 'h':
                        fputs(help, stdout);
                        printf("  --lang LANG          run code: %s\n", lang_names());
                        fputs(help_after_lang, stdout);
                        return 1;
                case 'c':
                        a->code_arg = optarg;
                        break;
                case OPT_POLICY:
                        a->policy_file = optarg;
                        break;
                case OPT_LANG:
                        a->lang = optarg;
                        break;
                case OPT_JSON:
                        a->json = true;
                        break;
                case OPT_AUDIT:
                        a->audit = optarg;
                        break;
                case '?':
                        if (optopt)
                                cli_error("run: option '-%c' %s", optopt,
                                          optopt == 'c' ? "needs an argument" : "is unknown");
                        else
                                cli_error("run: option '%s' is unknown or lacks its argument (see ward run --help)",
                                          argv[optind - 1]);
                        return -EINVAL;
                case ':':
                        cli_error("run: option '%s' needs an argument", argv[optind - 1]);
                        return -EINVAL;
                default:
                        if (a->n_sets >= ELEMENTSOF(a->sets)) {
                                cli_error("run: too many options");
                                return -E2BIG;
                        }
                        a->sets[a->n_sets].opt = c;
                        a->sets[a->n_sets].value = optarg;
                        a->n_sets++;
                        break;
                }
        }
        *ret_optind = optind;
        return 0;
}

static int build_policy(const run_args *a, policy *p) {
        ward_error err = {0};
        policy_init_default(p);
        if (a->policy_file && policy_load_file(p, a->policy_file, &err) < 0) {
                cli_error("%s", err.msg);
                return -EINVAL;
        }
        for (size_t i = 0; i < a->n_sets; i++) {
                int opt = a->sets[i].opt, r;
                const char *v = a->sets[i].value;
                if (opt == OPT_ENV)
                        r = policy_add_env(p, v, &err);
                else if (opt == OPT_RO || opt == OPT_RW)
                        r = policy_add_mount(p, v, opt == OPT_RW, &err);
                else if (opt == OPT_NET)
                        r = policy_set_net(p, v, &err);
                else if (opt == OPT_ADD_HOST)
                        r = policy_add_host(p, v, &err);
                else
                        r = policy_set(p, option_key(opt), v, &err);
                if (r < 0) {
                        cli_error("--%s: %s", option_name(opt), err.msg);
                        return r;
                }
        }
        return 0;
}

int cmd_run(int argc, char **argv) {
        run_args a;
        memset(&a, 0, sizeof a);
        int first;
        int r = parse_args(argc, argv, &a, &first);
        if (r != 0)
                return r > 0 ? 0 : EXIT_WARD_FAILED;

        _cleanup_(policy_free) policy p;
        if (build_policy(&a, &p) < 0)
                return EXIT_WARD_FAILED;

        size_t n_pos = (size_t)(argc - first);
        char **pos = argv + first;
        if (n_pos > WARD_ARGV_MAX) {
                cli_error("run: more than %u arguments", WARD_ARGV_MAX);
                return EXIT_WARD_FAILED;
        }
        char **run_argv = NULL;
        _cleanup_free_ char *code = NULL;
        size_t code_len = 0;
        const lang *l = NULL;
        bool stdin_is_code = false;
        if (a.lang) {
                if (!(l = lang_find(a.lang))) {
                        cli_error("--lang: '%s' is not a known language (%s)", a.lang, lang_names());
                        return EXIT_WARD_FAILED;
                }
                if (a.code_arg) {
                        size_t len = strnlen(a.code_arg, WARD_CODE_MAX + 1);
                        if (len > WARD_CODE_MAX) {
                                cli_error("-c: code larger than %u bytes", WARD_CODE_MAX);
                                return EXIT_WARD_FAILED;
                        }
                        code = strndup(a.code_arg, len);
                        code_len = len;
                } else {
                        if (n_pos == 0) {
                                cli_error("run: --lang %s needs -c CODE, a FILE, or - for stdin", a.lang);
                                return EXIT_WARD_FAILED;
                        }
                        stdin_is_code = strcmp(pos[0], "-") == 0;
                        r = read_code(pos[0], &code, &code_len);
                        if (r < 0) {
                                if (r == -EFBIG)
                                        cli_error("run: code in '%s' is larger than %u bytes", pos[0], WARD_CODE_MAX);
                                else
                                        cli_error("run: cannot read code from '%s': %s%s", pos[0],
                                                  r == -EINVAL ? "not a regular file" : strerror(-r),
                                                  r == -ELOOP ? " (ward follows no symlinks in this path)" : "");
                                return EXIT_WARD_FAILED;
                        }
                        pos++;
                        n_pos--;
                }
                if (!code) {
                        cli_error("run: out of memory");
                        return EXIT_WARD_FAILED;
                }
        } else {
                if (a.code_arg) {
                        cli_error("run: -c needs --lang");
                        return EXIT_WARD_FAILED;
                }
                if (n_pos == 0) {
                        cli_error("run: no command given (see ward run --help)");
                        return EXIT_WARD_FAILED;
                }
        }
        /* The command, or the script's arguments: copies, since the
         * sandbox's init wipes ward's own argv memory. */
        run_argv = strv_copy_n(pos, n_pos);
        if (!run_argv) {
                // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): code is freed by _cleanup_free_, which the analyzer does not model
                cli_error("run: out of memory");
                return EXIT_WARD_FAILED;
        }

        service_run_req req = {
                .policy = &p,
                .language = l ? l->name : NULL,
                .argv = run_argv,
                .argc = n_pos,
                .code = code,
                .code_len = code_len,
                .stdin_fd = stdin_is_code ? -1 : STDIN_FILENO,
                .stdout_fd = a.json ? -1 : STDOUT_FILENO,
                .stderr_fd = a.json ? -1 : STDERR_FILENO,
        };
        ward_error err = {0};
        _cleanup_close_ int audit_fd = -1;
        if (a.audit && (audit_fd = audit_open(a.audit, &err)) < 0) {
                cli_error("%s", err.msg);
                strv_free(run_argv);
                return EXIT_WARD_FAILED;
        }
        result res;
        result_init(&res, p.output);
        /* A reader that goes away must not kill the supervisor mid-run. */
        signal(SIGPIPE, SIG_IGN);
        r = service_run(&req, &res, &err);
        if (r < 0) {
                cli_error("%s", err.msg);
                result_free(&res);
                strv_free(run_argv);
                return EXIT_WARD_FAILED;
        }
        /* The document is built only when someone reads it. */
        json_t *doc = a.json || audit_fd >= 0 ? result_to_json(&res) : NULL;
        int rc = result_exit_code(&res);
        if (!doc && (a.json || audit_fd >= 0)) {
                cli_error("run: out of memory while building the result");
                rc = EXIT_WARD_FAILED;
        } else if (a.json) {
                /* The whole document in one piece, and only if it all got out:
                 * a caller must never parse half a result as a whole one. */
                _cleanup_free_ char *line = NULL;
                size_t len = 0;
                int w = json_text(doc, JSON_COMPACT, result_text_max(p.output), 1, &line, &len);
                if (w >= 0)
                        w = fd_write_full(STDOUT_FILENO, line, len);
                if (w < 0) {
                        cli_error("run: cannot write the result: %s", strerror(-w));
                        rc = EXIT_WARD_FAILED;
                } else {
                        rc = res.status == STATUS_ERROR ? EXIT_WARD_FAILED : 0;
                }
        } else {
                report_end(&res, &p);
        }
        if (audit_fd >= 0 && doc) {
                service_audit_rec rec = {
                        .doc = doc,
                        .policy = &p,
                        .code = code,
                        .code_len = code_len,
                        .argv = run_argv,
                        .max_len = result_text_max(p.output) + 4096,
                };
                if (service_audit(audit_fd, &rec, &err) < 0) {
                        cli_error("%s", err.msg);
                        rc = EXIT_WARD_FAILED;
                }
        }
        json_decref(doc);
        result_free(&res);
        strv_free(run_argv);
        fflush(stdout);
        return rc;
}
