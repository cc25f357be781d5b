/* Fuzz target: the network allowlist's parsers, net_rule_parse(),
 * net_addr_parse() and net_host_add(), and what the verdict makes of the
 * rules they accept.
 *
 * The input is split at newlines; each line is parsed as a rule, as an
 * address and as a hosts name. Checked, from rules.h:
 *   - a refused rule leaves *ret untouched and has a one-line message that
 *     starts with "allow[INDEX]: ";
 *   - an accepted rule keeps its text as written, holds a valid lower-case
 *     name or a CIDR without host bits, and its canonical form
 *     (net_rule_format) parses back to the same rule and formats the same;
 *   - an address formats to text that parses back to the same address;
 *   - every accepted rule, put in an allow list, allows the destinations it
 *     names (a public address for a name rule), and in a deny list denies
 *     them; a wildcard never matches its bare suffix. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "net/rules.h"

/* Lines per input; more only makes each input slower. */
#define LINES_MAX 64

/* A public address for name rules, and one to fill the sentinel. */
#define PUBLIC_V4 "93.184.216.34"

static net_rules allow_rules, deny_rules;

static bool same_rule(const net_rule *a, const net_rule *b) {
        if (a->kind != b->kind || a->port != b->port)
                return false;
        if (a->kind != NET_RULE_CIDR)
                return strcmp(a->name, b->name) == 0;
        if (a->prefix != b->prefix || a->addr.family != b->addr.family)
                return false;
        size_t n = a->addr.family == AF_INET ? 4 : 16;
        return memcmp(a->addr.family == AF_INET ? (const void *)&a->addr.v4 : (const void *)&a->addr.v6,
                      b->addr.family == AF_INET ? (const void *)&b->addr.v4 : (const void *)&b->addr.v6, n) == 0;
}

static void check_message(const char *what, const char *line, int r, const ward_error *err, const char *prefix) {
        if (r >= 0)
                return;
        if (err->code != r)
                fuzz_fail("%s('%.64s') returned %d but the error says %d", what, line, r, err->code);
        if (err->msg[0] == '\0' || strchr(err->msg, '\n'))
                fuzz_fail("%s('%.64s'): message empty or not one line: '%s'", what, line, err->msg);
        if (strncmp(err->msg, prefix, strlen(prefix)) != 0)
                fuzz_fail("%s('%.64s'): message '%s' does not start with '%s'", what, line, err->msg, prefix);
}

