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
                "                  [--pool N] [--audit FILE] [--tls-cert FILE --tls-key FILE]\n"
                "                  [--insecure-http] [--allow-host NAME]... [--max-connections N]\n"
                "                  [--header-deadline TIME] [--body-deadline TIME]\n"
                "\n"
                "Serves ward's HTTP API: one-shot runs, sessions with cells and files,\n"
                "/healthz and /metrics (see ward-serve(1) and /v1/openapi.json).\n"
                "\n"
                "  --listen ADDRESS:PORT  where to listen (default 127.0.0.1:8080); an address\n"
                "                         that is not loopback needs --config with tokens, and\n"
                "                         TLS or --insecure-http\n"
                "  --tls-cert FILE        serve HTTPS with this PEM certificate (chain)...\n"
                "  --tls-key FILE         ...and this PEM private key\n"
                "  --insecure-http        serve a non-loopback address without TLS (bearer tokens\n"
                "                         in cleartext: only behind a proxy that ends TLS)\n"
                "  --allow-host NAME[:PORT]  also answer requests for this Host (and Origin);\n"
                "                         by default only 127.0.0.1, localhost, [::1] and the\n"
                "                         listen address, with its port (421 otherwise; with\n"
                "                         --config, Host is checked only when names are given)\n"
                "  --max-connections N    client connections at once (default %u)\n"
                "  --header-deadline TIME a request's headers must be in within TIME of the\n"
                "                         connection's start or last answer (default %us)\n"
                "  --body-deadline TIME   and its body within TIME of its headers (default %us)\n"
                "  --config FILE          tenants (hashed bearer tokens, quotas) and the tier\n"
                "  --audit FILE           append one JSON line per run and per cell to FILE\n"
                "  --max-sessions N       sessions the server holds at once (default 500)\n"
                "  --max-runs N           one-shot runs at once (default 64)\n"
                "  --pool N               warm sandboxes kept ready per language\n"
                "                         (%s; default 2, 0 for none)\n"
                "\n"
                "SIGTERM or SIGINT drains and stops; SIGHUP reloads the config.\n"
                "Exit status: 0 after a clean stop, 1 when the server failed, 125 for bad usage.\n",
                WARD_API_MAX_CONNECTIONS, WARD_API_HEADER_DEADLINE_S, WARD_API_BODY_DEADLINE_S, pooled);
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

/* NAME or NAME:PORT, a DNS name or an address ([v6] in brackets): what
 * a Host header may say. */
static int parse_allow_host(const char *arg, serve_opts *o) {
        size_t n = strlen(arg);
        bool ok = n > 0 && n <= WARD_API_HOST_NAME_MAX && o->n_allow_hosts < WARD_API_ALLOW_HOSTS_MAX;
        for (size_t i = 0; ok && i < n; i++)
                ok = (arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= 'A' && arg[i] <= 'Z') ||
                     (arg[i] >= '0' && arg[i] <= '9') || strchr(".-_:[]", arg[i]);
        if (!ok) {
                cli_error("--allow-host: '%s' must be NAME or NAME:PORT (at most %u names of %u bytes)", arg,
                          WARD_API_ALLOW_HOSTS_MAX, WARD_API_HOST_NAME_MAX);
                return -EINVAL;
        }
        o->allow_hosts[o->n_allow_hosts++] = arg;
        return 0;
}

/* A deadline in whole seconds, 1 s to WARD_API_DEADLINE_MAX_S. */
static int parse_deadline(const char *flag, const char *arg, unsigned *ret) {
        uint64_t ms;
        if (parse_duration_ms(arg, &ms) < 0 || ms < 1000 || ms % 1000 || ms > WARD_API_DEADLINE_MAX_S * 1000ull) {
                cli_error("%s: '%s' must be whole seconds from 1s to %us", flag, arg, WARD_API_DEADLINE_MAX_S);
                return -EINVAL;
        }
        *ret = (unsigned)(ms / 1000);
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
                {"tls-cert", required_argument, NULL, 'C'},
                {"tls-key", required_argument, NULL, 'K'},
                {"insecure-http", no_argument, NULL, 'I'},
                {"allow-host", required_argument, NULL, 'H'},
                {"max-connections", required_argument, NULL, 'm'},
                {"header-deadline", required_argument, NULL, 'D'},
                {"body-deadline", required_argument, NULL, 'B'},
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
                case 'C':
                        o.tls_cert = optarg;
                        break;
                case 'K':
                        o.tls_key = optarg;
                        break;
                case 'I':
                        o.insecure_http = true;
                        break;
                case 'H':
                        if (parse_allow_host(optarg, &o) < 0)
                                return EXIT_WARD_FAILED;
                        break;
                case 'm':
                        if (parse_uint64(optarg, 1, WARD_API_MAX_CONNECTIONS_MAX, &v) < 0) {
                                cli_error("--max-connections: '%s' must be an integer from 1 to %u", optarg,
                                          WARD_API_MAX_CONNECTIONS_MAX);
                                return EXIT_WARD_FAILED;
                        }
                        o.max_connections = (unsigned)v;
                        break;
                case 'D':
                        if (parse_deadline("--header-deadline", optarg, &o.header_deadline_s) < 0)
                                return EXIT_WARD_FAILED;
                        break;
                case 'B':
                        if (parse_deadline("--body-deadline", optarg, &o.body_deadline_s) < 0)
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
        if (!o.tls_cert != !o.tls_key) {
                cli_error("serve: --tls-cert and --tls-key go together");
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
