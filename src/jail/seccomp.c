/* Loading the seccomp filter in the child.
 *
 * The BPF program was compiled at build time from seccomp-rules.c (see
 * seccomp-gen.c); loading it is one system call. It is loaded last, after
 * every other step of the confinement, so that it never has to allow
 * ward's own setup. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail/jail.h"

int seccomp_install(bool mediate_net) {
        struct sock_fprog prog = {
                .len = (unsigned short)(mediate_net ? seccomp_program_net_len : seccomp_program_len),
                .filter = (struct sock_filter *)(mediate_net ? seccomp_program_net : seccomp_program),
        };
        /* No TSYNC: the program is single-threaded here. The listener fd
         * is how denied calls reach the supervisor. no_new_privs is
         * already set (contain.c), which unprivileged filters require. */
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        return fd < 0 ? -errno : (int)fd;
}
