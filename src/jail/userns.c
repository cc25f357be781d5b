/* User namespaces: the jail's id maps, written by the parent, and the
 * namespaces a process that confines itself (ward serve's front) moves
 * into.
 *
 * The sandbox sees one user, uid/gid 1000, mapped to the caller's own ids:
 * no other host id exists inside, and setgroups is denied so that a
 * process cannot drop a group it was denied access by. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "basic/fd.h"
#include "basic/limits.h"
#include "jail/jail.h"

int userns_write_maps(pid_t pid, uid_t outer_uid, gid_t outer_gid, ward_error *err) {
        char path[64], map[64];
        int r;
        snprintf(path, sizeof path, "/proc/%ld/setgroups", (long)pid);
        if ((r = fd_write_file(path, "deny")) < 0 && r != -ENOENT)
                return err_set(err, r, "user namespace: setgroups: %s", strerror(-r));
        snprintf(path, sizeof path, "/proc/%ld/uid_map", (long)pid);
        snprintf(map, sizeof map, "%u %u 1\n", WARD_SANDBOX_UID, (unsigned)outer_uid);
        if ((r = fd_write_file(path, map)) < 0)
                return err_set(err, r, "user namespace: uid_map: %s", strerror(-r));
        snprintf(path, sizeof path, "/proc/%ld/gid_map", (long)pid);
        snprintf(map, sizeof map, "%u %u 1\n", WARD_SANDBOX_GID, (unsigned)outer_gid);
        if ((r = fd_write_file(path, map)) < 0)
                return err_set(err, r, "user namespace: gid_map: %s", strerror(-r));
        return 0;
}

int userns_unshare_self(void) {
        /* No network but the sockets already held (a socket keeps the
         * namespace it was made in), no System V IPC or host name shared
         * with the host. Unprivileged: possible only with user namespaces. */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS) < 0)
                return -errno;
        return 0;
}
