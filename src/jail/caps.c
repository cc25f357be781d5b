/* Capabilities: none at all once the setup is done.
 *
 * The sandbox's processes hold every capability of their user namespace
 * while ward builds the jail; before execve, the bounding, ambient,
 * inheritable, permitted and effective sets are all emptied, so neither
 * the program nor anything it executes can regain one. */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail/jail.h"

int caps_drop_all(void) {
        /* EINVAL means the kernel has no such capability, past its last
         * one; a capability it does have must then read as dropped, so that
         * no failure passes for that. */
        for (int cap = 0; cap <= 63; cap++) {
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
                        continue;
                if (errno != EINVAL)
                        return -errno;
                int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (held > 0)
                        return -EPERM;
                if (held < 0 && errno == EINVAL)
                        break; /* past the kernel's last capability: so are all above */
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        if (syscall(SYS_capset, &hdr, data) < 0)
                return -errno;
        return 0;
}
