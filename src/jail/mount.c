/* The sandbox's file system: a tmpfs root with read-only binds.
 *
 * Runs in the child, inside its new user and mount namespaces, before
 * pivot_root. Every host path the sandbox will see is first captured as a
 * detached mount (open_tree), so that mounting the new root over a host
 * directory cannot hide a bind source, and so that no path is resolved
 * twice. The writable places (/tmp, /home/user, /dev/shm, /output) are
 * directories of one scratch tmpfs whose size is the disk limit: they share
 * one cap. After pivot_root the old root is detached and the new root is
 * remounted read-only. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "jail/jail.h"

/* The runtime: directories bound read-only, or recreated as the same
 * symlinks where the host has symlinks (usrmerge). */
static const char *const runtime_dirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"};
/* Non-secret parts of /etc that programs need to start (Debian's
 * matplotlib will not import without its matplotlibrc, and fontconfig
 * complains on every chart without /etc/fonts). Those the host
 * lacks are left out. */
static const char *const etc_binds[] = {"/etc/ld.so.cache",     "/etc/alternatives", "/etc/ssl/certs",
                                        "/etc/ssl/openssl.cnf", "/etc/matplotlibrc", "/etc/fonts"};
static const char *const dev_nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
/* Parts of /proc a process could use to reach the host kernel's knobs. */
static const char *const proc_ro[] = {"sys", "sysrq-trigger", "irq", "bus", "fs"};

static const char etc_passwd[] = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                                 "user:x:1000:1000:user:/home/user:/bin/sh\n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char etc_group[] = "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n";
static const char etc_hosts[] = "127.0.0.1\tlocalhost ward\n::1\tlocalhost ip6-localhost ip6-loopback\n";
static const char etc_nsswitch[] = "passwd: files\ngroup: files\nhosts: files\n";
/* With the network allowlist: names go to ward's resolver inside. */
static const char etc_nsswitch_dns[] = "passwd: files\ngroup: files\nhosts: files dns\n";
static const char etc_resolv[] = "nameserver 127.0.0.1\noptions attempts:2 timeout:2\n";

typedef struct captured {
        int fd;         /* detached mount, -1 when the host lacks it */
        char link[256]; /* when the host path is a symlink: its target */
        bool is_dir;
} captured;

static int capture(const char *src, bool rw, bool follow, bool user, captured *c, ward_error *err) {
        struct stat st;
        c->fd = -1;
        c->link[0] = '\0';
        if (lstat(src, &st) < 0)
                return errno == ENOENT ? 0 : err_set(err, -errno, "mount: %s: %s", src, strerror(errno));
        if (S_ISLNK(st.st_mode) && !follow) {
                ssize_t n = readlink(src, c->link, sizeof c->link - 1);
                if (n < 0 || (size_t)n >= sizeof c->link - 1)
                        return err_set(err, n < 0 ? -errno : -ENAMETOOLONG, "mount: readlink %s", src);
                c->link[n] = '\0';
                return 0;
        }
        int fd;
        if (user) {
                /* A path the caller gave: no symlink in it is followed, so
                 * that a link an earlier sandbox planted in a directory it
                 * could write never picks what this one sees. */
                _cleanup_close_ int at = fd_open_no_symlinks(src, O_PATH, 0);
                if (at < 0)
                        return err_set(err, at, "mount: %s: %s%s", src, strerror(-at),
                                       at == -ELOOP ? " (ward follows no symlinks in bind sources)" : "");
                fd = (int)syscall(SYS_open_tree, at, "",
                                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        } else {
                fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        }
        if (fd < 0)
                return err_set(err, -errno, "mount: open_tree %s: %s", src, strerror(errno));
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (rw ? 0 : MOUNT_ATTR_RDONLY),
        };
        /* Device nodes are the one place where nodev would defeat the bind. */
        if (strncmp(src, "/dev/", 5) == 0)
                attr.attr_set &= ~(uint64_t)MOUNT_ATTR_NODEV;
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
                int e = errno;
                close(fd);
                return err_set(err, -e, "mount: mount_setattr %s: %s", src, strerror(e));
        }
        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return err_set(err, -e, "mount: %s: %s", src, strerror(e));
        }
        c->is_dir = S_ISDIR(st.st_mode);
        c->fd = fd;
        return 0;
}

