/* The network allowlist: parsing rules and hosts entries, classifying
 * addresses, and the verdict for one destination.
 *
 * Everything here works on fixed-size structs filled by the parsers, so a
 * verdict costs no allocation and cannot fail. The parsers are the only
 * place outside text enters: they check every byte, and say what is wrong
 * with the rule in one line that names the list and the position, because
 * a user must be able to fix a policy from the message alone. Names are
 * stored in lower case and compared with an ASCII-only case fold: the
 * locale must not change which names a rule matches. */
#include "net/rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/parse.h"

#define LABEL_MAX 63u

/* The rule text as it appears in a message: bytes that would break a
 * terminal line shown as '?', and cut (with "...") when long. */
#define SHOW_MAX 80u

static char ascii_lower(char c) {
        if (c >= 'A' && c <= 'Z')
                return (char)(c - 'A' + 'a');
        return c;
}

static bool ascii_digit(char c) {
        return c >= '0' && c <= '9';
}

static const char *show(const char *s, size_t n, char *buf, size_t len) {
        size_t o = 0;
        for (size_t i = 0; i < n && o + 4 < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (i == SHOW_MAX) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                if (c < 0x20 || c == 0x7f)
                        buf[o++] = '?';
                else
                        buf[o++] = (char)c;
        }
        buf[o] = '\0';
        return buf;
}

/* Why `s` (n bytes) is not a valid name, or NULL when it is one
 * (rules.h: letters, digits, '-', '_'; labels of 1-63 bytes that neither
 * start nor end with '-'; at most 253 bytes; no trailing dot). */
static const char *name_problem(const char *s, size_t n, char *why, size_t len) {
        if (n == 0)
                return "empty name";
        if (n > NET_NAME_MAX) {
                snprintf(why, len, "name over %u bytes", NET_NAME_MAX);
                return why;
        }
        if (s[n - 1] == '.')
                return "a trailing '.' is not allowed (names are written without it)";
        size_t start = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && s[i] != '.') {
                        char c = s[i];
                        if (c == '*')
                                return "'*' is allowed only as the whole first label";
                        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || ascii_digit(c) || c == '-' ||
                              c == '_')) {
                                if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
                                        snprintf(why, len, "byte 0x%02x is not allowed in a name", (unsigned char)c);
                                else
                                        snprintf(why, len, "'%c' is not allowed in a name (letters, digits, '-', '_')",
                                                 c);
                                return why;
                        }
                        continue;
                }
                size_t l = i - start;
                if (l == 0)
                        return "empty label";
                if (l > LABEL_MAX) {
                        snprintf(why, len, "label over %u bytes", LABEL_MAX);
                        return why;
                }
                if (s[start] == '-' || s[i - 1] == '-')
                        return "a label starts or ends with '-'";
                start = i + 1;
        }
        return NULL;
}

bool net_name_valid(const char *text) {
        char why[96];
        return text && !name_problem(text, strlen(text), why, sizeof why);
}

static const uint8_t *addr_bytes(const net_addr *a) {
        return a->family == AF_INET ? (const uint8_t *)&a->v4 : a->v6.s6_addr;
}

static unsigned addr_bits(int family) {
        return family == AF_INET ? 32 : 128;
}

static bool addr_equal(const net_addr *a, const net_addr *b) {
        return a->family == b->family && memcmp(addr_bytes(a), addr_bytes(b), addr_bits(a->family) / 8) == 0;
}

int net_addr_parse(const char *text, net_addr *ret) {
        net_addr a;
        if (!text)
                return -EINVAL;
        memset(&a, 0, sizeof a);
        if (inet_pton(AF_INET, text, &a.v4) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, text, &a.v6) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        *ret = a;
        return 0;
}

