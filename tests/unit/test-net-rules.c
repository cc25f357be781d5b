/* The network allowlist: rule and hosts parsing with their messages,
 * address classes, and the verdict for a destination. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/rules.h"

static net_rules *new_rules(void) {
        net_rules *r = calloc(1, sizeof *r);
        assert_non_null(r);
        return r;
}

static net_addr addr(const char *text) {
        net_addr a;
        if (net_addr_parse(text, &a) < 0)
                fail_msg("'%s' is not an address", text);
        return a;
}

static void allow(net_rules *r, const char *text) {
        ward_error err = {0};
        if (net_rule_parse(text, "allow", r->n_allow, &r->allow[r->n_allow], &err) < 0)
                fail_msg("allow '%s': %s", text, err.msg);
        r->n_allow++;
}

static void deny(net_rules *r, const char *text) {
        ward_error err = {0};
        if (net_rule_parse(text, "deny", r->n_deny, &r->deny[r->n_deny], &err) < 0)
                fail_msg("deny '%s': %s", text, err.msg);
        r->n_deny++;
}

static net_verdict check(const net_rules *r, const char *name, const char *a, uint16_t port) {
        net_addr ad = addr(a);
        return net_rules_check(r, name, &ad, port, NULL);
}

/* A name of `len` bytes made of 63-byte labels ("aaa...a.aaa..."). */
static void long_name(char *buf, size_t len) {
        for (size_t i = 0; i < len; i++)
                buf[i] = (i % 64 == 63) ? '.' : 'a';
        buf[len] = '\0';
}

static void expect_rule_error(const char *rule_text, const char *list, size_t index, const char *want) {
        net_rule rule;
        ward_error err = {0};
        memset(&rule, 0x5a, sizeof rule);
        net_rule before = rule;
        assert_int_equal(net_rule_parse(rule_text, list, index, &rule, &err), -EINVAL);
        assert_int_equal(err.code, -EINVAL);
        if (strcmp(err.msg, want) != 0)
                fail_msg("'%s': got \"%s\", want \"%s\"", rule_text, err.msg, want);
        assert_memory_equal(&rule, &before, sizeof rule); /* untouched on failure */
}

