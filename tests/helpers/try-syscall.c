/*
 * try-syscall: the escape suite's probe. It makes the system calls named on
 * its command line, each in a forked child, and prints one line per call:
 *
 *     NAME OK            the call succeeded (inside ward: a hole)
 *     NAME EPERM         the call failed with that errno
 *     NAME SIG31         the child was killed by that signal
 *
 * Each call runs in its own child so that a filter that kills the caller
 * (SIGSYS) costs one line, not the rest of the run, and so that whatever a
 * successful call changed (a chroot, a new namespace, a keyring) dies with
 * the child. The arguments are chosen so that a call is harmless even when
 * it succeeds on an unconfined host run as root: settimes set the clock to
 * the value it already has, mounts target a scratch directory the probe
 * created, privileged calls that would do damage get an argument that the
 * kernel rejects only after its permission check (EINVAL or ENOENT there,
 * EPERM when the caller lacks the privilege).
 *
 * An argument of the form NAME:ARG passes ARG (a pid, a path) to the call.
 * `try-syscall list` prints the names it knows. Built statically so that it
 * runs inside a sandbox from a read-only bind of the build directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/sched.h>

/* From linux/mount.h, which clashes with glibc's sys/mount.h. */
#define W_FSCONFIG_CMD_CREATE 6
#define W_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define W_OPEN_TREE_CLONE 1
#define W_MOUNT_ATTR_RDONLY 0x00000001
#define W_MS_BIND 4096
#define W_MS_REMOUNT 32
#define W_MNT_DETACH 2
#define W_UFFD_USER_MODE_ONLY 1
#define W_X32_SYSCALL_BIT 0x40000000

struct w_mount_attr {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct w_file_handle {
        unsigned int handle_bytes;
        int handle_type;
        unsigned char f_handle[128];
};

static const char *arg;       /* the part after NAME: or NULL */
static char scratch[64] = ""; /* a scratch directory of this child */

/* A directory the call may mount on, chroot into or create nodes in. */
static const char *make_scratch(void) {
        static const char *const bases[] = {"/tmp", "/dev/shm", "."};
        for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
                snprintf(scratch, sizeof scratch, "%s/try-syscall.XXXXXX", bases[i]);
                if (mkdtemp(scratch))
                        return scratch;
        }
        scratch[0] = '\0';
        return NULL;
}

static long pid_arg(long fallback) {
        if (!arg)
                return fallback;
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || *end || v <= 0)
                return fallback;
        return v;
}

/* Each returns the raw result: >= 0 success, -1 with errno set. */

static long do_keyctl(void) {
        /* KEYCTL_GET_KEYRING_ID of the session keyring, creating it. */
        return syscall(SYS_keyctl, 0, -3, 1);
}

static long do_add_key(void) {
        return syscall(SYS_add_key, "user", "ward-probe", "x", 1, -2 /* process keyring */);
}

static long do_request_key(void) {
        return syscall(SYS_request_key, "user", "ward-probe-absent", NULL, -2);
}

static long do_bpf(void) {
        union bpf_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.map_type = BPF_MAP_TYPE_ARRAY;
        attr.key_size = 4;
        attr.value_size = 4;
        attr.max_entries = 1;
        return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
}

static long do_io_uring_setup(void) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        return syscall(SYS_io_uring_setup, 4, &p);
}

static long do_userfaultfd(void) {
        /* User-mode-only faults are allowed to unprivileged callers even when
         * vm.unprivileged_userfaultfd is 0, so only a filter stops this one. */
        return syscall(SYS_userfaultfd, O_CLOEXEC | W_UFFD_USER_MODE_ONLY);
}