const char *net_addr_format(const net_addr *a, char *buf, size_t len) {
        char tmp[INET6_ADDRSTRLEN];
        if (len == 0)
                return buf;
        if (!a || (a->family != AF_INET && a->family != AF_INET6) ||
            !inet_ntop(a->family, addr_bytes(a), tmp, sizeof tmp))
                snprintf(tmp, sizeof tmp, "?");
        snprintf(buf, len, "%s", tmp);
        return buf;
}

/* Whether the first `bits` bits of a and b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits) {
        size_t full = bits / 8;
        unsigned rest = bits % 8;
        if (memcmp(a, b, full) != 0)
                return false;
        if (rest == 0)
                return true;
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        return ((a[full] ^ b[full]) & mask) == 0;
}

/* The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or NAT64
 * (64:ff9b::/96) IPv6 address: both reach that IPv4 host. */
static bool embedded_v4(const net_addr *a, net_addr *ret) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
        if (a->family != AF_INET6)
                return false;
        if (memcmp(a->v6.s6_addr, mapped, 12) != 0 && memcmp(a->v6.s6_addr, nat64, 12) != 0)
                return false;
        memset(ret, 0, sizeof *ret);
        ret->family = AF_INET;
        memcpy(&ret->v4, a->v6.s6_addr + 12, 4);
        return true;
}

static const char *internal_v4(uint32_t v) {
        if ((v >> 24) == 0)
                return "unspecified"; /* 0/8 */
        if ((v >> 24) == 10 || (v & 0xffc00000u) == 0x64400000u || (v & 0xfff00000u) == 0xac100000u ||
            (v >> 16) == 0xc0a8u)
                return "private"; /* 10/8, 100.64/10, 172.16/12, 192.168/16 */
        if ((v >> 24) == 127)
                return "loopback";
        if ((v >> 16) == 0xa9feu)
                return "link-local"; /* 169.254/16, cloud metadata included */
        if ((v & 0xffffff00u) == 0xc0000000u || (v & 0xfffe0000u) == 0xc6120000u)
                return "reserved"; /* 192.0.0/24, 198.18/15 */
        if (v == 0xffffffffu)
                return "broadcast";
        if ((v >> 28) == 0xe)
                return "multicast"; /* 224/4 */
        if ((v >> 28) == 0xf)
                return "reserved"; /* 240/4 */
        return NULL;
}

const char *net_addr_internal(const net_addr *a) {
        static const uint8_t any[16], loopback[16] = {[15] = 1};
        net_addr v4;
        if (!a)
                return NULL;
        if (a->family == AF_INET)
                return internal_v4(ntohl(a->v4.s_addr));
        if (a->family != AF_INET6)
                return NULL;
        const uint8_t *b = a->v6.s6_addr;
        if (memcmp(b, any, 16) == 0)
                return "unspecified";
        if (memcmp(b, loopback, 16) == 0)
                return "loopback";
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
                return "link-local"; /* fe80::/10 */
        if ((b[0] & 0xfe) == 0xfc)
                return "private"; /* fc00::/7, unique local */
        if (b[0] == 0xff)
                return "multicast";
        if (embedded_v4(a, &v4))
                return internal_v4(ntohl(v4.v4.s_addr));
        return NULL;
}

/* Reads a decimal number in [min, max] from s[0..n); -EINVAL when it is
 * not one, -ERANGE when it is out of range. */
static int parse_number(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *ret) {
        char tmp[24];
        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!ascii_digit(s[i]))
                        return -EINVAL;
        if (n >= sizeof tmp)
                return -ERANGE; /* all digits, and more than 64 bits hold */
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        return parse_uint64(tmp, min, max, ret);
}

/* Parses an address of `family` (AF_UNSPEC: either) from s[0..n). */
static int parse_addr_n(const char *s, size_t n, int family, net_addr *ret) {
        char tmp[INET6_ADDRSTRLEN + 1];
        net_addr a;
        if (n >= sizeof tmp || memchr(s, '\0', n))
                return -EINVAL;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        if (net_addr_parse(tmp, &a) < 0 || (family != AF_UNSPEC && a.family != family))
                return -EINVAL;
        *ret = a;
        return 0;
}

