/* The interpreters ward runs code with. The code itself is written into
 * the sandbox's read-only /run/ward, never passed through argv: argv is
 * visible in /proc and bounded by the kernel to 128 KiB per string. */
#include "exec/lang.h"

#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"

static const char *const python_argv[] = {"python3", "/run/ward/main.py", NULL};
static const char *const node_argv[] = {"node", "/run/ward/main.js", NULL};
static const char *const bash_argv[] = {"bash", "/run/ward/main.sh", NULL};
static const char *const sh_argv[] = {"sh", "/run/ward/main.sh", NULL};

static const lang langs[] = {
        {"python", "main.py", python_argv},
        {"node", "main.js", node_argv},
        {"bash", "main.sh", bash_argv},
        {"sh", "main.sh", sh_argv},
};

const lang *lang_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(langs); i++)
                if (strcmp(langs[i].name, name) == 0)
                        return &langs[i];
        /* Common spellings. */
        if (strcmp(name, "python3") == 0)
                return &langs[0];
        if (strcmp(name, "javascript") == 0 || strcmp(name, "js") == 0)
                return &langs[1];
        return NULL;
}

const char *lang_names(void) {
        return "python, node, bash, sh";
}

char **lang_argv(const lang *l, char *const *extra, size_t n_extra) {
        size_t n = 0;
        while (l->argv_prefix[n])
                n++;
        char **argv = calloc(n + n_extra + 1, sizeof *argv);
        if (!argv)
                return NULL;
        for (size_t i = 0; i < n; i++)
                argv[i] = (char *)l->argv_prefix[i];
        for (size_t i = 0; i < n_extra; i++)
                argv[n + i] = extra[i];
        return argv;
}