static void bad_rules(void **state) {
        (void)state;
        char bad[300], want[320];

        expect_rule_error("*.", "allow", 2, "allow[2]: '*.': a wildcard needs a name after '*.'");
        expect_rule_error("a..b", "allow", 0, "allow[0]: 'a..b': empty label");
        expect_rule_error("x.com:70000", "deny", 1, "deny[1]: 'x.com:70000': port out of range (1-65535)");
        expect_rule_error("10.1.2.3/24", "allow", 3,
                          "allow[3]: '10.1.2.3/24': the prefix has host bits set (did you mean 10.1.2.0/24?)");
        expect_rule_error("a.*.com", "allow", 0, "allow[0]: 'a.*.com': '*' is allowed only as the whole first label");
        expect_rule_error("*", "allow", 0, "allow[0]: '*': '*' alone would allow every name; write '*.example.com'");
        expect_rule_error("", "allow", 4, "allow[4]: '': empty rule");
        expect_rule_error("**.com", "allow", 0, "allow[0]: '**.com': '*' is allowed only as the whole first label");
        expect_rule_error("*x.com", "allow", 0, "allow[0]: '*x.com': '*' is allowed only as the whole first label");
        expect_rule_error("*.*.com", "allow", 0, "allow[0]: '*.*.com': '*' is allowed only as the whole first label");
        expect_rule_error(".a.com", "allow", 0, "allow[0]: '.a.com': empty label");
        expect_rule_error("*.a..b", "allow", 0, "allow[0]: '*.a..b': empty label");
        expect_rule_error("example.com.", "allow", 0,
                          "allow[0]: 'example.com.': a trailing '.' is not allowed (names are written without it)");
        expect_rule_error("-a.com", "allow", 0, "allow[0]: '-a.com': a label starts or ends with '-'");
        expect_rule_error("a-.com", "allow", 0, "allow[0]: 'a-.com': a label starts or ends with '-'");
        expect_rule_error("a b.com", "allow", 0,
                          "allow[0]: 'a b.com': ' ' is not allowed in a name (letters, digits, '-', '_')");
        expect_rule_error("a\tb.com", "allow", 0, "allow[0]: 'a?b.com': byte 0x09 is not allowed in a name");
        expect_rule_error("x.com:0", "deny", 0, "deny[0]: 'x.com:0': port out of range (1-65535)");
        expect_rule_error("x.com:99999999999999999999999", "allow", 0,
                          "allow[0]: 'x.com:99999999999999999999999': port out of range (1-65535)");
        expect_rule_error("x.com:", "allow", 0, "allow[0]: 'x.com:': no port after ':'");
        expect_rule_error("x.com:http", "allow", 0, "allow[0]: 'x.com:http': 'http' is not a port number");
        expect_rule_error("x.com:+80", "allow", 0, "allow[0]: 'x.com:+80': '+80' is not a port number");
        expect_rule_error(":443", "allow", 0, "allow[0]: ':443': no name or address before ':'");
        expect_rule_error("/8", "allow", 0, "allow[0]: '/8': no name or address before '/'");
        expect_rule_error("10.0.0.0/33", "allow", 0, "allow[0]: '10.0.0.0/33': prefix out of range (0-32)");
        expect_rule_error("10.0.0.0/", "allow", 0, "allow[0]: '10.0.0.0/': '' is not a prefix length");
        expect_rule_error("10.0.0.0/x", "allow", 0, "allow[0]: '10.0.0.0/x': 'x' is not a prefix length");
        expect_rule_error("2001:db8::/129", "allow", 0, "allow[0]: '2001:db8::/129': prefix out of range (0-128)");
        expect_rule_error("2001:db8::1/32", "allow", 0,
                          "allow[0]: '2001:db8::1/32': the prefix has host bits set (did you mean 2001:db8::/32?)");
        expect_rule_error("2001:db8::/32:443", "allow", 0,
                          "allow[0]: '2001:db8::/32:443': a port after an IPv6 CIDR needs brackets: "
                          "[address]/prefix:port");
        expect_rule_error("a.com/24", "allow", 0, "allow[0]: 'a.com/24': 'a.com' is not an IPv4 address");
        expect_rule_error("10.1.2/24", "allow", 0, "allow[0]: '10.1.2/24': '10.1.2' is not an IPv4 address");
        expect_rule_error("10.1.2", "allow", 0,
                          "allow[0]: '10.1.2': neither an IPv4 address nor a name (its last label is all digits)");
        expect_rule_error("300.1.1.1:80", "allow", 0,
                          "allow[0]: '300.1.1.1:80': neither an IPv4 address nor a name (its last label is all "
                          "digits)");
        expect_rule_error("[::1", "allow", 0, "allow[0]: '[::1': missing ']' after an IPv6 address");
        expect_rule_error("[::1]x", "allow", 0, "allow[0]: '[::1]x': unexpected text after ']' (a ':port' may follow)");
        expect_rule_error("[10.0.0.1]:80", "allow", 0, "allow[0]: '[10.0.0.1]:80': '10.0.0.1' is not an IPv6 address");
        expect_rule_error("[]:80", "allow", 0, "allow[0]: '[]:80': no name or address before ':'");
        expect_rule_error("1:2:3:4:5:6:7:8:9", "allow", 0,
                          "allow[0]: '1:2:3:4:5:6:7:8:9': '1:2:3:4:5:6:7:8:9' is not an IPv6 address");
        expect_rule_error("fe80::1%eth0", "allow", 0,
                          "allow[0]: 'fe80::1%eth0': 'fe80::1%eth0' is not an IPv6 address");

        /* A label of 64 bytes, a name of 254: one over each limit. */
        memset(bad, 'a', 64);
        snprintf(bad + 64, sizeof bad - 64, ".com");
        snprintf(want, sizeof want, "allow[0]: '%s': label over 63 bytes", bad);
        expect_rule_error(bad, "allow", 0, want);
        long_name(bad, 254);
        snprintf(want, sizeof want, "allow[0]: '%.80s...': name over 253 bytes", bad);
        expect_rule_error(bad, "allow", 0, want);

        /* Longer than the rule's text buffer: refused before anything else,
         * and the message is cut. */
        char huge[400];
        memset(huge, 'b', sizeof huge - 1);
        huge[sizeof huge - 1] = '\0';
        net_rule rule;
        ward_error err = {0};
        assert_int_equal(net_rule_parse(huge, "deny", 9, &rule, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "deny[9]: 'bbbb"));
        assert_non_null(strstr(err.msg, "...': longer than 300 bytes"));

        /* No list name, no error object: still refused. */
        assert_int_equal(net_rule_parse("*.", NULL, 0, &rule, NULL), -EINVAL);
        assert_int_equal(net_rule_parse(NULL, "allow", 0, &rule, &err), -EINVAL);
        assert_string_equal(err.msg, "allow[0]: empty rule");
}

static net_rule parse_ok(const char *text) {
        net_rule rule;
        ward_error err = {0};
        if (net_rule_parse(text, "allow", 0, &rule, &err) < 0)
                fail_msg("'%s': %s", text, err.msg);
        assert_string_equal(rule.text, text);
        return rule;
}