/* The parts of a rule as written, before their checks. */
struct rule_parts {
        const char *host; /* name, wildcard or address, without brackets */
        size_t host_len;
        const char *prefix; /* NULL: no "/prefix" */
        size_t prefix_len;
        const char *port; /* NULL: no ":port" */
        size_t port_len;
        bool bracketed; /* "[v6]" */
};

#define RULE_FAIL(...) err_set(err, -EINVAL, "%s[%zu]: '%s': " __VA_ARGS__)

/* Splits text into host, prefix and port (rules.h's grammar). Returns NULL
 * or why the text cannot be split. */
static const char *split_rule(const char *text, struct rule_parts *p) {
        size_t n = strlen(text);
        memset(p, 0, sizeof *p);
        if (text[0] == '[') {
                const char *close = strchr(text, ']');
                if (!close)
                        return "missing ']' after an IPv6 address";
                p->bracketed = true;
                p->host = text + 1;
                p->host_len = (size_t)(close - p->host);
                const char *slash = memchr(p->host, '/', p->host_len);
                const char *rest = close + 1;
                if (slash) { /* "[2001:db8::/32]:443" */
                        p->prefix = slash + 1;
                        p->prefix_len = (size_t)(close - p->prefix);
                        p->host_len = (size_t)(slash - p->host);
                } else if (*rest == '/') { /* "[2001:db8::]/32:443" */
                        p->prefix = rest + 1;
                        p->prefix_len = strcspn(p->prefix, ":");
                        rest = p->prefix + p->prefix_len;
                }
                if (*rest == ':') {
                        p->port = rest + 1;
                        p->port_len = strlen(p->port);
                } else if (*rest != '\0') {
                        return "unexpected text after ']' (a ':port' may follow)";
                }
                return NULL;
        }
        /* One colon separates the port; two or more make a bare IPv6
         * address, which takes no port (that needs the brackets). */
        const char *colon = strchr(text, ':');
        p->host = text;
        p->host_len = n;
        if (colon && !strchr(colon + 1, ':')) {
                p->host_len = (size_t)(colon - text);
                p->port = colon + 1;
                p->port_len = strlen(p->port);
        }
        const char *slash = memchr(p->host, '/', p->host_len);
        if (slash) {
                p->prefix = slash + 1;
                p->prefix_len = (size_t)(p->host + p->host_len - p->prefix);
                p->host_len = (size_t)(slash - p->host);
        }
        return NULL;
}

/* Whether the last label is all digits: "10.1.2" and "300.1.1.1" are
 * mistyped addresses, not names, and no top-level domain is numeric. */
static bool last_label_numeric(const char *s, size_t n) {
        size_t i = n;
        while (i > 0 && s[i - 1] != '.')
                i--;
        if (i == n)
                return false;
        for (size_t j = i; j < n; j++)
                if (!ascii_digit(s[j]))
                        return false;
        return true;
}

