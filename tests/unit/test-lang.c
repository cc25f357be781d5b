/* The language table (src/exec/lang.c): names and aliases, the sets
 * (sessions, the warm pool), the lists in words every face shows, and
 * one-shot argvs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "exec/lang.h"

static void find(void **state) {
        (void)state;
        static const char *const spellings[][2] = {
                {"python", "python"}, {"python3", "python"}, {"node", "node"}, {"javascript", "node"},
                {"js", "node"},       {"bash", "bash"},      {"sh", "sh"},
        };
        for (size_t i = 0; i < ELEMENTSOF(spellings); i++) {
                const lang *l = lang_find(spellings[i][0]);
                assert_non_null(l);
                assert_string_equal(l->name, spellings[i][1]);
        }
        assert_null(lang_find("Python"));
        assert_null(lang_find("ruby"));
        assert_null(lang_find(""));
}

static void sets(void **state) {
        (void)state;
        assert_true(lang_in(lang_find("python"), LANG_SESSION));
        assert_false(lang_in(lang_find("sh"), LANG_SESSION));
        assert_false(lang_in(lang_find("sh"), LANG_POOLED));
        assert_true(lang_in(lang_find("sh"), LANG_RUN));
        assert_string_equal(lang_pooled(0), "python");
        assert_string_equal(lang_pooled(1), "node");
        assert_string_equal(lang_pooled(2), "bash");
        assert_null(lang_pooled(3));
        /* Every pooled language has a driver, and the table fits LANG_MAX. */
        size_t n = 0;
        for (const lang *l; (l = lang_at(n)); n++)
                assert_true(!l->pooled || l->driver.code);
        assert_true(n <= LANG_MAX);
        assert_true(lang_listed("javascript", LANG_SESSION));
        assert_false(lang_listed("js", LANG_RUN));
        assert_false(lang_listed("python3", LANG_RUN));
        assert_false(lang_listed("sh", LANG_SESSION));
        const char *names[16];
        assert_int_equal(lang_listed_names(LANG_RUN, names, ELEMENTSOF(names)), 5);
        assert_string_equal(names[2], "javascript");
        assert_int_equal(lang_listed_names(LANG_RUN, names, 2), 2);
}

static void words(void **state) {
        (void)state;
        char w[256];
        assert_string_equal(lang_names(), "python, node, bash, sh");
        assert_string_equal(lang_names_of(LANG_SESSION), "python, node, bash");
        lang_words(LANG_RUN, LANG_WORDS_ALIASES, w, sizeof w);
        assert_string_equal(w, "python, node (javascript), bash, sh");
        lang_words(LANG_RUN, LANG_WORDS_TITLES, w, sizeof w);
        assert_string_equal(w, "python (Python 3), node or javascript (Node.js), bash, or sh");
        lang_words(LANG_POOLED, LANG_WORDS_TITLES, w, sizeof w);
        assert_string_equal(w, "python (Python 3), node or javascript (Node.js), or bash");
        /* Cut short, never past the buffer. */
        lang_words(LANG_RUN, LANG_WORDS_TITLES, w, 12);
        assert_true(strlen(w) < 12);
        assert_int_equal(strncmp(w, "python (Pyt", strlen(w)), 0);
}

static void argv(void **state) {
        (void)state;
        char *extra[] = {"a", "b"};
        char **v = lang_argv(lang_find("python3"), extra, 2);
        assert_non_null(v);
        assert_string_equal(v[0], "python3");
        assert_string_equal(v[1], "/run/ward/main.py");
        assert_string_equal(v[2], "a");
        assert_string_equal(v[3], "b");
        assert_null(v[4]);
        free(v);
        v = lang_argv(lang_find("sh"), NULL, 0);
        assert_string_equal(v[0], "sh");
        assert_string_equal(v[1], "/run/ward/main.sh");
        assert_null(v[2]);
        free(v);
        assert_string_equal(lang_find("node")->driver.argv[0], "node");
        assert_string_equal(lang_find("node")->driver.code_name, "driver.js");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(find),
                cmocka_unit_test(sets),
                cmocka_unit_test(words),
                cmocka_unit_test(argv),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
