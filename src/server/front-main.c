/* ward-front: the HTTP front of ward serve as its own program.
 *
 * The parent forks and executes it, so that the front starts from a clean
 * address space: nothing of the parent's memory (the tenants' token hashes,
 * the session table) is there to read, and libmicrohttpd with its TLS
 * libraries is loaded by this program alone, not by every `ward run`.
 *
 * usage (by ward serve only):
 *   ward-front LISTEN_FD PARENT_FD [--max-connections N]
 *              [--header-deadline S] [--body-deadline S] [--tokens]
 *              [--allow-host NAME]... [--tls-cert-fd FD --tls-key-fd FD]
 * The TLS files come as fds the parent opened: they are read here, before
 * front_main confines the process (after which no file can be opened and
 * only the two sockets are left), and closed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fd.h"
#include "basic/parse.h"
#include "server/front.h"

static int usage(void) {
        fputs("ward-front: started by ward serve only (usage: ward-front LISTEN_FD PARENT_FD [OPTION...])\n", stderr);
        return 125;
}

/* A PEM file from fd, whole, in one buffer that is never reallocated (so
 * that wiping it wipes the only copy), NUL-terminated; the fd is closed. */
static int read_pem(int fd, const char *what, char **ret, size_t *ret_len) {
        struct stat st;
        const char *why = "not a regular file of 1 byte to 1 MiB";
        char *buf = NULL;
        size_t len = 0;
        if (fstat(fd, &st) < 0)
                why = strerror(errno);
        else if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= WARD_API_TLS_FILE_MAX) {
                len = (size_t)st.st_size;
                buf = malloc(len + 1);
                if (!buf)
                        why = strerror(ENOMEM);
                else if (fd_read_full(fd, buf, len) != (ssize_t)len) {
                        why = "short read";
                        explicit_bzero(buf, len);
                        free(buf);
                        buf = NULL;
                }
        }
        close(fd);
        if (!buf) {
                fprintf(stderr, "ward serve: front: %s: %s\n", what, why);
                return -EINVAL;
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

int main(int argc, char **argv) {
        uint64_t listen_fd, parent_fd, v;
        if (argc < 3 || parse_uint64(argv[1], 0, 1023, &listen_fd) < 0 ||
            parse_uint64(argv[2], 0, 1023, &parent_fd) < 0)
                return usage();
        front_opts o = {
                .listen_fd = (int)listen_fd,
                .parent_fd = (int)parent_fd,
                .max_connections = WARD_API_MAX_CONNECTIONS,
                .body_max = WARD_API_BODY_MAX,
                .file_max = WARD_API_FILE_MAX,
                .timeout_s = WARD_API_TIMEOUT_S,
        };
        int cert_fd = -1, key_fd = -1;
        for (int i = 3; i < argc; i++) {
                const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(k, "--tokens") == 0) {
                        o.tokens = true;
                        continue;
                }
                if (!val)
                        return usage();
                i++;
                if (strcmp(k, "--allow-host") == 0 && o.n_allow_hosts < WARD_API_ALLOW_HOSTS_MAX)
                        o.allow_hosts[o.n_allow_hosts++] = val;
                else if (strcmp(k, "--max-connections") == 0 &&
                         parse_uint64(val, 1, WARD_API_MAX_CONNECTIONS_MAX, &v) == 0)
                        o.max_connections = (unsigned)v;
                else if (strcmp(k, "--header-deadline") == 0 && parse_uint64(val, 1, WARD_API_DEADLINE_MAX_S, &v) == 0)
                        o.header_deadline_s = (unsigned)v;
                else if (strcmp(k, "--body-deadline") == 0 && parse_uint64(val, 1, WARD_API_DEADLINE_MAX_S, &v) == 0)
                        o.body_deadline_s = (unsigned)v;
                else if (strcmp(k, "--tls-cert-fd") == 0 && parse_uint64(val, 0, 1023, &v) == 0)
                        cert_fd = (int)v;
                else if (strcmp(k, "--tls-key-fd") == 0 && parse_uint64(val, 0, 1023, &v) == 0)
                        key_fd = (int)v;
                else
                        return usage();
        }
        if ((cert_fd < 0) != (key_fd < 0))
                return usage();
        if (cert_fd >= 0 && (read_pem(cert_fd, "--tls-cert", &o.tls_cert, &o.tls_cert_len) < 0 ||
                             read_pem(key_fd, "--tls-key", &o.tls_key, &o.tls_key_len) < 0))
                _exit(1);
        /* front_main confines the process first; nothing is left for exit
         * handlers under its filter. */
        _exit(front_main(&o));
}
