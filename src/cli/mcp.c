/* ward mcp: the MCP server on stdio (src/mcp/), on ward serve's service.
 *
 * The policy is loaded here, before anything starts, both to fail early on
 * a bad file and to describe it to the client: the front cannot read a
 * file once confined. The client's stdin and stdout are moved out of the
 * parent's way (to fds above 10) so that only the front ever reads or
 * writes them; the parent's own fd 0 and 1 become /dev/null and stderr. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/parse.h"
#include "cli/cli.h"
#include "exec/lang.h"
#include "mcp/mcp.h"
#include "policy/policy.h"
#include "server/parent.h"

static void usage(FILE *f) {
        char pooled[128];
        lang_words(LANG_POOLED, LANG_WORDS_NAMES, pooled, sizeof pooled);
        fprintf(f,
                "usage: ward mcp [--policy FILE] [--pool N] [--audit FILE]\n"
                "\n"
                "Serves ward as a Model Context Protocol server on stdin and stdout: tools\n"
                "run_code, session_create, session_exec, session_files_write,\n"
                "session_files_read, session_files_list and session_end (see ward-mcp(1)).\n"
                "The sessions it opened end when stdin ends.\n"
                "\n"
                "  --policy FILE  the policy every run and session gets (default: ward's own)\n"
                "  --pool N       warm sandboxes kept ready per language\n"
                "                 (%s; default 0)\n"
                "  --audit FILE   append one JSON line per run and per cell to FILE\n"
                "\n"
                "Exit status: 0 after the end of stdin, 1 when the server failed, 125 for bad usage.\n",
                pooled);
}

static void size_words(uint64_t v, char *out, size_t len) {
        if (v >= (1ull << 30) && v % (1ull << 30) == 0)
                snprintf(out, len, "%llu GiB", (unsigned long long)(v >> 30));
        else if (v >= (1ull << 20))
                snprintf(out, len, "%llu MiB", (unsigned long long)(v >> 20));
        else
                snprintf(out, len, "%llu bytes", (unsigned long long)v);
}

/* The policy in one sentence, for tool descriptions. */
static void summarize(const policy *p, char *out, size_t len) {
        char mem[32], disk[32], outp[32];
        size_words(p->memory, mem, sizeof mem);
        size_words(p->disk, disk, sizeof disk);
        size_words(p->output, outp, sizeof outp);
        char net[256];
        if (p->net.mode == NET_MODE_NONE) {
                snprintf(net, sizeof net, "network: none (loopback only)");
        } else {
                int n = snprintf(net, sizeof net, "network: only");
                for (size_t i = 0; i < p->net.n_allow && n > 0 && (size_t)n < sizeof net; i++)
                        n += snprintf(net + n, sizeof net - (size_t)n, "%s %s", i ? "," : "", p->net.allow[i]);
        }
        char run_langs[256], session_langs[256];
        lang_words(LANG_RUN, LANG_WORDS_ALIASES, run_langs, sizeof run_langs);
        lang_words(LANG_SESSION, LANG_WORDS_NAMES, session_langs, sizeof session_langs);
        snprintf(out, len,
                 "languages %s (run_code) and %s (sessions); "
                 "each run: wall time %llu s, CPU time %llu s, memory %s, %llu processes, disk %s, output %s "
                 "per stream; %s; no host files.",
                 run_langs, session_langs, (unsigned long long)(p->wall_time_ms / 1000),
                 (unsigned long long)(p->cpu_time_ms / 1000), mem, (unsigned long long)p->pids, disk, outp, net);
}

int cmd_mcp(int argc, char **argv) {
        static const struct option opts[] = {
                {"policy", required_argument, NULL, 'P'},
                {"pool", required_argument, NULL, 'p'},
                {"audit", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        serve_opts o = {.max_sessions = WARD_MCP_SESSIONS_MAX, .max_runs = 64, .pool = 0};
        int c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'P':
                        o.tier_path = optarg;
                        break;
                case 'a':
                        o.audit_path = optarg;
                        break;
                case 'p':
                        if (cli_parse_pool(optarg, &o.pool) < 0)
                                return EXIT_WARD_FAILED;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        cli_error("mcp: unknown option '%s' (see ward mcp --help)", argv[optind - 1]);
                        return EXIT_WARD_FAILED;
                }
        }
        if (optind < argc) {
                cli_error("mcp: unexpected argument '%s'", argv[optind]);
                return EXIT_WARD_FAILED;
        }
        ward_error err = {0};
        policy p;
        policy_init_default(&p);
        if (o.tier_path && policy_load_file(&p, o.tier_path, &err) < 0) {
                cli_error("%s", err.msg);
                policy_free(&p);
                return EXIT_WARD_FAILED;
        }
        static char summary[WARD_MCP_SUMMARY_MAX];
        summarize(&p, summary, sizeof summary);
        policy_free(&p);

        /* The front's exit status at the client's EOF (0) is the
         * server's: serve_main() then returns 0. */
        mcp_ctx ctx = {.summary = summary};
        ctx.in_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 10);
        ctx.out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (ctx.in_fd < 0 || ctx.out_fd < 0 || null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
            dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
                cli_error("mcp: stdio: %s", strerror(errno));
                return EXIT_WARD_FAILED;
        }
        close(null_fd);
        o.front_fn = mcp_front_main;
        o.front_ctx = &ctx;
        o.name = "ward mcp";
        int r = serve_main(&o, &err);
        if (r < 0) {
                cli_error("%s", err.msg);
                return EXIT_WARD_FAILED;
        }
        return r;
}