static void expect_format(const char *text, const char *canonical) {
        char buf[sizeof((net_rule *)NULL)->text];
        net_rule rule = parse_ok(text);
        assert_string_equal(net_rule_format(&rule, buf, sizeof buf), canonical);
        net_rule again = parse_ok(canonical);
        assert_int_equal(again.kind, rule.kind);
        assert_string_equal(again.name, rule.name);
        assert_int_equal(again.port, rule.port);
        assert_int_equal(again.prefix, rule.prefix);
        assert_memory_equal(&again.addr, &rule.addr, sizeof rule.addr);
}

static void good_rules(void **state) {
        (void)state;
        char a[INET6_ADDRSTRLEN];
        net_rule rule = parse_ok("api.example.com");
        assert_int_equal(rule.kind, NET_RULE_NAME);
        assert_string_equal(rule.name, "api.example.com");
        assert_int_equal(rule.port, 0);

        rule = parse_ok("API.Example.COM:443");
        assert_int_equal(rule.kind, NET_RULE_NAME);
        assert_string_equal(rule.name, "api.example.com"); /* stored in lower case */
        assert_int_equal(rule.port, 443);

        rule = parse_ok("*.example.org");
        assert_int_equal(rule.kind, NET_RULE_WILDCARD);
        assert_string_equal(rule.name, "example.org");
        assert_int_equal(rule.port, 0);

        rule = parse_ok("10.1.2.0/24:5432");
        assert_int_equal(rule.kind, NET_RULE_CIDR);
        assert_int_equal(rule.addr.family, AF_INET);
        assert_string_equal(net_addr_format(&rule.addr, a, sizeof a), "10.1.2.0");
        assert_int_equal(rule.prefix, 24);
        assert_int_equal(rule.port, 5432);

        rule = parse_ok("10.1.2.3");
        assert_int_equal(rule.kind, NET_RULE_CIDR);
        assert_int_equal(rule.prefix, 32);
        assert_int_equal(rule.port, 0);

        rule = parse_ok("[2001:db8::1]:443");
        assert_int_equal(rule.kind, NET_RULE_CIDR);
        assert_int_equal(rule.addr.family, AF_INET6);
        assert_string_equal(net_addr_format(&rule.addr, a, sizeof a), "2001:db8::1");
        assert_int_equal(rule.prefix, 128);
        assert_int_equal(rule.port, 443);

        rule = parse_ok("2001:db8::/32");
        assert_int_equal(rule.kind, NET_RULE_CIDR);
        assert_int_equal(rule.prefix, 32);
        assert_int_equal(rule.port, 0);

        rule = parse_ok("_dmarc.example.com:65535");
        assert_int_equal(rule.port, 65535);
        rule = parse_ok("localhost:1");
        assert_int_equal(rule.port, 1);

        /* The limits themselves are fine. */
        char name[300];
        memset(name, 'a', 63);
        snprintf(name + 63, sizeof name - 63, ".com");
        parse_ok(name);
        long_name(name, 253);
        parse_ok(name);

        /* Canonical forms read back as the same rule. */
        expect_format("API.Example.COM:443", "api.example.com:443");
        expect_format("*.Example.org", "*.example.org");
        expect_format("10.1.2.0/24:5432", "10.1.2.0/24:5432");
        expect_format("10.1.2.3/32", "10.1.2.3");
        expect_format("10.1.2.3:080", "10.1.2.3:80");
        expect_format("0.0.0.0/0", "0.0.0.0/0");
        expect_format("[2001:db8::1]:443", "[2001:db8::1]:443");
        expect_format("[2001:0DB8:0::1]", "2001:db8::1");
        expect_format("2001:db8::/32", "2001:db8::/32");
        expect_format("[2001:db8::]/32:443", "[2001:db8::]/32:443");
        expect_format("[2001:db8::/32]:443", "[2001:db8::]/32:443");
        expect_format("::/0", "::/0");
        expect_format("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104");

        /* A short buffer gets a cut, terminated string. */
        char small[5];
        rule = parse_ok("api.example.com");
        assert_string_equal(net_rule_format(&rule, small, sizeof small), "api.");
}