int net_rule_parse(const char *text, const char *list, size_t index, net_rule *ret, ward_error *err) {
        char shown[SHOW_MAX + 8], why[128];
        struct rule_parts p;
        net_rule rule;
        uint64_t v;
        const char *problem;
        int r;

        if (!list)
                list = "rule";
        if (!text)
                return err_set(err, -EINVAL, "%s[%zu]: empty rule", list, index);
        size_t n = strlen(text);
        show(text, n, shown, sizeof shown);
        if (n == 0)
                return RULE_FAIL("empty rule", list, index, shown);
        if (n >= sizeof rule.text)
                return RULE_FAIL("longer than %zu bytes", list, index, shown, sizeof rule.text - 1);

        memset(&rule, 0, sizeof rule);
        memcpy(rule.text, text, n + 1);

        problem = split_rule(text, &p);
        if (problem)
                return RULE_FAIL("%s", list, index, shown, problem);
        if (p.host_len == 0)
                return RULE_FAIL("no name or address%s", list, index, shown,
                                 p.port ? " before ':'" : (p.prefix ? " before '/'" : ""));

        if (p.port) {
                if (p.port_len == 0)
                        return RULE_FAIL("no port after ':'", list, index, shown);
                r = parse_number(p.port, p.port_len, 1, 65535, &v);
                if (r == -ERANGE)
                        return RULE_FAIL("port out of range (1-65535)", list, index, shown);
                if (r < 0)
                        return RULE_FAIL("'%s' is not a port number", list, index, shown,
                                         show(p.port, p.port_len, why, sizeof why));
                rule.port = (uint16_t)v;
        }

        int family = p.bracketed ? AF_INET6 : AF_UNSPEC;
        if (!p.bracketed && memchr(p.host, ':', p.host_len))
                family = AF_INET6;
        if (p.prefix || family == AF_INET6 || parse_addr_n(p.host, p.host_len, AF_INET, &rule.addr) == 0) {
                /* An address or a CIDR. */
                if (parse_addr_n(p.host, p.host_len, family, &rule.addr) < 0) {
                        return RULE_FAIL("'%s' is not an %s address", list, index, shown,
                                         show(p.host, p.host_len, why, sizeof why),
                                         family == AF_INET6 ? "IPv6" : "IPv4");
                }
                unsigned max = addr_bits(rule.addr.family);
                rule.kind = NET_RULE_CIDR;
                rule.prefix = max;
                if (p.prefix) {
                        r = parse_number(p.prefix, p.prefix_len, 0, max, &v);
                        if (r == -ERANGE)
                                return RULE_FAIL("prefix out of range (0-%u)", list, index, shown, max);
                        if (r < 0 && !p.bracketed && memchr(p.prefix, ':', p.prefix_len))
                                return RULE_FAIL("a port after an IPv6 CIDR needs brackets: [address]/prefix:port",
                                                 list, index, shown);
                        if (r < 0)
                                return RULE_FAIL("'%s' is not a prefix length", list, index, shown,
                                                 show(p.prefix, p.prefix_len, why, sizeof why));
                        rule.prefix = (unsigned)v;
                }
                net_addr net = rule.addr;
                uint8_t *b = net.family == AF_INET ? (uint8_t *)&net.v4 : net.v6.s6_addr;
                for (unsigned bit = rule.prefix; bit < max; bit++)
                        b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
                if (!addr_equal(&net, &rule.addr)) {
                        char a[INET6_ADDRSTRLEN];
                        return RULE_FAIL("the prefix has host bits set (did you mean %s/%u?)", list, index, shown,
                                         net_addr_format(&net, a, sizeof a), rule.prefix);
                }
                *ret = rule;
                return 0;
        }

        /* A name or a wildcard. */
        const char *name = p.host;
        size_t name_len = p.host_len;
        rule.kind = NET_RULE_NAME;
        if (name_len == 1 && name[0] == '*')
                return RULE_FAIL("'*' alone would allow every name; write '*.example.com'", list, index, shown);
        if (name_len >= 2 && name[0] == '*' && name[1] == '.') {
                rule.kind = NET_RULE_WILDCARD;
                name += 2;
                name_len -= 2;
                if (name_len == 0)
                        return RULE_FAIL("a wildcard needs a name after '*.'", list, index, shown);
        }
        problem = name_problem(name, name_len, why, sizeof why);
        if (problem)
                return RULE_FAIL("%s", list, index, shown, problem);
        if (last_label_numeric(name, name_len))
                return RULE_FAIL("neither an IPv4 address nor a name (its last label is all digits)", list, index,
                                 shown);
        for (size_t i = 0; i < name_len; i++)
                rule.name[i] = ascii_lower(name[i]);
        *ret = rule;
        return 0;
}

