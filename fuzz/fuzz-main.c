/* The replay driver: main() for a fuzz target built without libFuzzer.
 *
 * Each argument is a file, or a directory whose regular files are taken in
 * name order; each input goes to LLVMFuzzerTestOneInput. This is how every
 * seed corpus runs as an ordinary test, so an input that once crashed a
 * parser can never crash it again unnoticed. A crash or a failed check
 * aborts the process, and the name printed last is the input to blame. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "fuzz.h"

/* Larger than any input libFuzzer makes by default (4096 bytes) and than
 * the largest policy file, so that no checked-in input is cut. */
#define REPLAY_INPUT_MAX (16u * 1024u * 1024u)

/* Each input runs twice: a target that keeps state between calls (a cache,
 * a static buffer) shows it on the second run, as it would under libFuzzer,
 * which calls the target millions of times in one process. */
#define REPLAY_RUNS 2u

static int replay_file(const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = fd_read_file(path, REPLAY_INPUT_MAX, &text, &len);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        /* fd_read_file adds a NUL past the end; the target gets an exact-size
         * copy instead, so that a sanitizer build catches a read past it. */
        _cleanup_free_ uint8_t *data = malloc(len ? len : 1);
        if (!data)
                return -ENOMEM;
        memcpy(data, text, len);
        printf("%s ... ", path);
        fflush(stdout);
        for (unsigned i = 0; i < REPLAY_RUNS; i++)
                (void)LLVMFuzzerTestOneInput(data, len);
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): data is freed by _cleanup_free_, which the analyzer does not model
        printf("ok\n");
        return 0;
}

static int skip_dot(const struct dirent *d) {
        return d->d_name[0] != '.';
}

static int replay_dir(const char *dir, unsigned *n_inputs) {
        struct dirent **names;
        int n = scandir(dir, &names, skip_dot, alphasort);
        if (n < 0) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return -errno;
        }
        int r = 0;
        for (int i = 0; i < n; i++) {
                char path[PATH_MAX];
                struct stat st;
                if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) >= sizeof path) {
                        fprintf(stderr, "%s/%s: name too long\n", dir, names[i]->d_name);
                        r = -ENAMETOOLONG;
                }
                /* Only regular files are inputs; libFuzzer also ignores
                 * subdirectories of a corpus. */
                if (r == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                        r = replay_file(path);
                        if (r == 0)
                                (*n_inputs)++;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char **argv) {
        static const uint8_t empty[1];
        unsigned n_inputs = 0;
        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
                return EXIT_FAILURE;
        }
        /* libFuzzer always tries the empty input first; so does the replay. */
        printf("(empty input) ... ");
        fflush(stdout);
        (void)LLVMFuzzerTestOneInput(empty, 0);
        printf("ok\n");
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return EXIT_FAILURE;
                }
                if (S_ISDIR(st.st_mode)) {
                        r = replay_dir(argv[i], &n_inputs);
                } else {
                        r = replay_file(argv[i]);
                        if (r == 0)
                                n_inputs++;
                }
                if (r < 0)
                        return EXIT_FAILURE;
        }
        /* An empty corpus would make the test pass while testing nothing. */
        if (n_inputs == 0) {
                fprintf(stderr, "no inputs found\n");
                return EXIT_FAILURE;
        }
        printf("%u inputs replayed, %u runs each\n", n_inputs, REPLAY_RUNS);
        return EXIT_SUCCESS;
}