/* What rules.h says an accepted rule holds. */
static void check_parsed(const char *line, const net_rule *rule) {
        if (strcmp(rule->text, line) != 0)
                fuzz_fail("rule '%.64s': text is '%.64s'", line, rule->text);
        switch (rule->kind) {
        case NET_RULE_NAME:
        case NET_RULE_WILDCARD:
                if (!net_name_valid(rule->name))
                        fuzz_fail("rule '%.64s': name '%s' is not valid", line, rule->name);
                for (const char *c = rule->name; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                fuzz_fail("rule '%.64s': name '%s' is not lower case", line, rule->name);
                break;
        case NET_RULE_CIDR: {
                unsigned bits = rule->addr.family == AF_INET ? 32 : rule->addr.family == AF_INET6 ? 128 : 0;
                if (bits == 0 || rule->prefix > bits)
                        fuzz_fail("rule '%.64s': family %d, prefix %u", line, rule->addr.family, rule->prefix);
                const uint8_t *b =
                        rule->addr.family == AF_INET ? (const uint8_t *)&rule->addr.v4 : rule->addr.v6.s6_addr;
                for (unsigned i = rule->prefix; i < bits; i++)
                        if (b[i / 8] & (0x80u >> (i % 8)))
                                fuzz_fail("rule '%.64s': host bit %u set", line, i);
                break;
        }
        default:
                fuzz_fail("rule '%.64s': kind %d", line, (int)rule->kind);
        }
}

static void check_rule(const char *line, size_t index) {
        net_rule rule, again;
        unsigned char sentinel[sizeof rule], after[sizeof rule];
        ward_error err = {0};
        char prefix[32], text[sizeof rule.text], text2[sizeof rule.text];

        memset(&rule, 0xa5, sizeof rule);
        memcpy(sentinel, &rule, sizeof rule);
        int r = net_rule_parse(line, "allow", index, &rule, &err);
        snprintf(prefix, sizeof prefix, "allow[%zu]: ", index);
        check_message("net_rule_parse", line, r, &err, prefix);
        if (r < 0) {
                memcpy(after, &rule, sizeof rule);
                if (memcmp(after, sentinel, sizeof rule) != 0)
                        fuzz_fail("net_rule_parse('%.64s') failed but wrote its output", line);
                return;
        }
        if (r != 0)
                fuzz_fail("net_rule_parse('%.64s') returned %d", line, r);
        check_parsed(line, &rule);

        net_rule_format(&rule, text, sizeof text);
        r = net_rule_parse(text, "deny", 0, &again, &err);
        if (r < 0)
                fuzz_fail("rule '%.64s' formats as '%s', which is refused: %s", line, text, err.msg);
        if (!same_rule(&rule, &again))
                fuzz_fail("rule '%.64s' formats as '%s', which parses as another rule", line, text);
        net_rule_format(&again, text2, sizeof text2);
        if (strcmp(text, text2) != 0)
                fuzz_fail("rule '%.64s' formats as '%s', then as '%s'", line, text, text2);

        if (allow_rules.n_allow < NET_RULES_MAX) {
                allow_rules.allow[allow_rules.n_allow++] = rule;
                deny_rules.deny[deny_rules.n_deny++] = rule;
        }
}

static void check_addr(const char *line) {
        net_addr a, b;
        char text[INET6_ADDRSTRLEN], text2[INET6_ADDRSTRLEN];
        if (net_addr_parse(line, &a) < 0)
                return;
        if (a.family != AF_INET && a.family != AF_INET6)
                fuzz_fail("address '%.64s': family %d", line, a.family);
        net_addr_format(&a, text, sizeof text);
        if (net_addr_parse(text, &b) < 0)
                fuzz_fail("address '%.64s' formats as '%s', which is refused", line, text);
        size_t n = a.family == AF_INET ? 4 : 16;
        if (b.family != a.family || memcmp(a.family == AF_INET ? (const void *)&a.v4 : (const void *)&a.v6,
                                           b.family == AF_INET ? (const void *)&b.v4 : (const void *)&b.v6, n) != 0)
                fuzz_fail("address '%.64s' formats as '%s', which parses as another address", line, text);
        net_addr_format(&b, text2, sizeof text2);
        if (strcmp(text, text2) != 0)
                fuzz_fail("address '%.64s' formats as '%s', then as '%s'", line, text, text2);
        const char *c1 = net_addr_internal(&a), *c2 = net_addr_internal(&b);
        if ((c1 == NULL) != (c2 == NULL) || (c1 && strcmp(c1, c2) != 0))
                fuzz_fail("address '%.64s' changes class when formatted", line);
}

static void check_host(const char *line) {
        static net_rules hosts;
        ward_error err = {0};
        hosts.n_hosts = 0;
        int r = net_host_add(&hosts, line, "192.0.2.1", &err);
        check_message("net_host_add", line, r, &err, "hosts: ");
        if (r == 0) {
                if (!net_name_valid(line))
                        fuzz_fail("net_host_add accepted '%.64s', not a valid name", line);
                if (hosts.n_hosts != 1 || !net_rules_host(&hosts, line))
                        fuzz_fail("net_host_add('%.64s') left no entry to find", line);
        } else if (hosts.n_hosts != 0) {
                fuzz_fail("net_host_add('%.64s') failed but added an entry", line);
        }
}

/* A destination each rule names: the name, or a name below a wildcard's
 * suffix, with a public address; a CIDR's network address without a name.
 * Returns false when there is none to build. */
static bool destination(const net_rule *rule, char *name, size_t len, const char **ret_name, net_addr *ret_addr,
                        uint16_t *ret_port) {
        *ret_port = rule->port ? rule->port : 443;
        switch (rule->kind) {
        case NET_RULE_NAME:
                snprintf(name, len, "%s", rule->name);
                *ret_name = name;
                return net_addr_parse(PUBLIC_V4, ret_addr) == 0;
        case NET_RULE_WILDCARD:
                if (strlen(rule->name) + 2 > NET_NAME_MAX)
                        return false;
                snprintf(name, len, "X.%s", rule->name);
                *ret_name = name;
                return net_addr_parse(PUBLIC_V4, ret_addr) == 0;
        case NET_RULE_CIDR:
                *ret_name = NULL;
                *ret_addr = rule->addr;
                return true;
        }
        return false;
}

static void check_verdicts(void) {
        char name[NET_NAME_MAX + 8];
        for (size_t i = 0; i < allow_rules.n_allow; i++) {
                const net_rule *rule = &allow_rules.allow[i], *decided = NULL;
                const char *dest;
                net_addr addr;
                uint16_t port;
                if (!destination(rule, name, sizeof name, &dest, &addr, &port))
                        continue;
                net_verdict v = net_rules_check(&allow_rules, dest, &addr, port, &decided);
                if (v != NET_ALLOW || !decided)
                        fuzz_fail("allow '%s': %s:%u is %s", rule->text, dest ? dest : "(address)", port,
                                  net_verdict_name(v));
                v = net_rules_check(&deny_rules, dest, &addr, port, &decided);
                if (v != NET_DENY_RULE || !decided)
                        fuzz_fail("deny '%s': %s:%u is %s", rule->text, dest ? dest : "(address)", port,
                                  net_verdict_name(v));
                if (rule->kind != NET_RULE_CIDR && !net_rules_name_allowed(&allow_rules, dest))
                        fuzz_fail("allow '%s': name '%s' is not allowed for DNS", rule->text, dest);
                /* The bare suffix of a wildcard is not below it. */
                if (rule->kind == NET_RULE_WILDCARD) {
                        net_rules_check(&allow_rules, rule->name, &addr, port, &decided);
                        if (decided == rule)
                                fuzz_fail("allow '%s' matched its own suffix", rule->text);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        allow_rules.n_allow = 0;
        deny_rules.n_deny = 0;
        char *line = buf;
        for (size_t n = 0; n < LINES_MAX && line; n++) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                check_rule(line, n);
                check_addr(line);
                check_host(line);
                line = next;
        }
        check_verdicts();
        free(buf);
        return 0;
}
