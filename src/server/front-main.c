/* ward-front: the HTTP front of ward serve as its own program.
 *
 * The parent forks and executes it, so that the front starts from a clean
 * address space: nothing of the parent's memory (the tenants' token hashes,
 * the session table) is there to read, and libmicrohttpd with its TLS
 * libraries is loaded by this program alone, not by every `ward run`.
 *
 * usage (by ward serve only): ward-front LISTEN_FD PARENT_FD */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "basic/parse.h"
#include "server/front.h"

int main(int argc, char **argv) {
        uint64_t listen_fd, parent_fd;
        if (argc != 3 || parse_uint64(argv[1], 0, 1023, &listen_fd) < 0 ||
            parse_uint64(argv[2], 0, 1023, &parent_fd) < 0) {
                fputs("ward-front: started by ward serve only (usage: ward-front LISTEN_FD PARENT_FD)\n", stderr);
                return 125;
        }
        front_opts o = {
                .listen_fd = (int)listen_fd,
                .parent_fd = (int)parent_fd,
                .max_connections = WARD_API_MAX_CONNECTIONS,
                .body_max = WARD_API_BODY_MAX,
                .file_max = WARD_API_FILE_MAX,
                .timeout_s = WARD_API_TIMEOUT_S,
        };
        /* front_main confines the process first; nothing is left for exit
         * handlers under its filter. */
        _exit(front_main(&o));
}