static long do_perf_event_open(void) {
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.type = PERF_TYPE_SOFTWARE;
        a.size = sizeof a;
        a.config = PERF_COUNT_SW_TASK_CLOCK;
        a.disabled = 1;
        a.exclude_kernel = 1;
        a.exclude_hv = 1;
        return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

/* ARG names the file system type (default tmpfs). */
static long do_mount(void) {
        if (!make_scratch())
                return -1;
        const char *type = arg ? arg : "tmpfs";
        const char *data = NULL;
        if (strcmp(type, "tmpfs") == 0)
                data = "size=64k";
        else if (strcmp(type, "cgroup") == 0)
                data = "rdma"; /* the controller of the release_agent escape */
        long r = syscall(SYS_mount, type, scratch, type, 0, data);
        if (r == 0)
                syscall(SYS_umount2, scratch, W_MNT_DETACH);
        return r;
}

static long do_mount_bind(void) {
        if (!make_scratch())
                return -1;
        long r = syscall(SYS_mount, arg ? arg : "/", scratch, NULL, W_MS_BIND, NULL);
        if (r == 0)
                syscall(SYS_umount2, scratch, W_MNT_DETACH);
        return r;
}

static long do_remount_rw(void) {
        /* Make the mount at ARG (default: the root) writable again. */
        return syscall(SYS_mount, NULL, arg ? arg : "/", NULL, W_MS_REMOUNT | W_MS_BIND, NULL);
}

static long do_umount2(void) {
        /* Default target: the scratch directory, which is no mount point, so a
         * privileged caller gets EINVAL and an unprivileged one EPERM. */
        if (!arg && !make_scratch())
                return -1;
        return syscall(SYS_umount2, arg ? arg : scratch, W_MNT_DETACH);
}

static long do_pivot_root(void) {
        if (!make_scratch())
                return -1;
        return syscall(SYS_pivot_root, scratch, scratch);
}

static long do_chroot(void) {
        if (!make_scratch())
                return -1;
        return chroot(scratch);
}

static long do_fsopen(void) {
        return syscall(SYS_fsopen, "tmpfs", 0);
}

/* The whole new-API mount: fsopen, fsconfig, fsmount, move_mount. */
static long do_fsmount_chain(void) {
        if (!make_scratch())
                return -1;
        long fs = syscall(SYS_fsopen, "tmpfs", 0);
        if (fs < 0)
                return -1;
        if (syscall(SYS_fsconfig, fs, W_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -1;
        long mnt = syscall(SYS_fsmount, fs, 0, 0);
        if (mnt < 0)
                return -1;
        long r = syscall(SYS_move_mount, mnt, "", AT_FDCWD, scratch, W_MOVE_MOUNT_F_EMPTY_PATH);
        if (r == 0)
                syscall(SYS_umount2, scratch, W_MNT_DETACH);
        return r;
}

static long do_fsmount(void) {
        return syscall(SYS_fsmount, -1, 0, 0);
}

static long do_fspick(void) {
        return syscall(SYS_fspick, AT_FDCWD, "/", 0);
}

static long do_fsconfig(void) {
        return syscall(SYS_fsconfig, -1, W_FSCONFIG_CMD_CREATE, NULL, NULL, 0);
}

static long do_open_tree(void) {
        return syscall(SYS_open_tree, AT_FDCWD, arg ? arg : "/", W_OPEN_TREE_CLONE);
}

static long do_move_mount(void) {
        return syscall(SYS_move_mount, AT_FDCWD, "/nonexistent-ward-a", AT_FDCWD, "/nonexistent-ward-b", 0);
}

static long do_mount_setattr(void) {
        /* Clear read-only on the root: a no-op on a writable host root. */
        struct w_mount_attr a = {.attr_clr = W_MOUNT_ATTR_RDONLY};
        return syscall(SYS_mount_setattr, AT_FDCWD, arg ? arg : "/", 0, &a, sizeof a);
}

static long do_unshare_flags(int flags) {
        return syscall(SYS_unshare, flags);
}

static long do_clone_newuser(void) {
        long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
        if (r == 0)
                _exit(0);
        if (r > 0)
                waitpid((pid_t)r, NULL, 0);
        return r;
}

static long do_clone3_newuser(void) {
        struct clone_args ca;
        memset(&ca, 0, sizeof ca);
        ca.flags = CLONE_NEWUSER;
        ca.exit_signal = SIGCHLD;
        long r = syscall(SYS_clone3, &ca, sizeof ca);
        if (r == 0)
                _exit(0);
        if (r > 0)
                waitpid((pid_t)r, NULL, 0);
        return r;
}

static long do_setns(void) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/ns/%s", arg ? arg : "mnt");
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        return syscall(SYS_setns, fd, 0);
}

static long do_ptrace_traceme(void) {
        return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, NULL, NULL);
}

static long do_ptrace_seize(void) {
        /* SEIZE does not stop the tracee; the tracer's exit detaches. */
        return syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, pid_arg(getppid()), NULL, NULL);
}

static long do_process_vm_readv(void) {
        char buf[16];
        static char there[16];
        struct iovec l = {buf, sizeof buf}, r = {there, sizeof there};
        return syscall(SYS_process_vm_readv, pid_arg(1), &l, 1, &r, 1, 0);
}

