/*
 * suid-probe: what a setuid-root (or file-capability) program gets when it
 * is run inside a sandbox. The escape suite copies it, makes the copy
 * setuid root on the host, binds it in read-only and runs it as the
 * sandbox user. It prints, one per line:
 *
 *     ids RUID EUID SUID
 *     setuid0 OK|ERRNO
 *     caps EFFECTIVE-HEX PERMITTED-HEX
 *     read PATH OK|ERRNO        (for each PATH given, and its first line)
 *
 * A sandbox that honours the setuid bit shows EUID 0 or setuid0 OK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

int main(int argc, char **argv) {
        uid_t r, e, s;
        if (getresuid(&r, &e, &s) == 0)
                printf("ids %u %u %u\n", (unsigned)r, (unsigned)e, (unsigned)s);
        else
                printf("ids %s\n", strerrorname_np(errno));

        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2];
        memset(d, 0, sizeof d);
        if (syscall(SYS_capget, &h, d) == 0)
                printf("caps %08x%08x %08x%08x\n", d[1].effective, d[0].effective, d[1].permitted, d[0].permitted);
        else
                printf("caps %s\n", strerrorname_np(errno));

        if (setresuid(0, 0, 0) == 0)
                printf("setuid0 OK\n");
        else
                printf("setuid0 %s\n", strerrorname_np(errno));

        for (int i = 1; i < argc; i++) {
                int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        printf("read %s %s\n", argv[i], strerrorname_np(errno));
                        continue;
                }
                char buf[256];
                ssize_t n = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (n < 0) {
                        printf("read %s %s\n", argv[i], strerrorname_np(errno));
                        continue;
                }
                buf[n] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                printf("read %s OK %s\n", argv[i], buf);
        }
        return 0;
}
