/* ward's entry point: the table of subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "jail/jail.h"
#include "ward-version.h"

void cli_error(const char *fmt, ...) {
        va_list ap;
        fputs("ward: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cmd_version(int argc, char **argv) {
        (void)argc;
        (void)argv;
        puts("ward " WARD_VERSION);
        return 0;
}

static const struct command {
        const char *name;
        int (*fn)(int, char **);
        const char *summary;
} commands[] = {
        {"run", cmd_run, "run one command or piece of code in a sandbox"},
        {"serve", cmd_serve, "serve the HTTP API: runs, sessions, files, metrics"},
        {"mcp", cmd_mcp, "serve the Model Context Protocol on stdio: runs, sessions, files"},
        {"doctor", cmd_doctor, "check which protections this host gives this user, and why not"},
        {"version", cmd_version, "print the version"},
};

static void usage(FILE *f) {
        fputs("usage: ward COMMAND [OPTIONS]\n\ncommands:\n", f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fputs("\n'ward COMMAND --help' describes each command.\n", f);
}

int main(int argc, char **argv) {
        /* Started with 0, 1 or 2 closed, ward's own pipes would take those
         * numbers and be mistaken for stdio: fill them with /dev/null. */
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
                        return EXIT_WARD_FAILED;
        /* The sandbox's init wipes these from its copy of our memory. */
        jail_set_process_memory(argc, argv);
        if (argc < 2) {
                usage(stderr);
                return EXIT_WARD_FAILED;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0)
                return cmd_version(argc - 1, argv + 1);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);
        cli_error("unknown command '%s' (try 'ward --help')", argv[1]);
        return EXIT_WARD_FAILED;
}