static long do_kill(void) {
        /* Signal 0: only asks whether the pid can be signalled. */
        return kill((pid_t)pid_arg(1), 0);
}

static long do_init_module(void) {
        static char junk[64];
        return syscall(SYS_init_module, junk, sizeof junk, "");
}

static long do_finit_module(void) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return syscall(SYS_finit_module, fd, "", 0);
}

static long do_delete_module(void) {
        return syscall(SYS_delete_module, "ward_no_such_module", O_NONBLOCK);
}

static long do_reboot(void) {
        /* Bad magic: the kernel checks CAP_SYS_BOOT first, then the magic. */
        return syscall(SYS_reboot, 0xdeadbeef, 0, 0, NULL);
}

static long do_swapon(void) {
        return syscall(SYS_swapon, "/nonexistent-ward-swap", 0);
}

static long do_swapoff(void) {
        return syscall(SYS_swapoff, "/nonexistent-ward-swap");
}

static long do_kexec_load(void) {
        /* Flag bit 15 is not a kexec flag: EINVAL after the permission check. */
        return syscall(SYS_kexec_load, 0, 0, NULL, 0x8000UL);
}

static long do_kexec_file_load(void) {
        return syscall(SYS_kexec_file_load, -1, -1, 0, "", 0x8000UL);
}

static long do_acct(void) {
        return syscall(SYS_acct, "/nonexistent-ward-acct");
}

static long do_iopl(void) {
        return syscall(SYS_iopl, 3);
}

static long do_ioperm(void) {
        return syscall(SYS_ioperm, 0x80, 1, 1);
}

static long do_syslog(void) {
        /* SYSLOG_ACTION_SIZE_BUFFER */
        return syscall(SYS_syslog, 10, NULL, 0);
}

static long do_clock_settime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
}

static long do_settimeofday(void) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return syscall(SYS_settimeofday, &tv, NULL);
}

static long do_adjtimex(void) {
        struct timex tx;
        memset(&tx, 0, sizeof tx);
        if (syscall(SYS_adjtimex, &tx) < 0)
                return -1;
        tx.modes = ADJ_FREQUENCY; /* to the value it has */
        return syscall(SYS_adjtimex, &tx);
}

static long do_clock_adjtime(void) {
        struct timex tx;
        memset(&tx, 0, sizeof tx);
        if (syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx) < 0)
                return -1;
        tx.modes = ADJ_FREQUENCY;
        return syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
}

static long do_sethostname(void) {
        /* To the name it has: harmless wherever it succeeds. */
        char name[256] = "";
        gethostname(name, sizeof name - 1);
        return syscall(SYS_sethostname, name, strlen(name));
}

static long do_mknod_mem(void) {
        if (!make_scratch())
                return -1;
        char path[96];
        snprintf(path, sizeof path, "%s/mem", scratch);
        long r = mknod(path, S_IFCHR | 0600, makedev(1, 1));
        if (r == 0)
                unlink(path);
        return r;
}

static long do_mknod_blk(void) {
        if (!make_scratch())
                return -1;
        char path[96];
        snprintf(path, sizeof path, "%s/blk", scratch);
        long r = mknod(path, S_IFBLK | 0600, makedev(7, 0));
        if (r == 0)
                unlink(path);
        return r;
}

static long do_name_to_handle_at(void) {
        struct w_file_handle fh = {.handle_bytes = 128};
        int mount_id;
        return syscall(SYS_name_to_handle_at, AT_FDCWD, arg ? arg : "/", &fh, &mount_id, 0);
}

/* The shocker attack: a handle for inode 2 (the root of most file
 * systems) opened relative to a descriptor on the mount ARG, which inside
 * a sandbox is a bind of some host directory. */
static long do_open_by_handle_at(void) {
        const char *where = arg ? arg : "/";
        int mfd = open(where, O_RDONLY | O_CLOEXEC);
        if (mfd < 0)
                return -1;
        struct w_file_handle fh = {.handle_bytes = 8, .handle_type = 1 /* FILEID_INO32_GEN */};
        uint32_t ino = 2, gen = 0;
        memcpy(fh.f_handle, &ino, 4);
        memcpy(fh.f_handle + 4, &gen, 4);
        long fd = syscall(SYS_open_by_handle_at, mfd, &fh, O_RDONLY | O_DIRECTORY);
        if (fd >= 0)
                return fd;
        if (errno != EPERM && errno != ENOSYS) {
                /* The handle was wrong but the call was allowed: try a real one. */
                int saved = errno, mount_id;
                struct w_file_handle real = {.handle_bytes = 128};
                if (syscall(SYS_name_to_handle_at, AT_FDCWD, where, &real, &mount_id, 0) == 0)
                        return syscall(SYS_open_by_handle_at, mfd, &real, O_RDONLY);
                errno = saved;
        }
        return -1;
}

