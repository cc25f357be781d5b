/* ward serve: the HTTP API (src/server/). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/parse.h"
#include "cli/cli.h"
#include "exec/lang.h"
#include "server/parent.h"

static void usage(FILE *f) {
        char pooled[128];
        lang_words(LANG_POOLED, LANG_WORDS_NAMES, pooled, sizeof pooled);
        fprintf(f,
                "usage: ward serve [--listen ADDRESS:PORT] [--config FILE] [--max-sessions N] [--max-runs N]\n"
                "                  [--pool N] [--audit FILE]\n"
                "\n"
                "Serves ward's HTTP API: one-shot runs, sessions with cells and files,\n"
                "/healthz and /metrics (see ward-serve(1) and /v1/openapi.json).\n"
                "\n"
                "  --listen ADDRESS:PORT  where to listen (default 127.0.0.1:8080); an address\n"
                "                         that is not loopback needs --config with tokens\n"
                "  --config FILE          tenants (hashed bearer tokens, quotas) and the tier\n"
                "  --audit FILE           append one JSON line per run and per cell to FILE\n"
                "  --max-sessions N       sessions the server holds at once (default 500)\n"
                "  --max-runs N           one-shot runs at once (default 64)\n"
                "  --pool N               warm sandboxes kept ready per language\n"
                "                         (%s; default 2, 0 for none)\n"
                "\n"
                "SIGTERM or SIGINT drains and stops; SIGHUP reloads the config.\n"
                "Exit status: 0 after a clean stop, 1 when the server failed, 125 for bad usage.\n",
                pooled);
}

int cli_parse_pool(const char *arg, unsigned *ret) {
        uint64_t v;
        if (parse_uint64(arg, 0, WARD_POOL_MAX, &v) < 0) {
                cli_error("--pool: '%s' must be an integer from 0 to %d", arg, WARD_POOL_MAX);
                return -EINVAL;
        }
        *ret = (unsigned)v;
        return 0;
}

int cmd_serve(int argc, char **argv) {
        static const struct option opts[] = {
                {"listen", required_argument, NULL, 'l'},
                {"config", required_argument, NULL, 'c'},
                {"max-sessions", required_argument, NULL, 's'},
                {"max-runs", required_argument, NULL, 'r'},
                {"pool", required_argument, NULL, 'p'},
                {"audit", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        serve_opts o = {.listen = "127.0.0.1:8080", .max_sessions = 500, .max_runs = 64, .pool = 2};
        int c;
        uint64_t v;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'l':
                        o.listen = optarg;
                        break;
                case 'c':
                        o.config_path = optarg;
                        break;
                case 'a':
                        o.audit_path = optarg;
                        break;
                case 's':
                case 'r':
                        if (parse_uint64(optarg, 1, 100000, &v) < 0) {
                                cli_error("%s: '%s' must be an integer from 1 to 100000",
                                          c == 's' ? "--max-sessions" : "--max-runs", optarg);
                                return EXIT_WARD_FAILED;
                        }
                        if (c == 's')
                                o.max_sessions = (unsigned)v;
                        else
                                o.max_runs = (unsigned)v;
                        break;
                case 'p':
                        if (cli_parse_pool(optarg, &o.pool) < 0)
                                return EXIT_WARD_FAILED;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        cli_error("serve: unknown option '%s' (see ward serve --help)", argv[optind - 1]);
                        return EXIT_WARD_FAILED;
                }
        }
        if (optind < argc) {
                cli_error("serve: unexpected argument '%s'", argv[optind]);
                return EXIT_WARD_FAILED;
        }
        ward_error err = {0};
        int r = serve_main(&o, &err);
        if (r < 0) {
                cli_error("%s", err.msg);
                return EXIT_WARD_FAILED;
        }
        return r;
}