static void hosts(void **state) {
        (void)state;
        net_rules *r = new_rules();
        ward_error err = {0};
        char a[INET6_ADDRSTRLEN];

        assert_int_equal(net_host_add(r, "api.test", "1.2.3", &err), -EINVAL);
        assert_string_equal(err.msg, "hosts: 'api.test': '1.2.3' is not an IPv4 or IPv6 address");
        assert_int_equal(net_host_add(r, "api.test", "10.0.0.0/8", &err), -EINVAL);
        assert_string_equal(err.msg, "hosts: 'api.test': '10.0.0.0/8' is not an IPv4 or IPv6 address");
        assert_int_equal(net_host_add(r, "api.test", "[::1]", &err), -EINVAL);
        assert_int_equal(net_host_add(r, "api.test", "example.com", &err), -EINVAL);
        assert_int_equal(net_host_add(r, "a..b", "10.0.0.1", &err), -EINVAL);
        assert_string_equal(err.msg, "hosts: 'a..b': empty label");
        assert_int_equal(net_host_add(r, "*.test", "10.0.0.1", &err), -EINVAL);
        assert_string_equal(err.msg, "hosts: '*.test': a hosts entry cannot be a wildcard");
        assert_int_equal(net_host_add(r, "", "10.0.0.1", &err), -EINVAL);
        assert_string_equal(err.msg, "hosts: '': empty name");
        assert_int_equal(r->n_hosts, 0);

        assert_int_equal(net_host_add(r, "API.test", "10.0.0.7", &err), 0);
        assert_int_equal(net_host_add(r, "v6.test", "fd00::7", &err), 0);
        assert_int_equal(net_host_add(r, "api.TEST", "10.0.0.8", &err), -EEXIST);
        assert_string_equal(err.msg, "hosts: 'api.TEST': given twice (one address per name)");
        assert_int_equal(r->n_hosts, 2);

        const net_host *h = net_rules_host(r, "Api.Test");
        assert_non_null(h);
        assert_string_equal(h->name, "api.test");
        assert_string_equal(net_addr_format(&h->addr, a, sizeof a), "10.0.0.7");
        h = net_rules_host(r, "v6.test");
        assert_non_null(h);
        assert_int_equal(h->addr.family, AF_INET6);
        assert_null(net_rules_host(r, "other.test"));
        assert_null(net_rules_host(r, "api.test."));
        assert_null(net_rules_host(r, "test"));

        for (unsigned i = r->n_hosts; i < NET_HOSTS_MAX; i++) {
                char name[32];
                snprintf(name, sizeof name, "h%u.test", i);
                assert_int_equal(net_host_add(r, name, "192.0.2.1", &err), 0);
        }
        assert_int_equal(net_host_add(r, "one-more.test", "192.0.2.1", &err), -E2BIG);
        assert_string_equal(err.msg, "hosts: 'one-more.test': more than 256 entries");
        assert_int_equal(r->n_hosts, NET_HOSTS_MAX);
        free(r);
}

static void names(void **state) {
        (void)state;
        char name[300];
        assert_true(net_name_valid("example.com"));
        assert_true(net_name_valid("Example.COM"));
        assert_true(net_name_valid("_sip._tcp.example.com"));
        assert_true(net_name_valid("a"));
        assert_true(net_name_valid("a-b.c1"));
        assert_false(net_name_valid(""));
        assert_false(net_name_valid(NULL));
        assert_false(net_name_valid("example.com."));
        assert_false(net_name_valid(".example.com"));
        assert_false(net_name_valid("a..b"));
        assert_false(net_name_valid("-a.b"));
        assert_false(net_name_valid("a.b-"));
        assert_false(net_name_valid("*.example.com"));
        assert_false(net_name_valid("a b"));
        assert_false(net_name_valid("caf\xc3\xa9.fr"));
        long_name(name, 253);
        assert_true(net_name_valid(name));
        long_name(name, 254);
        assert_false(net_name_valid(name));
        memset(name, 'a', 63);
        name[63] = '\0';
        assert_true(net_name_valid(name));
        memset(name, 'a', 64);
        name[64] = '\0';
        assert_false(net_name_valid(name));
}