const char *net_rule_format(const net_rule *rule, char *buf, size_t len) {
        char a[INET6_ADDRSTRLEN], port[8] = "";
        if (len == 0)
                return buf;
        if (rule->port)
                snprintf(port, sizeof port, ":%u", (unsigned)rule->port);
        switch (rule->kind) {
        case NET_RULE_NAME:
                snprintf(buf, len, "%s%s", rule->name, port);
                break;
        case NET_RULE_WILDCARD:
                snprintf(buf, len, "*.%s%s", rule->name, port);
                break;
        case NET_RULE_CIDR: {
                bool v6 = rule->addr.family == AF_INET6;
                bool single = rule->prefix == addr_bits(rule->addr.family);
                net_addr_format(&rule->addr, a, sizeof a);
                if (v6 && rule->port && single)
                        snprintf(buf, len, "[%s]%s", a, port);
                else if (v6 && rule->port)
                        snprintf(buf, len, "[%s]/%u%s", a, rule->prefix, port);
                else if (single)
                        snprintf(buf, len, "%s%s", a, port);
                else
                        snprintf(buf, len, "%s/%u%s", a, rule->prefix, port);
                break;
        }
        default:
                snprintf(buf, len, "?");
                break;
        }
        return buf;
}

static bool name_equal(const char *a, const char *b) {
        for (; *a && *b; a++, b++)
                if (ascii_lower(*a) != ascii_lower(*b))
                        return false;
        return *a == *b;
}

int net_host_add(net_rules *r, const char *name, const char *addr, ward_error *err) {
        char shown[SHOW_MAX + 8], shown_addr[SHOW_MAX + 8], why[128];
        net_host h;

        if (!name)
                return err_set(err, -EINVAL, "hosts: empty name");
        size_t n = strlen(name);
        show(name, n, shown, sizeof shown);
        if (memchr(name, '*', n))
                return err_set(err, -EINVAL, "hosts: '%s': a hosts entry cannot be a wildcard", shown);
        const char *problem = name_problem(name, n, why, sizeof why);
        if (problem)
                return err_set(err, -EINVAL, "hosts: '%s': %s", shown, problem);
        memset(&h, 0, sizeof h);
        if (net_addr_parse(addr, &h.addr) < 0)
                return err_set(err, -EINVAL, "hosts: '%s': '%s' is not an IPv4 or IPv6 address", shown,
                               addr ? show(addr, strlen(addr), shown_addr, sizeof shown_addr) : "");
        if (net_rules_host(r, name))
                return err_set(err, -EEXIST, "hosts: '%s': given twice (one address per name)", shown);
        if (r->n_hosts >= NET_HOSTS_MAX)
                return err_set(err, -E2BIG, "hosts: '%s': more than %u entries", shown, NET_HOSTS_MAX);
        for (size_t i = 0; i < n; i++)
                h.name[i] = ascii_lower(name[i]);
        r->hosts[r->n_hosts++] = h;
        return 0;
}

const net_host *net_rules_host(const net_rules *r, const char *name) {
        if (!r || !name)
                return NULL;
        for (size_t i = 0; i < r->n_hosts && i < NET_HOSTS_MAX; i++)
                if (name_equal(r->hosts[i].name, name))
                        return &r->hosts[i];
        return NULL;
}

/* Whether `name` is strictly below `suffix`: "a.example.org" is below
 * "example.org", "example.org" and "xexample.org" are not. */
static bool name_below(const char *name, const char *suffix) {
        size_t n = strlen(name), s = strlen(suffix);
        if (n < s + 2 || name[n - s - 1] != '.')
                return false;
        return name_equal(name + n - s, suffix);
}

static bool cidr_covers(const net_rule *rule, const net_addr *addr) {
        net_addr v4;
        if (rule->addr.family == addr->family)
                return prefix_equal(addr_bytes(&rule->addr), addr_bytes(addr), rule->prefix);
        if (rule->addr.family == AF_INET && embedded_v4(addr, &v4))
                return prefix_equal(addr_bytes(&rule->addr), addr_bytes(&v4), rule->prefix);
        return false;
}