/* mkdir -p below the current directory (the new root); `path` absolute. */
static int make_parents(const char *path, bool last_too) {
        char buf[WARD_PATH_MAX + 2];
        int n = snprintf(buf, sizeof buf, ".%s", path);
        if (n < 0 || (size_t)n >= sizeof buf)
                return -ENAMETOOLONG;
        for (char *p = buf + 2; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (last_too && mkdir(buf, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* Puts a captured mount (or symlink) at `target` below the new root. */
static int place(captured *c, const char *target, ward_error *err) {
        char rel[WARD_PATH_MAX + 2];
        snprintf(rel, sizeof rel, ".%s", target);
        int r;
        if (c->link[0]) {
                if ((r = make_parents(target, false)) < 0)
                        return err_set(err, r, "mount: mkdir for %s: %s", target, strerror(-r));
                if (symlink(c->link, rel) < 0 && errno != EEXIST)
                        return err_set(err, -errno, "mount: symlink %s: %s", target, strerror(errno));
                return 0;
        }
        if (c->fd < 0)
                return 0;
        if ((r = make_parents(target, c->is_dir)) < 0)
                return err_set(err, r, "mount: cannot create %s in the sandbox: %s", target, strerror(-r));
        if (!c->is_dir) {
                int fd = open(rel, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0 && errno != EEXIST && errno != EISDIR)
                        return err_set(err, -errno, "mount: cannot create %s in the sandbox: %s", target,
                                       strerror(errno));
                if (fd >= 0)
                        close(fd);
        }
        if (syscall(SYS_move_mount, c->fd, "", AT_FDCWD, rel, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return err_set(err, -errno, "mount: attach %s: %s", target, strerror(errno));
        close(c->fd);
        c->fd = -1;
        return 0;
}

static void release(captured *c, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (c[i].fd >= 0) {
                        close(c[i].fd);
                        c[i].fd = -1;
                }
}

static int write_file(const char *rel, const void *data, size_t len, mode_t mode) {
        _cleanup_close_ int fd = open(rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        return fd_write_full(fd, data, len);
}

static int bind_dir(const char *src, const char *dst, unsigned long extra) {
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | extra, NULL) < 0)
                return -errno;
        return 0;
}

static int build_etc(const mount_plan *plan, ward_error *err) {
        static const struct {
                const char *name;
                const char *data;
        } files[] = {
                {"etc/passwd", etc_passwd},
                {"etc/group", etc_group},
                {"etc/hosts", etc_hosts},
                {"etc/nsswitch.conf", etc_nsswitch},
                {"etc/hostname", WARD_SANDBOX_HOSTNAME "\n"},
        };
        bool net = plan->policy->net.mode == NET_MODE_ALLOWLIST;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                const char *data = net && files[i].data == etc_nsswitch ? etc_nsswitch_dns : files[i].data;
                int r = write_file(files[i].name, data, strlen(data), 0644);
                if (r < 0)
                        return err_set(err, r, "mount: write /%s: %s", files[i].name, strerror(-r));
        }
        if (net) {
                int r = write_file("etc/resolv.conf", etc_resolv, strlen(etc_resolv), 0644);
                if (r < 0)
                        return err_set(err, r, "mount: write /etc/resolv.conf: %s", strerror(-r));
        }
        if (plan->code) {
                char rel[128];
                snprintf(rel, sizeof rel, "run/ward/%s", plan->code_name);
                int r = write_file(rel, plan->code, plan->code_len, 0644);
                if (r < 0)
                        return err_set(err, r, "mount: write /%s: %s", rel, strerror(-r));
        }
        return 0;
}

static int build_proc(ward_error *err) {
        if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return err_set(err, -errno, "mount: /proc: %s", strerror(errno));
        for (size_t i = 0; i < ELEMENTSOF(proc_ro); i++) {
                char rel[64];
                snprintf(rel, sizeof rel, "proc/%s", proc_ro[i]);
                if (access(rel, F_OK) < 0)
                        continue;
                int r = bind_dir(rel, rel, MS_RDONLY | MS_NOEXEC);
                if (r < 0)
                        return err_set(err, r, "mount: /%s read-only: %s", rel, strerror(-r));
        }
        return 0;
}

static int build_scratch(const mount_plan *plan, int *ret_scratch, ward_error *err) {
        const policy *p = plan->policy;
        char opts[128];
        /* nr_inodes bounds the kernel memory a file flood can pin. */
        snprintf(opts, sizeof opts, "size=%llu,nr_inodes=%llu,mode=0755", (unsigned long long)p->disk,
                 (unsigned long long)(p->disk / 4096 < 4096 ? 4096
                                                            : (p->disk / 4096 > 262144 ? 262144 : p->disk / 4096)));
        if (mkdir(".scratch", 0700) < 0)
                return err_set(err, -errno, "mount: scratch dir: %s", strerror(errno));
        if (mount("tmpfs", ".scratch", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
                return err_set(err, -errno, "mount: scratch tmpfs: %s", strerror(errno));
        static const struct {
                const char *dir;
                mode_t mode;
        } dirs[] = {
                {".scratch/tmp", 01777}, {".scratch/home", 0755}, {".scratch/shm", 01777}, {".scratch/output", 0755}};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdir(dirs[i].dir, dirs[i].mode) < 0 || chmod(dirs[i].dir, dirs[i].mode) < 0)
                        return err_set(err, -errno, "mount: %s: %s", dirs[i].dir, strerror(errno));
        int r;
        if ((r = bind_dir(".scratch/tmp", "tmp", 0)) < 0 || (r = bind_dir(".scratch/shm", "dev/shm", 0)) < 0)
                return err_set(err, r, "mount: /tmp and /dev/shm: %s", strerror(-r));
        if (!p->workdir && (r = bind_dir(".scratch/home", "home/user", 0)) < 0)
                return err_set(err, r, "mount: /home/user: %s", strerror(-r));
        if ((r = bind_dir(".scratch/output", "output", 0)) < 0)
                return err_set(err, r, "mount: /output: %s", strerror(-r));
        int fd = open(".scratch", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_set(err, -errno, "mount: open scratch: %s", strerror(errno));
        if (umount2(".scratch", MNT_DETACH) < 0 || rmdir(".scratch") < 0) {
                int e = errno;
                close(fd);
                return err_set(err, -e, "mount: hide scratch: %s", strerror(e));
        }
        *ret_scratch = fd;
        return 0;
}

static int build_dev(captured *nodes, ward_error *err) {
        if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755") < 0)
                return err_set(err, -errno, "mount: /dev: %s", strerror(errno));
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                int r = place(&nodes[i], dev_nodes[i], err);
                if (r < 0)
                        return r;
        }
        static const struct {
                const char *target, *name;
        } links[] = {{"/proc/self/fd", "dev/fd"},
                     {"/proc/self/fd/0", "dev/stdin"},
                     {"/proc/self/fd/1", "dev/stdout"},
                     {"/proc/self/fd/2", "dev/stderr"}};
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlink(links[i].target, links[i].name) < 0)
                        return err_set(err, -errno, "mount: /%s: %s", links[i].name, strerror(errno));
        if (mkdir("dev/shm", 01777) < 0)
                return err_set(err, -errno, "mount: /dev/shm: %s", strerror(errno));
        return 0;
}

int mount_build_root(const mount_plan *plan, int *ret_scratch, ward_error *err) {
        const policy *p = plan->policy;
        enum { N_RT = ELEMENTSOF(runtime_dirs), N_ETC = ELEMENTSOF(etc_binds), N_DEV = ELEMENTSOF(dev_nodes) };
        captured rt[N_RT], etc[N_ETC], dev[N_DEV], user[WARD_MOUNTS_MAX], work = {.fd = -1};
        size_t n_user = 0;
        int r, scratch = -1;
        memset(rt, 0xff, sizeof rt);
        memset(etc, 0xff, sizeof etc);
        memset(dev, 0xff, sizeof dev);

        /* Nothing done here may propagate back to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return err_set(err, -errno, "mount: make / private: %s", strerror(errno));

        for (size_t i = 0; i < N_RT; i++)
                if ((r = capture(runtime_dirs[i], false, false, false, &rt[i], err)) < 0)
                        goto out;
        for (size_t i = 0; i < N_ETC; i++)
                if ((r = capture(etc_binds[i], false, true, false, &etc[i], err)) < 0)
                        goto out;
        for (size_t i = 0; i < N_DEV; i++)
                if ((r = capture(dev_nodes[i], true, true, false, &dev[i], err)) < 0)
                        goto out;
        for (; n_user < p->n_mounts; n_user++)
                if ((r = capture(p->mounts[n_user].source, p->mounts[n_user].rw, true, true, &user[n_user], err)) < 0)
                        goto out;
        if (p->workdir && (r = capture(p->workdir, true, true, true, &work, err)) < 0)
                goto out;

        /* The new root. Its size only needs to hold /etc and the code. */
        char opts[96];
        snprintf(opts, sizeof opts, "size=%zu,nr_inodes=4096,mode=0755", (size_t)(1u << 20) + plan->code_len);
        const char *base = access("/tmp", F_OK) == 0 ? "/tmp" : "/mnt";
        if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0 || chdir(base) < 0) {
                r = err_set(err, -errno, "mount: root tmpfs on %s: %s", base, strerror(errno));
                goto out;
        }
        static const char *const skeleton[] = {"etc", "proc", "dev", "tmp", "home", "home/user", "run", "run/ward"};
        for (size_t i = 0; i < ELEMENTSOF(skeleton); i++)
                if (mkdir(skeleton[i], 0755) < 0) {
                        r = err_set(err, -errno, "mount: mkdir /%s: %s", skeleton[i], strerror(errno));
                        goto out;
                }
        if (mkdir("output", 0755) < 0) {
                r = err_set(err, -errno, "mount: mkdir /output: %s", strerror(errno));
                goto out;
        }
        for (size_t i = 0; i < N_RT; i++)
                if ((r = place(&rt[i], runtime_dirs[i], err)) < 0)
                        goto out;
        for (size_t i = 0; i < N_ETC; i++)
                if ((r = place(&etc[i], etc_binds[i], err)) < 0)
                        goto out;
        if ((r = build_etc(plan, err)) < 0 || (r = build_dev(dev, err)) < 0 || (r = build_proc(err)) < 0)
                goto out;
        if (p->workdir && (r = place(&work, WARD_SANDBOX_HOME, err)) < 0)
                goto out;
        if ((r = build_scratch(plan, &scratch, err)) < 0)
                goto out;
        /* The user's binds go last: their targets may lie in /tmp or
         * /home/user, which exist only now. */
        for (size_t i = 0; i < n_user; i++)
                if ((r = place(&user[i], p->mounts[i].target, err)) < 0)
                        goto out;
        if (mount(NULL, "dev", NULL, MS_REMOUNT | MS_NOSUID | MS_NOEXEC | MS_RDONLY, "size=64k,nr_inodes=64") < 0) {
                r = err_set(err, -errno, "mount: /dev read-only: %s", strerror(errno));
                goto out;
        }

        /* pivot_root(".", ".") stacks the old root under the new one; the
         * detach then drops every host mount from this namespace. */
        if (syscall(SYS_pivot_root, ".", ".") < 0) {
                r = err_set(err, -errno, "mount: pivot_root: %s", strerror(errno));
                goto out;
        }
        if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
                r = err_set(err, -errno, "mount: detach the old root: %s", strerror(errno));
                goto out;
        }
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) {
                r = err_set(err, -errno, "mount: / read-only: %s", strerror(errno));
                goto out;
        }
        if (chdir(WARD_SANDBOX_HOME) < 0) {
                r = err_set(err, -errno, "mount: chdir %s: %s", WARD_SANDBOX_HOME, strerror(errno));
                goto out;
        }
        *ret_scratch = scratch;
        scratch = -1;
        r = 0;
out:
        release(rt, N_RT);
        release(etc, N_ETC);
        release(dev, N_DEV);
        release(user, n_user);
        release(&work, 1);
        if (scratch >= 0)
                close(scratch);
        return r;
}