static void addresses(void **state) {
        (void)state;
        net_addr a;
        char buf[INET6_ADDRSTRLEN], small[6];
        assert_int_equal(net_addr_parse("10.0.0.1", &a), 0);
        assert_int_equal(a.family, AF_INET);
        assert_int_equal(ntohl(a.v4.s_addr), 0x0a000001);
        assert_string_equal(net_addr_format(&a, buf, sizeof buf), "10.0.0.1");
        assert_int_equal(net_addr_parse("::1", &a), 0);
        assert_int_equal(a.family, AF_INET6);
        assert_int_equal(a.v6.s6_addr[15], 1);
        assert_string_equal(net_addr_format(&a, buf, sizeof buf), "::1");
        assert_int_equal(net_addr_parse("::FFFF:10.0.0.1", &a), 0);
        assert_string_equal(net_addr_format(&a, buf, sizeof buf), "::ffff:10.0.0.1");
        assert_string_equal(net_addr_format(&a, small, sizeof small), "::fff");

        memset(&a, 0x5a, sizeof a);
        net_addr before = a;
        const char *bad[] = {"",          "1.2.3",       "01.2.3.4",         "1.2.3.4.5",
                             "256.1.1.1", "[::1]",       "fe80::1%eth0",     "10.0.0.0/8",
                             " 10.0.0.1", "example.com", "1:2:3:4:5:6:7:8:9"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(net_addr_parse(bad[i], &a), -EINVAL);
        assert_int_equal(net_addr_parse(NULL, &a), -EINVAL);
        assert_memory_equal(&a, &before, sizeof a);
}

static void internal_classes(void **state) {
        (void)state;
        static const struct {
                const char *addr, *class;
        } cases[] = {
                {"0.0.0.0", "unspecified"},
                {"0.255.255.255", "unspecified"},
                {"1.0.0.0", NULL},
                {"9.255.255.255", NULL},
                {"10.0.0.0", "private"},
                {"10.255.255.255", "private"},
                {"11.0.0.0", NULL},
                {"100.63.255.255", NULL},
                {"100.64.0.0", "private"},
                {"100.127.255.255", "private"},
                {"100.128.0.0", NULL},
                {"126.255.255.255", NULL},
                {"127.0.0.1", "loopback"},
                {"127.255.255.255", "loopback"},
                {"169.253.255.255", NULL},
                {"169.254.169.254", "link-local"},
                {"169.255.0.0", NULL},
                {"172.15.255.255", NULL},
                {"172.16.0.0", "private"},
                {"172.31.255.255", "private"},
                {"172.32.0.0", NULL},
                {"192.0.0.0", "reserved"},
                {"192.0.0.255", "reserved"},
                {"192.0.1.0", NULL},
                {"192.167.255.255", NULL},
                {"192.168.0.1", "private"},
                {"192.169.0.0", NULL},
                {"198.17.255.255", NULL},
                {"198.18.0.0", "reserved"},
                {"198.19.255.255", "reserved"},
                {"198.20.0.0", NULL},
                {"223.255.255.255", NULL},
                {"224.0.0.1", "multicast"},
                {"239.255.255.255", "multicast"},
                {"240.0.0.1", "reserved"},
                {"255.255.255.254", "reserved"},
                {"255.255.255.255", "broadcast"},
                {"8.8.8.8", NULL},
                {"93.184.216.34", NULL},
                {"::", "unspecified"},
                {"::1", "loopback"},
                {"::2", NULL},
                {"fe80::1", "link-local"},
                {"febf:ffff::1", "link-local"},
                {"fec0::1", NULL},
                {"fbff::1", NULL},
                {"fc00::1", "private"},
                {"fdff:ffff::1", "private"},
                {"fe00::1", NULL},
                {"ff02::1", "multicast"},
                {"2001:db8::1", NULL},
                {"2606:4700::1111", NULL},
                {"::ffff:10.0.0.1", "private"},
                {"::ffff:127.0.0.1", "loopback"},
                {"::ffff:169.254.169.254", "link-local"},
                {"::ffff:0.0.0.0", "unspecified"},
                {"::ffff:255.255.255.255", "broadcast"},
                {"::ffff:8.8.8.8", NULL},
                {"::fffe:127.0.0.1", NULL},
                {"64:ff9b::127.0.0.1", "loopback"},
                {"64:ff9b::a9fe:a9fe", "link-local"},
                {"64:ff9b::8.8.8.8", NULL},
                {"64:ff9b:1::a00:1", NULL},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                net_addr a = addr(cases[i].addr);
                const char *got = net_addr_internal(&a);
                if (cases[i].class ? !got || strcmp(got, cases[i].class) != 0 : got != NULL)
                        fail_msg("%s: got %s, want %s", cases[i].addr, got ? got : "NULL",
                                 cases[i].class ? cases[i].class : "NULL");
        }
        assert_null(net_addr_internal(NULL));
}

static void matching_names(void **state) {
        (void)state;
        net_rules *r = new_rules();
        const net_rule *rule = NULL;
        allow(r, "api.example.com");
        allow(r, "*.example.org");
        allow(r, "pay.example.net:443");

        net_addr pub = addr("93.184.216.34");
        assert_int_equal(net_rules_check(r, "api.example.com", &pub, 443, &rule), NET_ALLOW);
        assert_ptr_equal(rule, &r->allow[0]);
        assert_int_equal(check(r, "api.example.com", "93.184.216.34", 1), NET_ALLOW); /* port 0: any */
        assert_int_equal(check(r, "api.example.com", "2606:2800:220:1::1", 8080), NET_ALLOW);
        assert_int_equal(net_rules_check(r, "www.example.com", &pub, 443, &rule), NET_DENY_NOT_ALLOWED);
        assert_null(rule);
        assert_int_equal(check(r, "xapi.example.com", "93.184.216.34", 443), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "a.api.example.com", "93.184.216.34", 443), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "api.example.com.evil.net", "93.184.216.34", 443), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "example.com", "93.184.216.34", 443), NET_DENY_NOT_ALLOWED);

        /* Case does not matter, on either side. */
        assert_int_equal(check(r, "API.Example.COM", "93.184.216.34", 443), NET_ALLOW);
        assert_int_equal(check(r, "A.EXAMPLE.ORG", "93.184.216.34", 443), NET_ALLOW);

        /* The wildcard covers every name strictly below, not the suffix. */
        assert_int_equal(net_rules_check(r, "a.example.org", &pub, 80, &rule), NET_ALLOW);
        assert_ptr_equal(rule, &r->allow[1]);
        assert_int_equal(check(r, "a.b.c.example.org", "93.184.216.34", 80), NET_ALLOW);
        assert_int_equal(check(r, "example.org", "93.184.216.34", 80), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "badexample.org", "93.184.216.34", 80), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, ".example.org", "93.184.216.34", 80), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "example.org.evil", "93.184.216.34", 80), NET_DENY_NOT_ALLOWED);

        /* The trailing dot of a fully qualified name is the caller's to
         * strip (rules.h): with it, nothing matches. */
        assert_int_equal(check(r, "api.example.com.", "93.184.216.34", 443), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "a.example.org.", "93.184.216.34", 443), NET_DENY_NOT_ALLOWED);

        /* Ports. */
        assert_int_equal(check(r, "pay.example.net", "93.184.216.34", 443), NET_ALLOW);
        assert_int_equal(check(r, "pay.example.net", "93.184.216.34", 80), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "pay.example.net", "93.184.216.34", 4430), NET_DENY_NOT_ALLOWED);

        /* A name rule never matches a raw address, even one it resolved to. */
        assert_int_equal(net_rules_check(r, NULL, &pub, 443, &rule), NET_DENY_NOT_ALLOWED);
        assert_null(rule);
        /* Nor a name that looks like the rule's address. */
        allow(r, "203.0.113.9");
        assert_int_equal(check(r, "203.0.113.9", "93.184.216.34", 443), NET_DENY_NOT_ALLOWED);
        /* No address: not allowed. */
        assert_int_equal(net_rules_check(r, "api.example.com", NULL, 443, &rule), NET_DENY_NOT_ALLOWED);
        assert_null(rule);
        free(r);
}