static long do_vhangup(void) {
        return syscall(SYS_vhangup);
}

static long do_quotactl(void) {
        return syscall(SYS_quotactl, 0x800007 /* Q_SYNC */, NULL, 0, NULL);
}

static long do_lookup_dcookie(void) {
        char buf[16];
        return syscall(212 /* lookup_dcookie, removed in 6.10 */, 0, buf, sizeof buf);
}

static long do_personality(void) {
        /* ADDR_NO_RANDOMIZE: turns off ASLR for what this process runs. */
        long r = syscall(SYS_personality, 0x0040000);
        if (r < 0)
                return r;
        long now = syscall(SYS_personality, 0xffffffff);
        if (!(now & 0x0040000)) {
                errno = EPERM;
                return -1;
        }
        return 0;
}

/* The 32-bit entry (int 0x80) and the x32 ABI: a filter that checks the
 * number but not the architecture lets these through. */
static long int80(long nr, long a1, long a2, long a3) {
        long ret;
        __asm__ volatile("int $0x80"
                         : "=a"(ret)
                         : "a"(nr), "b"(a1), "c"(a2), "d"(a3)
                         : "memory", "r8", "r9", "r10", "r11");
        if (ret < 0 && ret > -4096) {
                errno = (int)-ret;
                return -1;
        }
        return ret;
}

static long do_i386_keyctl(void) {
        return int80(288 /* keyctl on i386 */, 0, -3, 1);
}

static long do_i386_unshare_user(void) {
        return int80(310 /* unshare on i386 */, CLONE_NEWUSER, 0, 0);
}

static long do_i386_ptrace_traceme(void) {
        return int80(26 /* ptrace on i386 */, 0, 0, 0);
}

static long do_x32_keyctl(void) {
        return syscall(W_X32_SYSCALL_BIT | SYS_keyctl, 0, -3, 1);
}

static long do_x32_unshare_user(void) {
        return syscall(W_X32_SYSCALL_BIT | SYS_unshare, CLONE_NEWUSER);
}

/* socket:FAMILY:TYPE:PROTOCOL, numbers. */
static long do_socket(void) {
        int fam = -1, type = -1, proto = 0;
        // NOLINTNEXTLINE(cert-err34-c): a test probe; its arguments come from the test scripts
        if (!arg || sscanf(arg, "%d:%d:%d", &fam, &type, &proto) < 2) {
                errno = EINVAL;
                return -1;
        }
        return socket(fam, type | SOCK_CLOEXEC, proto);
}

static long do_socketpair(void) {
        int fam = -1, type = -1, proto = 0, sv[2];
        // NOLINTNEXTLINE(cert-err34-c): a test probe; its arguments come from the test scripts
        if (!arg || sscanf(arg, "%d:%d:%d", &fam, &type, &proto) < 2) {
                errno = EINVAL;
                return -1;
        }
        return socketpair(fam, type | SOCK_CLOEXEC, proto, sv);
}

static long do_nop(void) {
        return 0;
}

#define U(flags)                                        \
        static long do_unshare_##flags(void) {          \
                return do_unshare_flags(CLONE_##flags); \
        }
U(NEWUSER)
U(NEWNS)
U(NEWNET)
U(NEWPID)
U(NEWUTS)
U(NEWIPC)
U(NEWCGROUP)
U(NEWTIME)
#undef U