static bool port_matches(const net_rule *rule, uint16_t port) {
        return rule->port == 0 || rule->port == port;
}

static bool name_rule_matches(const net_rule *rule, const char *name) {
        if (!name)
                return false;
        if (rule->kind == NET_RULE_NAME)
                return name_equal(name, rule->name);
        if (rule->kind == NET_RULE_WILDCARD)
                return name_below(name, rule->name);
        return false;
}

static bool rule_matches(const net_rule *rule, const char *name, const net_addr *addr, uint16_t port) {
        if (!port_matches(rule, port))
                return false;
        if (rule->kind == NET_RULE_CIDR)
                return cidr_covers(rule, addr);
        return name_rule_matches(rule, name);
}

enum match_kinds { MATCH_ANY, MATCH_CIDR, MATCH_NAMES };

static const net_rule *first_match(const net_rule *rules, size_t n, enum match_kinds kinds, const char *name,
                                   const net_addr *addr, uint16_t port) {
        for (size_t i = 0; i < n && i < NET_RULES_MAX; i++) {
                bool cidr = rules[i].kind == NET_RULE_CIDR;
                if ((kinds == MATCH_CIDR && !cidr) || (kinds == MATCH_NAMES && cidr))
                        continue;
                if (rule_matches(&rules[i], name, addr, port))
                        return &rules[i];
        }
        return NULL;
}

net_verdict net_rules_check(const net_rules *r, const char *name, const net_addr *addr, uint16_t port,
                            const net_rule **ret_rule) {
        const net_rule *decided = NULL;
        net_verdict v = NET_DENY_NOT_ALLOWED;

        if (r && addr) {
                /* Deny rules first, of either kind: they win over any allow.
                 * Then a CIDR rule, which names the address itself, internal
                 * or not. A name rule trusts DNS, which the program or an
                 * upstream resolver may steer to any address: an internal
                 * one still needs a CIDR rule. */
                const net_rule *deny = first_match(r->deny, r->n_deny, MATCH_ANY, name, addr, port);
                const net_rule *cidr = first_match(r->allow, r->n_allow, MATCH_CIDR, name, addr, port);
                const net_rule *named = first_match(r->allow, r->n_allow, MATCH_NAMES, name, addr, port);
                if (deny) {
                        decided = deny;
                        v = NET_DENY_RULE;
                } else if (cidr) {
                        decided = cidr;
                        v = NET_ALLOW;
                } else if (named) {
                        decided = named;
                        v = net_addr_internal(addr) ? NET_DENY_INTERNAL : NET_ALLOW;
                }
        }
        if (ret_rule)
                *ret_rule = decided;
        return v;
}

bool net_rules_name_allowed(const net_rules *r, const char *name) {
        if (!r || !name)
                return false;
        for (size_t i = 0; i < r->n_allow && i < NET_RULES_MAX; i++) {
                const net_rule *a = &r->allow[i];
                if (!name_rule_matches(a, name))
                        continue;
                /* Allowed on some port unless a deny rule for the name
                 * covers every port this allow rule opens. */
                bool denied = false;
                for (size_t j = 0; j < r->n_deny && j < NET_RULES_MAX && !denied; j++) {
                        const net_rule *d = &r->deny[j];
                        denied = name_rule_matches(d, name) && (d->port == 0 || (a->port != 0 && d->port == a->port));
                }
                if (!denied)
                        return true;
        }
        return false;
}

const char *net_verdict_name(net_verdict v) {
        switch (v) {
        case NET_ALLOW:
                return "allowed";
        case NET_DENY_RULE:
                return "denied";
        case NET_DENY_NOT_ALLOWED:
                return "not_allowed";
        case NET_DENY_INTERNAL:
                return "internal";
        }
        return "unknown";
}
