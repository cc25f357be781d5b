/* The languages ward runs code in: one table (see lang.h).
 *
 * A one-shot run's code is written into the sandbox's read-only
 * /run/ward, never passed through argv: argv is visible in /proc and
 * bounded by the kernel to 128 KiB per string. A session's driver is
 * written there the same way and talks to ward on WARD_CTL_FD. */
#include "exec/lang.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/limits.h"

static const unsigned char python_driver[] = {
#include "runtime-python.h"
};
static const unsigned char node_driver[] = {
#include "runtime-node.h"
};
static const unsigned char bash_driver[] = {
#include "runtime-bash.h"
};

#define CTL_FD_STR "100" /* WARD_CTL_FD */
_Static_assert(WARD_CTL_FD == 100, "CTL_FD_STR must name WARD_CTL_FD");

static const lang langs[] = {
        {
                .name = "python",
                .aliases = {{"python3", false}},
                .title = "Python 3",
                .file_name = "main.py",
                .argv_prefix = {"python3", "/run/ward/main.py"},
                .driver = {python_driver,
                           sizeof python_driver,
                           "driver.py",
                           {"python3", "-u", "/run/ward/driver.py", CTL_FD_STR}},
                .pooled = true,
        },
        {
                .name = "node",
                .aliases = {{"javascript", true}, {"js", false}},
                .title = "Node.js",
                .file_name = "main.js",
                .argv_prefix = {"node", "/run/ward/main.js"},
                .driver = {node_driver, sizeof node_driver, "driver.js", {"node", "/run/ward/driver.js", CTL_FD_STR}},
                .pooled = true,
        },
        {
                .name = "bash",
                .file_name = "main.sh",
                .argv_prefix = {"bash", "/run/ward/main.sh"},
                .driver = {bash_driver, sizeof bash_driver, "driver.sh", {"bash", "/run/ward/driver.sh", CTL_FD_STR}},
                .pooled = true,
        },
        {
                .name = "sh",
                .file_name = "main.sh",
                .argv_prefix = {"sh", "/run/ward/main.sh"},
        },
};
_Static_assert(ELEMENTSOF(langs) <= LANG_MAX, "LANG_MAX bounds the table");

const lang *lang_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(langs); i++) {
                if (strcmp(langs[i].name, name) == 0)
                        return &langs[i];
                for (size_t a = 0; a < LANG_ALIASES_MAX && langs[i].aliases[a].name; a++)
                        if (strcmp(langs[i].aliases[a].name, name) == 0)
                                return &langs[i];
        }
        return NULL;
}

const lang *lang_at(size_t i) {
        return i < ELEMENTSOF(langs) ? &langs[i] : NULL;
}

bool lang_in(const lang *l, unsigned set) {
        if ((set & (LANG_SESSION | LANG_POOLED)) && !l->driver.code)
                return false;
        return !(set & LANG_POOLED) || l->pooled;
}

const char *lang_pooled(size_t i) {
        for (size_t k = 0; k < ELEMENTSOF(langs); k++)
                if (lang_in(&langs[k], LANG_POOLED) && i-- == 0)
                        return langs[k].name;
        return NULL;
}

size_t lang_listed_names(unsigned set, const char **out, size_t max) {
        size_t n = 0;
        for (size_t i = 0; i < ELEMENTSOF(langs); i++) {
                if (!lang_in(&langs[i], set))
                        continue;
                if (n < max)
                        out[n++] = langs[i].name;
                for (size_t a = 0; a < LANG_ALIASES_MAX && langs[i].aliases[a].name; a++)
                        if (langs[i].aliases[a].listed && n < max)
                                out[n++] = langs[i].aliases[a].name;
        }
        return n;
}

bool lang_listed(const char *name, unsigned set) {
        const char *names[LANG_MAX * (LANG_ALIASES_MAX + 1)];
        size_t n = lang_listed_names(set, names, ELEMENTSOF(names));
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

void lang_words(unsigned set, lang_style style, char *out, size_t len) {
        size_t total = 0, k = 0;
        for (size_t i = 0; i < ELEMENTSOF(langs); i++)
                total += lang_in(&langs[i], set);
        size_t n = 0;
        out[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(langs) && n < len; i++) {
                const lang *l = &langs[i];
                if (!lang_in(l, set))
                        continue;
                k++;
                const char *sep = k == 1                                                  ? ""
                                  : style == LANG_WORDS_TITLES && k == total && total > 2 ? ", or "
                                  : style == LANG_WORDS_TITLES && k == total              ? " or "
                                                                                          : ", ";
                int w = snprintf(out + n, len - n, "%s%s", sep, l->name);
                for (size_t a = 0; w >= 0 && style != LANG_WORDS_NAMES && a < LANG_ALIASES_MAX && l->aliases[a].name;
                     a++) {
                        if (!l->aliases[a].listed || (size_t)w >= len - n)
                                continue;
                        w += snprintf(out + n + w, len - n - (size_t)w,
                                      style == LANG_WORDS_ALIASES ? " (%s)" : " or %s", l->aliases[a].name);
                }
                if (w >= 0 && style == LANG_WORDS_TITLES && l->title && (size_t)w < len - n)
                        w += snprintf(out + n + w, len - n - (size_t)w, " (%s)", l->title);
                if (w < 0)
                        return;
                n += (size_t)w;
        }
}

/* Every set's names, made once: messages ask for them as constants. */
static char names_of[(LANG_RUN | LANG_SESSION | LANG_POOLED) + 1][128];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_init(void) {
        for (unsigned set = 0; set < ELEMENTSOF(names_of); set++)
                lang_words(set, LANG_WORDS_NAMES, names_of[set], sizeof names_of[set]);
}

const char *lang_names_of(unsigned set) {
        (void)pthread_once(&names_once, names_init);
        return set < ELEMENTSOF(names_of) ? names_of[set] : "";
}

const char *lang_names(void) {
        return lang_names_of(LANG_RUN);
}

char **lang_argv(const lang *l, char *const *extra, size_t n_extra) {
        size_t n = 0;
        while (n < ELEMENTSOF(l->argv_prefix) && l->argv_prefix[n])
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