static void matching_cidrs(void **state) {
        (void)state;
        net_rules *r = new_rules();
        const net_rule *rule = NULL;
        allow(r, "10.1.2.0/24:5432");
        allow(r, "203.0.113.7");
        allow(r, "2001:db8::/32");
        allow(r, "[2001:db9::1]:443");

        /* A raw address needs a CIDR rule; internal addresses are then fine. */
        net_addr db = addr("10.1.2.77");
        assert_int_equal(net_rules_check(r, NULL, &db, 5432, &rule), NET_ALLOW);
        assert_ptr_equal(rule, &r->allow[0]);
        assert_int_equal(check(r, NULL, "10.1.2.0", 5432), NET_ALLOW);
        assert_int_equal(check(r, NULL, "10.1.2.255", 5432), NET_ALLOW);
        assert_int_equal(check(r, NULL, "10.1.3.0", 5432), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, NULL, "10.1.1.255", 5432), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, NULL, "10.1.2.77", 5433), NET_DENY_NOT_ALLOWED);
        /* ... and match by address whatever name led there. */
        assert_int_equal(check(r, "db.internal", "10.1.2.77", 5432), NET_ALLOW);

        /* /32: that address only. */
        assert_int_equal(check(r, NULL, "203.0.113.7", 1), NET_ALLOW);
        assert_int_equal(check(r, NULL, "203.0.113.6", 1), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, NULL, "203.0.113.8", 1), NET_DENY_NOT_ALLOWED);

        /* IPv6. */
        assert_int_equal(check(r, NULL, "2001:db8:ffff:ffff::1", 22), NET_ALLOW);
        assert_int_equal(check(r, NULL, "2001:db8::", 22), NET_ALLOW);
        assert_int_equal(check(r, NULL, "2001:db7:ffff::1", 22), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, NULL, "2001:db9::1", 443), NET_ALLOW);
        assert_int_equal(check(r, NULL, "2001:db9::1", 80), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, NULL, "2001:db9::2", 443), NET_DENY_NOT_ALLOWED);
        /* Families do not mix: an IPv6 rule never covers an IPv4 address. */
        assert_int_equal(check(r, NULL, "32.1.13.184", 443), NET_DENY_NOT_ALLOWED);
        /* An IPv4 rule covers its address in IPv4-mapped form. */
        assert_int_equal(check(r, NULL, "::ffff:10.1.2.77", 5432), NET_ALLOW);
        assert_int_equal(check(r, NULL, "::ffff:203.0.113.7", 9), NET_ALLOW);
        assert_int_equal(check(r, NULL, "::ffff:203.0.113.8", 9), NET_DENY_NOT_ALLOWED);

        /* Prefixes that end inside a byte. */
        net_rules *odd = new_rules();
        allow(odd, "172.16.0.0/12");
        allow(odd, "100.64.0.0/10:53");
        allow(odd, "2001:db8:8000::/33");
        assert_int_equal(check(odd, NULL, "172.16.0.1", 1), NET_ALLOW);
        assert_int_equal(check(odd, NULL, "172.31.255.255", 1), NET_ALLOW);
        assert_int_equal(check(odd, NULL, "172.32.0.0", 1), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(odd, NULL, "172.15.255.255", 1), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(odd, NULL, "100.127.0.1", 53), NET_ALLOW);
        assert_int_equal(check(odd, NULL, "100.128.0.1", 53), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(odd, NULL, "2001:db8:ffff::1", 1), NET_ALLOW);
        assert_int_equal(check(odd, NULL, "2001:db8:7fff::1", 1), NET_DENY_NOT_ALLOWED);
        free(odd);

        /* /0 covers its whole family. */
        net_rules *all = new_rules();
        allow(all, "0.0.0.0/0");
        assert_int_equal(check(all, NULL, "8.8.8.8", 53), NET_ALLOW);
        assert_int_equal(check(all, NULL, "255.255.255.255", 53), NET_ALLOW);
        assert_int_equal(check(all, NULL, "2001:db8::1", 53), NET_DENY_NOT_ALLOWED);
        allow(all, "::/0");
        assert_int_equal(check(all, NULL, "2001:db8::1", 53), NET_ALLOW);
        assert_int_equal(check(all, NULL, "::1", 53), NET_ALLOW);
        free(all);
        free(r);
}