static const struct probe {
        const char *name;
        long (*fn)(void);
} probes[] = {
        {"nop", do_nop},
        {"keyctl", do_keyctl},
        {"add_key", do_add_key},
        {"request_key", do_request_key},
        {"bpf", do_bpf},
        {"io_uring_setup", do_io_uring_setup},
        {"userfaultfd", do_userfaultfd},
        {"perf_event_open", do_perf_event_open},
        {"mount", do_mount},
        {"mount_bind", do_mount_bind},
        {"remount_rw", do_remount_rw},
        {"umount2", do_umount2},
        {"pivot_root", do_pivot_root},
        {"chroot", do_chroot},
        {"fsopen", do_fsopen},
        {"fsconfig", do_fsconfig},
        {"fsmount", do_fsmount},
        {"fsmount_chain", do_fsmount_chain},
        {"fspick", do_fspick},
        {"open_tree", do_open_tree},
        {"move_mount", do_move_mount},
        {"mount_setattr", do_mount_setattr},
        {"unshare_user", do_unshare_NEWUSER},
        {"unshare_mnt", do_unshare_NEWNS},
        {"unshare_net", do_unshare_NEWNET},
        {"unshare_pid", do_unshare_NEWPID},
        {"unshare_uts", do_unshare_NEWUTS},
        {"unshare_ipc", do_unshare_NEWIPC},
        {"unshare_cgroup", do_unshare_NEWCGROUP},
        {"unshare_time", do_unshare_NEWTIME},
        {"clone_newuser", do_clone_newuser},
        {"clone3_newuser", do_clone3_newuser},
        {"setns", do_setns},
        {"ptrace_traceme", do_ptrace_traceme},
        {"ptrace_seize", do_ptrace_seize},
        {"process_vm_readv", do_process_vm_readv},
        {"kill0", do_kill},
        {"init_module", do_init_module},
        {"finit_module", do_finit_module},
        {"delete_module", do_delete_module},
        {"reboot", do_reboot},
        {"swapon", do_swapon},
        {"swapoff", do_swapoff},
        {"kexec_load", do_kexec_load},
        {"kexec_file_load", do_kexec_file_load},
        {"acct", do_acct},
        {"iopl", do_iopl},
        {"ioperm", do_ioperm},
        {"syslog", do_syslog},
        {"clock_settime", do_clock_settime},
        {"settimeofday", do_settimeofday},
        {"adjtimex", do_adjtimex},
        {"clock_adjtime", do_clock_adjtime},
        {"sethostname", do_sethostname},
        {"mknod_mem", do_mknod_mem},
        {"mknod_blk", do_mknod_blk},
        {"name_to_handle_at", do_name_to_handle_at},
        {"open_by_handle_at", do_open_by_handle_at},
        {"vhangup", do_vhangup},
        {"quotactl", do_quotactl},
        {"lookup_dcookie", do_lookup_dcookie},
        {"personality", do_personality},
        {"i386_keyctl", do_i386_keyctl},
        {"i386_unshare_user", do_i386_unshare_user},
        {"i386_ptrace_traceme", do_i386_ptrace_traceme},
        {"x32_keyctl", do_x32_keyctl},
        {"x32_unshare_user", do_x32_unshare_user},
        {"socket", do_socket},
        {"socketpair", do_socketpair},
};

static const struct probe *find_probe(const char *name, size_t len) {
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
                if (strlen(probes[i].name) == len && memcmp(probes[i].name, name, len) == 0)
                        return &probes[i];
        return NULL;
}

/* Runs one probe in a child; the child reports errno through its exit
 * status (0 = success, 255 = errno out of range). */
static int run_one(const char *spec) {
        const char *colon = strchr(spec, ':');
        size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
        const struct probe *p = find_probe(spec, len);
        if (!p) {
                printf("%s UNKNOWN\n", spec);
                return -1;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
                printf("%s FORK-%s\n", spec, strerrorname_np(errno));
                return -1;
        }
        if (pid == 0) {
                arg = colon ? colon + 1 : NULL;
                errno = 0;
                long r = p->fn();
                int e = errno;
                if (scratch[0]) {
                        rmdir(scratch);
                }
                if (r >= 0)
                        _exit(0);
                _exit(e > 0 && e < 255 ? e : 255);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0) {
                if (errno != EINTR) {
                        printf("%s WAIT-%s\n", spec, strerrorname_np(errno));
                        return -1;
                }
        }
        if (WIFSIGNALED(st)) {
                printf("%s SIG%d\n", spec, WTERMSIG(st));
        } else if (WEXITSTATUS(st) == 0) {
                printf("%s OK\n", spec);
        } else if (WEXITSTATUS(st) == 255) {
                printf("%s EUNKNOWN\n", spec);
        } else {
                const char *n = strerrorname_np(WEXITSTATUS(st));
                printf("%s %s\n", spec, n ? n : "EUNKNOWN");
        }
        fflush(stdout);
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: try-syscall NAME[:ARG]... | list\n");
                return 2;
        }
        if (strcmp(argv[1], "list") == 0) {
                for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
                        printf("%s\n", probes[i].name);
                return 0;
        }
        int bad = 0;
        for (int i = 1; i < argc; i++)
                if (run_one(argv[i]) < 0)
                        bad = 1;
        return bad ? 2 : 0;
}
