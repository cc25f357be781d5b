/* ward doctor: which protections this host gives this caller, and for each
 * missing one, the cause and what to do.
 *
 * The probing is src/jail/probe.c; this file only renders its report, as
 * text or as one JSON document, and turns it into the exit status: 0 when
 * everything the default policy needs is there, 1 when something is not,
 * 125 when ward itself failed or the command line was wrong. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "jail/probe.h"

#define EXIT_DOCTOR_MISSING 1

static const char help[] =
        "usage: ward doctor [--json]\n"
        "\n"
        "Checks, for this host and the user running it, each protection ward run uses: it creates\n"
        "each namespace (user, pid, mount, net, ipc, uts, cgroup), loads ward's seccomp filter with\n"
        "a user-notification listener and a landlock ruleset, each in a short-lived child, and\n"
        "creates and removes a cgroup as ward run does. For each one missing it names the cause\n"
        "(a sysctl, AppArmor's user namespace restriction, a container's seccomp profile, a cgroup\n"
        "that is not delegated...) and what to do.\n"
        "\n"
        "checks: userns pidns mountns netns ipcns utsns cgroupns seccomp landlock\n"
        "        cgroup-memory cgroup-pids cgroup-cpu pidfd close_range clone3\n"
        "All are required by the default policy except close_range (ward falls back without it);\n"
        "a policy may waive landlock and cgroups with \"allow_without\".\n"
        "\n"
        "options:\n"
        "  --json      print one JSON document instead of the table:\n"
        "              {\"ok\": BOOL, \"checks\": [{\"name\", \"available\", \"required\", \"detail\",\n"
        "              \"hint\"}...], \"cgroup_version\": N, \"landlock_abi\": N, \"kernel\": \"uname -r\"}\n"
        "              (\"hint\" is null when there is nothing to do)\n"
        "  -h, --help  this help\n"
        "\n"
        "exit status:\n"
        "  0    every protection the default policy needs is available\n"
        "  1    a required protection is missing (the output says which, why, and what to do)\n"
        "  125  ward doctor itself failed, or the command line was invalid\n"
        "\n"
        "See ward-doctor(1).\n";

static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

static json_t *report_json(const probe_report *rep) {
        json_t *root = json_object();
        json_t *checks = json_array();
        if (!root || !checks) {
                json_decref(root);
                json_decref(checks);
                return NULL;
        }
        json_object_set_new(root, "ok", json_boolean(rep->ok));
        for (int i = 0; i < PROBE_N; i++) {
                const probe_check *c = &rep->checks[i];
                json_t *o = json_pack("{s:s, s:b, s:b, s:s, s:o}", "name", c->name, "available", c->available,
                                      "required", c->required, "detail", c->detail, "hint",
                                      *c->hint ? json_string(c->hint) : json_null());
                if (!o || json_array_append_new(checks, o) < 0) {
                        json_decref(checks);
                        json_decref(root);
                        return NULL;
                }
        }
        json_object_set_new(root, "checks", checks);
        json_object_set_new(root, "cgroup_version", json_integer(rep->cgroup_version));
        json_object_set_new(root, "landlock_abi", json_integer(rep->landlock_abi > 0 ? rep->landlock_abi : 0));
        json_object_set_new(root, "kernel", json_string(rep->kernel));
        return root;
}

static void print_text(const probe_report *rep) {
        printf("ward doctor: Linux %s, ", rep->kernel);
        if (rep->cgroup_version)
                printf("cgroup v%d, ", rep->cgroup_version);
        else
                fputs("no cgroup hierarchy, ", stdout);
        if (rep->landlock_abi > 0)
                printf("landlock ABI %d, ", rep->landlock_abi);
        else
                fputs("no landlock, ", stdout);
        printf("uid %u\n\n", (unsigned)geteuid());

        for (int i = 0; i < PROBE_N; i++) {
                const probe_check *c = &rep->checks[i];
                /* MISSING in capitals is what stops ward run; an optional
                 * one only says so. */
                const char *state = c->available ? "ok" : c->required ? "MISSING" : "missing";
                printf("%-8s %-14s %s%s\n", state, c->name, c->detail, c->required ? "" : " (optional)");
                if (!c->available && *c->hint)
                        printf("%-8s %-14s fix: %s\n", "", "", c->hint);
        }

        putchar('\n');
        if (rep->ok) {
                puts("All protections the default policy needs are available.");
                return;
        }
        fputs("Missing what the default policy needs:", stdout);
        for (int i = 0; i < PROBE_N; i++)
                if (rep->checks[i].required && !rep->checks[i].available)
                        printf(" %s", rep->checks[i].name);
        puts(".\nward run with the default policy fails (exit 125) until they are fixed or, for landlock and "
             "cgroups, waived with \"allow_without\" in the policy.");
}

int cmd_doctor(int argc, char **argv) {
        bool json = false;
        int c;
        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                switch (c) {
                case 'h':
                        fputs(help, stdout);
                        return 0;
                case 'j':
                        json = true;
                        break;
                default:
                        /* getopt sets optopt to the option's value for a
                         * known long option given a value, to the letter
                         * for an unknown short one, and to 0 otherwise. */
                        if (optopt == 'j' || optopt == 'h')
                                cli_error("doctor: option '%s' takes no value", argv[optind - 1]);
                        else if (optopt)
                                cli_error("doctor: option '-%c' is unknown (see ward doctor --help)", optopt);
                        else
                                cli_error("doctor: option '%s' is unknown (see ward doctor --help)", argv[optind - 1]);
                        return EXIT_WARD_FAILED;
                }
        }
        if (optind < argc) {
                cli_error("doctor: unexpected argument '%s' (see ward doctor --help)", argv[optind]);
                return EXIT_WARD_FAILED;
        }

        probe_report rep;
        int r = probe_host(&rep);
        if (r < 0) {
                cli_error("doctor: cannot probe this host: %s", strerror(-r));
                return EXIT_WARD_FAILED;
        }
        if (json) {
                json_t *doc = report_json(&rep);
                if (!doc) {
                        cli_error("doctor: out of memory");
                        return EXIT_WARD_FAILED;
                }
                int w = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                json_decref(doc);
                if (w < 0 || putchar('\n') == EOF) {
                        cli_error("doctor: cannot write the report");
                        return EXIT_WARD_FAILED;
                }
        } else {
                print_text(&rep);
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                cli_error("doctor: cannot write the report: %s", strerror(errno));
                return EXIT_WARD_FAILED;
        }
        return rep.ok ? 0 : EXIT_DOCTOR_MISSING;
}