static void deny_wins(void **state) {
        (void)state;
        net_rules *r = new_rules();
        const net_rule *rule = NULL;
        allow(r, "*.example.com");
        allow(r, "0.0.0.0/0");
        allow(r, "::/0");
        deny(r, "secret.example.com");
        deny(r, "169.254.0.0/16");
        deny(r, "*.example.com:25");
        deny(r, "fd00::/8");

        net_addr pub = addr("93.184.216.34");
        assert_int_equal(net_rules_check(r, "secret.example.com", &pub, 443, &rule), NET_DENY_RULE);
        assert_ptr_equal(rule, &r->deny[0]);
        assert_int_equal(check(r, "SECRET.example.com", "93.184.216.34", 443), NET_DENY_RULE);
        assert_int_equal(check(r, "www.example.com", "93.184.216.34", 443), NET_ALLOW);
        assert_int_equal(check(r, "www.example.com", "93.184.216.34", 25), NET_DENY_RULE);
        /* A deny name rule does not match a raw address; the allow CIDR does. */
        assert_int_equal(check(r, NULL, "93.184.216.34", 443), NET_ALLOW);

        /* A deny CIDR rule matches by address, with or without a name, and
         * in every IPv6 form of the IPv4 address. */
        net_addr meta = addr("169.254.169.254");
        assert_int_equal(net_rules_check(r, NULL, &meta, 80, &rule), NET_DENY_RULE);
        assert_ptr_equal(rule, &r->deny[1]);
        assert_int_equal(check(r, "www.example.com", "169.254.169.254", 80), NET_DENY_RULE);
        assert_int_equal(check(r, NULL, "::ffff:169.254.169.254", 80), NET_DENY_RULE);
        assert_int_equal(check(r, NULL, "64:ff9b::a9fe:a9fe", 80), NET_DENY_RULE);
        assert_int_equal(check(r, NULL, "fd12::1", 80), NET_DENY_RULE);
        assert_int_equal(check(r, NULL, "fe12::1", 80), NET_ALLOW);
        free(r);
}

