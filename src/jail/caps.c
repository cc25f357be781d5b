/* Capabilities: none at all once the setup is done, and root given up.
 *
 * The sandbox's processes hold every capability of their user namespace
 * while ward builds the jail; before execve, the bounding, ambient,
 * inheritable, permitted and effective sets are all emptied, so neither
 * the program nor anything it executes can regain one. ward serve's front
 * empties the same sets on itself (caps_drop_all) and, when started as
 * root, first becomes nobody (caps_drop_root). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "jail/jail.h"

/* The bounding set emptied. Dropping one capability needs CAP_SETPCAP in
 * the current user namespace: without it (EPERM) a held capability stays,
 * which is an error unless ret_kept is given. A failed drop is checked
 * with a read, so that no single failing call passes for success: EINVAL
 * from both means the kernel has no such capability, past its last one,
 * and so are all above it; a capability that reads as not held needs no
 * drop. */
static int drop_bounding(bool *ret_kept) {
        bool kept = false;
        for (int cap = 0; cap <= 63; cap++) {
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
                        continue;
                int e = errno;
                int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (held < 0 && errno == EINVAL && e == EINVAL)
                        break;
                if (held < 0)
                        return -errno;
                if (held == 0)
                        continue;
                if (e != EPERM || !ret_kept)
                        return e == EINVAL ? -EPERM : -e;
                kept = true;
        }
        if (ret_kept)
                *ret_kept = kept;
        return 0;
}

int caps_drop_all(bool *ret_bounding_kept) {
        int r = drop_bounding(ret_bounding_kept);
        if (r < 0)
                return r;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        if (syscall(SYS_capset, &hdr, data) < 0)
                return -errno;
        /* Read back: a set that is not empty now is a failure, whatever
         * the calls above returned. */
        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        for (unsigned i = 0; i < ELEMENTSOF(data); i++)
                if (data[i].effective || data[i].permitted || data[i].inheritable)
                        return -EPERM;
        return 0;
}

int caps_drop_root(uid_t uid, gid_t gid, ward_error *err) {
        /* The bounding set goes first, while CAP_SETPCAP is still held; the
         * uid change then empties the permitted and effective sets (no
         * keepcaps). */
        int r = drop_bounding(NULL);
        if (r < 0)
                return err_set(err, r, "emptying the bounding set: %s", strerror(-r));
        /* In a user namespace whose setgroups is "deny" the call fails;
         * that is fine only when no supplementary group is held. */
        if (setgroups(0, NULL) < 0) {
                int e = errno;
                if (e != EPERM || getgroups(0, NULL) != 0)
                        return err_set(err, -e, "setgroups: %s", strerror(e));
        }
        if (setresgid(gid, gid, gid) < 0)
                return err_set(err, -errno, "setresgid %u: %s", (unsigned)gid, strerror(errno));
        if (setresuid(uid, uid, uid) < 0)
                return err_set(err, -errno, "setresuid %u: %s", (unsigned)uid, strerror(errno));
        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != uid || eu != uid || su != uid ||
            rg != gid || eg != gid || sg != gid)
                return err_set(err, -EPERM, "still holding a root id after setresuid");
        return 0;
}
