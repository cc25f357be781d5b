/* The network namespace: loopback only, brought up by the child. */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "jail/jail.h"

int netns_loopback_up(void) {
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}

int netns_egress_sockets(int ret[2]) {
        struct sockaddr_in dns = {
                .sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        struct sockaddr_in relay = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (u < 0)
                return -errno;
        int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (t < 0 || bind(u, (struct sockaddr *)&dns, sizeof dns) < 0 ||
            bind(t, (struct sockaddr *)&relay, sizeof relay) < 0 || listen(t, 128) < 0) {
                int e = errno;
                close(u);
                if (t >= 0)
                        close(t);
                return -e;
        }
        ret[0] = u;
        ret[1] = t;
        return 0;
}