static void internal_addresses(void **state) {
        (void)state;
        net_rules *r = new_rules();
        const net_rule *rule = NULL;
        allow(r, "api.example.com");
        allow(r, "*.corp.example:443");

        /* A name rule does not let DNS point the program at internal hosts. */
        net_addr ten = addr("10.0.0.5");
        assert_int_equal(net_rules_check(r, "api.example.com", &ten, 443, &rule), NET_DENY_INTERNAL);
        assert_ptr_equal(rule, &r->allow[0]);
        assert_int_equal(check(r, "api.example.com", "127.0.0.1", 443), NET_DENY_INTERNAL);
        assert_int_equal(check(r, "api.example.com", "169.254.169.254", 80), NET_DENY_INTERNAL);
        assert_int_equal(check(r, "api.example.com", "::1", 443), NET_DENY_INTERNAL);
        assert_int_equal(check(r, "api.example.com", "fe80::1", 443), NET_DENY_INTERNAL);
        /* Nor in IPv4-mapped or NAT64 form. */
        assert_int_equal(check(r, "api.example.com", "::ffff:127.0.0.1", 443), NET_DENY_INTERNAL);
        assert_int_equal(check(r, "api.example.com", "::ffff:169.254.169.254", 443), NET_DENY_INTERNAL);
        assert_int_equal(check(r, "api.example.com", "64:ff9b::a00:5", 443), NET_DENY_INTERNAL);
        assert_int_equal(check(r, "api.example.com", "::ffff:93.184.216.34", 443), NET_ALLOW);
        /* A name no rule allows stays "not allowed", internal or not. */
        assert_int_equal(check(r, "other.example.com", "10.0.0.5", 443), NET_DENY_NOT_ALLOWED);

        /* A CIDR rule naming the address makes it fine, on its port only. */
        allow(r, "10.0.0.0/8:443");
        assert_int_equal(net_rules_check(r, "api.example.com", &ten, 443, &rule), NET_ALLOW);
        assert_ptr_equal(rule, &r->allow[2]);
        assert_int_equal(net_rules_check(r, "api.example.com", &ten, 80, &rule), NET_DENY_INTERNAL);
        assert_ptr_equal(rule, &r->allow[0]);
        assert_int_equal(check(r, "db.corp.example", "10.9.9.9", 443), NET_ALLOW);
        assert_int_equal(check(r, "db.corp.example", "10.9.9.9", 80), NET_DENY_NOT_ALLOWED);
        assert_int_equal(check(r, "db.corp.example", "192.168.1.1", 443), NET_DENY_INTERNAL);
        assert_int_equal(check(r, "api.example.com", "::ffff:10.0.0.5", 443), NET_ALLOW);
        free(r);
}

static void names_for_dns(void **state) {
        (void)state;
        net_rules *r = new_rules();
        allow(r, "api.example.com:443");
        allow(r, "*.example.org");
        allow(r, "10.0.0.0/8");
        allow(r, "both.example.net:443");
        allow(r, "both.example.net:8443");
        deny(r, "x.example.org");
        deny(r, "api.example.com:443");
        deny(r, "*.example.org:25");
        deny(r, "both.example.net:443");

        assert_false(net_rules_name_allowed(r, "api.example.com")); /* its only port is denied */
        assert_true(net_rules_name_allowed(r, "a.example.org"));    /* denied on 25 only */
        assert_true(net_rules_name_allowed(r, "A.Example.ORG"));
        assert_false(net_rules_name_allowed(r, "x.example.org"));
        assert_false(net_rules_name_allowed(r, "example.org"));
        assert_true(net_rules_name_allowed(r, "both.example.net")); /* 8443 is still open */
        assert_false(net_rules_name_allowed(r, "10.0.0.1"));        /* CIDR rules never allow a name */
        assert_false(net_rules_name_allowed(r, "other.example.com"));
        assert_false(net_rules_name_allowed(r, NULL));
        free(r);
}

static void verdict_names(void **state) {
        (void)state;
        assert_string_equal(net_verdict_name(NET_ALLOW), "allowed");
        assert_string_equal(net_verdict_name(NET_DENY_RULE), "denied");
        assert_string_equal(net_verdict_name(NET_DENY_NOT_ALLOWED), "not_allowed");
        assert_string_equal(net_verdict_name(NET_DENY_INTERNAL), "internal");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(bad_rules),      cmocka_unit_test(good_rules),
                cmocka_unit_test(hosts),          cmocka_unit_test(names),
                cmocka_unit_test(addresses),      cmocka_unit_test(internal_classes),
                cmocka_unit_test(matching_names), cmocka_unit_test(matching_cidrs),
                cmocka_unit_test(deny_wins),      cmocka_unit_test(internal_addresses),
                cmocka_unit_test(names_for_dns),  cmocka_unit_test(verdict_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
