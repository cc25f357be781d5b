/* Policy files, command-line overrides and their error messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"

static int apply(policy *p, const char *json, ward_error *err) {
        return policy_apply_json(p, json, strlen(json), "p.json", err);
}

static void defaults(void **state) {
        (void)state;
        policy p;
        policy_init_default(&p);
        assert_int_equal(p.memory, 512ull << 20);
        assert_int_equal(p.cpu_time_ms, 10000);
        assert_int_equal(p.wall_time_ms, 30000);
        assert_int_equal(p.pids, 64);
        assert_int_equal(p.file_size, 64ull << 20);
        assert_int_equal(p.disk, 256ull << 20);
        assert_int_equal(p.output, 1ull << 20);
        assert_int_equal(p.output_mode, OUTPUT_MODE_STOP);
        /* One core; sessions of 10 minutes idle and an hour at most. */
        assert_int_equal(p.cpu_rate_milli, 1000);
        assert_int_equal(p.session_idle_ms, 10 * 60 * 1000);
        assert_int_equal(p.session_lifetime_ms, 60 * 60 * 1000);
        policy_free(&p);
}

static void full_file(void **state) {
        (void)state;
        policy p;
        ward_error err = {0};
        policy_init_default(&p);
        int r = apply(&p,
                      "{\"version\":1,\"name\":\"t\",\"limits\":{\"memory\":\"128M\",\"cpu_time\":\"2s\","
                      "\"wall_time\":\"1500ms\",\"pids\":10,\"file_size\":\"1M\",\"disk\":\"8M\",\"output\":\"4K\","
                      "\"output_mode\":\"truncate\",\"max_violations\":5},\"network\":{\"mode\":\"none\"},"
                      "\"env\":{\"A\":\"1\",\"B_2\":\"x=y\"},\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\"}],"
                      "\"allow_without\":[\"cgroups\"]}",
                      &err);
        assert_int_equal(r, 0);
        assert_int_equal(p.memory, 128ull << 20);
        assert_int_equal(p.cpu_time_ms, 2000);
        assert_int_equal(p.wall_time_ms, 1500);
        assert_int_equal(p.pids, 10);
        assert_int_equal(p.output_mode, OUTPUT_MODE_TRUNCATE);
        assert_int_equal(p.max_violations, 5);
        assert_int_equal(p.n_env, 2);
        assert_string_equal(p.env[1], "B_2=x=y");
        assert_int_equal(p.n_mounts, 1);
        assert_string_equal(p.mounts[0].target, "/opt/u");
        assert_false(p.mounts[0].rw);
        assert_true(p.allow_without_cgroups);
        assert_false(p.allow_without_landlock);
        policy_free(&p);
}

static void expect_error(const char *json, const char *needle) {
        policy p;
        ward_error err = {0};
        policy_init_default(&p);
        assert_true(apply(&p, json, &err) < 0);
        if (!strstr(err.msg, needle))
                fail_msg("message '%s' lacks '%s'", err.msg, needle);
        policy_free(&p);
}

static void errors_name_the_place(void **state) {
        (void)state;
        expect_error("{\"limits\":{\"memory\":\"12Q\"}}", "limits: memory: '12Q' is not a size");
        expect_error("{\"limits\":{\"pids\":0}}", "pids: '0' is out of range");
        expect_error("{\"limits\":{\"pids\":1000000000}}", "out of range");
        expect_error("{\"limits\":{\"pids\":-3}}", "must not be negative");
        expect_error("{\"limits\":{\"bogus\":1}}", "unknown key 'bogus'");
        expect_error("{\"limits\":{\"cpu_rate\":0.001}}", "cpu_rate: '0.001' is out of range (10m to 1024)");
        expect_error("{\"limits\":{\"cpu_rate\":\"half\"}}", "cpu_rate: 'half' is not a number of cores");
        expect_error("{\"limits\":{\"session_max_lifetime\":\"25h\"}}", "session_max_lifetime: '25h' is out of range");
        expect_error("{\"colour\":1}", "p.json: unknown key 'colour'");
        expect_error("{\"limits\":{\n  \"memory\": }", "p.json:2:");
        expect_error("[1]", "must be a JSON object");
        expect_error("{\"network\":{\"mode\":\"all\"}}", "is not 'none' or 'allowlist'");
        expect_error("{\"env\":{\"1A\":\"x\"}}", "not a valid variable name");
        expect_error("{\"env\":{\"A\":1}}", "env.A");
        expect_error("{\"mounts\":[{\"source\":\"relative\"}]}", "mounts[0]");
        expect_error("{\"mounts\":[{\"source\":\"/usr\",\"target\":\"/proc/x\"}]}", "reserved");
        expect_error("{\"mounts\":[{\"source\":\"/a/../b\"}]}", "clean absolute path");
        expect_error("{\"mounts\":[{\"source\":\"/usr\",\"mode\":\"rx\"}]}", "'rx'");
        expect_error("{\"allow_without\":[\"seccomp\"]}", "'seccomp' is not a protection that may be missing");
        expect_error("{\"version\":2}", "version");
        expect_error("{\"limits\":{\"memory\":\"1M\",\"memory\":\"2M\"}}", "duplicate");
}

static void overrides(void **state) {
        (void)state;
        policy p;
        ward_error err = {0};
        policy_init_default(&p);
        assert_int_equal(apply(&p, "{\"limits\":{\"memory\":\"128M\"},\"env\":{\"A\":\"file\"}}", &err), 0);
        assert_int_equal(policy_set(&p, "memory", "64M", &err), 0);
        assert_int_equal(p.memory, 64ull << 20);
        assert_int_equal(policy_add_env(&p, "A=cli", &err), 0);
        assert_int_equal(p.n_env, 1);
        assert_string_equal(p.env[0], "A=cli");
        assert_true(policy_set(&p, "memory", "1K", &err) < 0);
        assert_non_null(strstr(err.msg, "out of range"));
        assert_int_equal(p.memory, 64ull << 20);
        assert_true(policy_add_env(&p, "=x", &err) < 0);
        assert_true(policy_add_env(&p, "NOEQUALS", &err) < 0);
        assert_int_equal(policy_add_mount(&p, "/usr:/opt/usr", true, &err), 0);
        assert_true(p.mounts[0].rw);
        assert_string_equal(p.mounts[0].source, "/usr");
        assert_string_equal(p.mounts[0].target, "/opt/usr");
        assert_int_equal(policy_add_mount(&p, "/etc", false, &err), -EINVAL); /* target /etc is reserved */
        assert_int_equal(policy_add_mount(&p, "/usr:/dev/x", false, &err), -EINVAL);
        assert_int_equal(policy_add_mount(&p, "/etc/hostname:/etc/app.conf", false, &err), 0);
        policy_free(&p);
}

static void validate_checks_the_host(void **state) {
        (void)state;
        policy p;
        ward_error err = {0};
        policy_init_default(&p);
        assert_int_equal(policy_add_mount(&p, "/nonexistent-ward-test", false, &err), 0);
        assert_true(policy_validate(&p, &err) < 0);
        assert_non_null(strstr(err.msg, "/nonexistent-ward-test"));
        policy_free(&p);
        policy_init_default(&p);
        assert_int_equal(policy_set(&p, "workdir", "/nonexistent-ward-test", &err), 0);
        assert_true(policy_validate(&p, &err) < 0);
        assert_non_null(strstr(err.msg, "workdir"));
        policy_free(&p);
}

/* The SHA-256 of the canonical JSON of the policy that json gives. */
static void digest_of(const char *json, char out[DIGEST_HEX_LEN]) {
        policy p;
        ward_error err = {0};
        policy_init_default(&p);
        if (apply(&p, json, &err) < 0)
                fail_msg("%s: %s", json, err.msg);
        assert_int_equal(policy_digest(&p, out), 0);
        assert_int_equal(strlen(out), 64);
        policy_free(&p);
}

static void digest_is_stable(void **state) {
        (void)state;
        char d[DIGEST_HEX_LEN], other[DIGEST_HEX_LEN];
        /* One policy, written with its keys in another order at every
         * level, and its env, hosts and allow_without in another order:
         * none of that is part of its meaning. */
        static const char *const same[] = {
                "{\"name\":\"t\",\"limits\":{\"memory\":\"128M\",\"pids\":10,\"wall_time\":\"2s\"},"
                "\"env\":{\"A\":\"1\",\"B\":\"2\"},\"allow_without\":[\"cgroups\",\"landlock\"],"
                "\"network\":{\"mode\":\"allowlist\",\"allow\":[\"a.test:443\"],\"hosts\":{\"a.test\":\"10.0.0.1\","
                "\"b.test\":\"10.0.0.2\"},\"max_connections\":4},"
                "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\",\"mode\":\"ro\"}]}",
                "{\"mounts\":[{\"mode\":\"ro\",\"target\":\"/opt/u\",\"source\":\"/usr\"}],"
                "\"network\":{\"max_connections\":4,\"hosts\":{\"b.test\":\"10.0.0.2\",\"a.test\":\"10.0.0.1\"},"
                "\"allow\":[\"a.test:443\"],\"mode\":\"allowlist\"},"
                "\"allow_without\":[\"landlock\",\"cgroups\"],\"env\":{\"B\":\"2\",\"A\":\"1\"},"
                "\"limits\":{\"wall_time\":\"2000ms\",\"pids\":10,\"memory\":\"128M\"},\"name\":\"t\"}",
                /* The same values spelled otherwise, and the defaults said. */
                "{\"version\":1,\"limits\":{\"memory\":134217728,\"pids\":\"10\",\"wall_time\":2,"
                "\"output_mode\":\"stop\",\"cpu_rate\":\"1000m\",\"session_idle_timeout\":\"10m\"},\"name\":\"t\","
                "\"env\":{\"B\":\"2\",\"A\":\"1\"},"
                "\"allow_without\":[\"landlock\",\"cgroups\",\"landlock\"],"
                "\"network\":{\"hosts\":{\"b.test\":\"10.0.0.2\",\"a.test\":\"10.0.0.1\"},\"mode\":\"allowlist\","
                "\"max_connections\":\"4\",\"allow\":[\"a.test:443\"]},"
                "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\"}]}",
        };
        digest_of(same[0], d);
        for (size_t i = 1; i < sizeof same / sizeof *same; i++) {
                digest_of(same[i], other);
                if (strcmp(d, other) != 0)
                        fail_msg("policy %zu digests differently from policy 0", i);
        }
        /* The same through the command line's setters, in two orders. */
        policy a, b;
        ward_error err = {0};
        char da[DIGEST_HEX_LEN], db[DIGEST_HEX_LEN];
        policy_init_default(&a);
        policy_init_default(&b);
        assert_int_equal(policy_set(&a, "memory", "64M", &err), 0);
        assert_int_equal(policy_set(&a, "pids", "9", &err), 0);
        assert_int_equal(policy_add_env(&a, "A=1", &err), 0);
        assert_int_equal(policy_add_env(&a, "B=2", &err), 0);
        assert_int_equal(policy_set(&a, "output_mode", "truncate", &err), 0);
        assert_int_equal(policy_add_host(&a, "a.test:10.0.0.1", &err), 0);
        assert_int_equal(policy_add_host(&a, "b.test=10.0.0.2", &err), 0);
        assert_int_equal(policy_add_host(&b, "b.test:10.0.0.2", &err), 0);
        assert_int_equal(policy_add_host(&b, "a.test=10.0.0.1", &err), 0);
        assert_int_equal(policy_add_env(&b, "B=2", &err), 0);
        assert_int_equal(policy_set(&b, "output_mode", "truncate", &err), 0);
        assert_int_equal(policy_add_env(&b, "A=1", &err), 0);
        assert_int_equal(policy_set(&b, "pids", "9", &err), 0);
        assert_int_equal(policy_set(&b, "memory", "64M", &err), 0);
        assert_int_equal(policy_digest(&a, da), 0);
        assert_int_equal(policy_digest(&b, db), 0);
        assert_string_equal(da, db);
        /* A later value for a name replaces the earlier one: B=1 then B=2
         * is B=2. */
        assert_int_equal(policy_add_env(&b, "B=1", &err), 0);
        assert_int_equal(policy_digest(&b, db), 0);
        assert_string_not_equal(da, db);
        assert_int_equal(policy_add_env(&b, "B=2", &err), 0);
        assert_int_equal(policy_digest(&b, db), 0);
        assert_string_equal(da, db);
        policy_free(&a);
        policy_free(&b);
        /* Each real change, however small, is another digest. */
        static const char *const changed[] = {
                "{\"name\":\"t\",\"limits\":{\"memory\":\"128M\",\"pids\":11,\"wall_time\":\"2s\"},"
                "\"env\":{\"A\":\"1\",\"B\":\"2\"},\"allow_without\":[\"cgroups\",\"landlock\"],"
                "\"network\":{\"mode\":\"allowlist\",\"allow\":[\"a.test:443\"],\"hosts\":{\"a.test\":\"10.0.0.1\","
                "\"b.test\":\"10.0.0.2\"},\"max_connections\":4},"
                "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\",\"mode\":\"ro\"}]}",
                "{\"name\":\"t\",\"limits\":{\"memory\":\"128M\",\"pids\":10,\"wall_time\":\"2s\"},"
                "\"env\":{\"A\":\"1\",\"B\":\"3\"},\"allow_without\":[\"cgroups\",\"landlock\"],"
                "\"network\":{\"mode\":\"allowlist\",\"allow\":[\"a.test:443\"],\"hosts\":{\"a.test\":\"10.0.0.1\","
                "\"b.test\":\"10.0.0.2\"},\"max_connections\":4},"
                "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\",\"mode\":\"ro\"}]}",
                "{\"name\":\"t\",\"limits\":{\"memory\":\"128M\",\"pids\":10,\"wall_time\":\"2s\"},"
                "\"env\":{\"A\":\"1\",\"B\":\"2\"},\"allow_without\":[\"cgroups\"],"
                "\"network\":{\"mode\":\"allowlist\",\"allow\":[\"a.test:443\"],\"hosts\":{\"a.test\":\"10.0.0.1\","
                "\"b.test\":\"10.0.0.2\"},\"max_connections\":4},"
                "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\",\"mode\":\"ro\"}]}",
                "{\"name\":\"t\",\"limits\":{\"memory\":\"128M\",\"pids\":10,\"wall_time\":\"2s\"},"
                "\"env\":{\"A\":\"1\",\"B\":\"2\"},\"allow_without\":[\"cgroups\",\"landlock\"],"
                "\"network\":{\"mode\":\"allowlist\",\"allow\":[\"a.test:443\"],\"hosts\":{\"a.test\":\"10.0.0.1\","
                "\"b.test\":\"10.0.0.2\"},\"max_connections\":4},"
                "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\",\"mode\":\"rw\"}]}",
                "{\"name\":\"t\",\"limits\":{\"memory\":\"128M\",\"pids\":10,\"wall_time\":\"2s\"},"
                "\"env\":{\"A\":\"1\",\"B\":\"2\"},\"allow_without\":[\"cgroups\",\"landlock\"],"
                "\"network\":{\"mode\":\"allowlist\",\"allow\":[\"a.test:443\"],\"hosts\":{\"a.test\":\"10.0.0.1\","
                "\"b.test\":\"10.0.0.3\"},\"max_connections\":4},"
                "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\",\"mode\":\"ro\"}]}",
        };
        for (size_t i = 0; i < sizeof changed / sizeof *changed; i++) {
                digest_of(changed[i], other);
                if (strcmp(d, other) == 0)
                        fail_msg("changed policy %zu digests as policy 0 does", i);
        }
        /* Mounts are applied in order (a later one covers an earlier one
         * beneath it): two of them swapped are another policy. */
        char m1[DIGEST_HEX_LEN], m2[DIGEST_HEX_LEN];
        digest_of("{\"mounts\":[{\"source\":\"/usr\",\"target\":\"/a\"},{\"source\":\"/bin\",\"target\":\"/a/b\"}]}",
                  m1);
        digest_of("{\"mounts\":[{\"source\":\"/bin\",\"target\":\"/a/b\"},{\"source\":\"/usr\",\"target\":\"/a\"}]}",
                  m2);
        assert_string_not_equal(m1, m2);
}

/* A policy with every field set, none to its default. */
static void full_policy(policy *p) {
        ward_error err = {0};
        policy_init_default(p);
        if (apply(p,
                  "{\"name\":\"full\",\"limits\":{\"memory\":\"128M\",\"cpu_time\":\"2s\",\"wall_time\":\"3s\","
                  "\"pids\":10,\"file_size\":\"1M\",\"disk\":\"8M\",\"output\":\"4K\",\"output_mode\":\"truncate\","
                  "\"max_violations\":5},\"env\":{\"A\":\"1\",\"B\":\"2\"},\"workdir\":\"/w\",\"output_dir\":\"/o\","
                  "\"mounts\":[{\"source\":\"/usr\",\"target\":\"/opt/u\"},{\"source\":\"/srv\",\"mode\":\"rw\"}],"
                  "\"allow_without\":[\"cgroups\",\"landlock\"],\"network\":{\"mode\":\"allowlist\","
                  "\"allow\":[\"a.test:443\",\"b.test\"],\"deny\":[\"10.0.0.0/8\"],\"hosts\":{\"a.test\":\"10.0.0.1\"},"
                  "\"max_connections\":3,\"max_bytes_out\":\"1M\",\"max_bytes_in\":\"2M\"}}",
                  &err) < 0)
                fail_msg("%s", err.msg);
}

static void assert_own_strv(char **a, char **b, size_t n) {
        if (n)
                assert_ptr_not_equal(a, b);
        for (size_t i = 0; i < n; i++) {
                assert_ptr_not_equal(a[i], b[i]);
                assert_string_equal(a[i], b[i]);
        }
}

static void copy_is_deep(void **state) {
        (void)state;
        policy p, c;
        ward_error err = {0};
        char before[DIGEST_HEX_LEN], copied[DIGEST_HEX_LEN], after[DIGEST_HEX_LEN];
        full_policy(&p);
        assert_int_equal(policy_digest(&p, before), 0);
        assert_int_equal(policy_copy(&p, &c), 0);
        assert_int_equal(policy_digest(&c, copied), 0);
        assert_string_equal(before, copied);
        /* Every pointer of the copy is its own. */
        assert_ptr_not_equal(c.name, p.name);
        assert_ptr_not_equal(c.workdir, p.workdir);
        assert_ptr_not_equal(c.output_dir, p.output_dir);
        assert_int_equal(c.n_env, 2);
        assert_own_strv(c.env, p.env, p.n_env);
        assert_int_equal(c.n_mounts, 2);
        assert_ptr_not_equal(c.mounts, p.mounts);
        for (size_t i = 0; i < p.n_mounts; i++) {
                assert_ptr_not_equal(c.mounts[i].source, p.mounts[i].source);
                assert_ptr_not_equal(c.mounts[i].target, p.mounts[i].target);
                assert_int_equal(c.mounts[i].rw, p.mounts[i].rw);
        }
        assert_int_equal(c.net.n_allow, 2);
        assert_own_strv(c.net.allow, p.net.allow, p.net.n_allow);
        assert_int_equal(c.net.n_deny, 1);
        assert_own_strv(c.net.deny, p.net.deny, p.net.n_deny);
        assert_int_equal(c.net.n_hosts, 1);
        assert_own_strv(c.net.hosts, p.net.hosts, p.net.n_hosts);
        /* Changed in every field, then freed: the original is as it was. */
        assert_int_equal(apply(&c,
                               "{\"name\":\"other\",\"limits\":{\"memory\":\"64M\",\"cpu_time\":\"1s\","
                               "\"wall_time\":\"1s\",\"pids\":9,\"file_size\":\"2M\",\"disk\":\"9M\",\"output\":\"5K\","
                               "\"output_mode\":\"stop\",\"max_violations\":6},\"env\":{\"A\":\"x\",\"C\":\"3\"},"
                               "\"workdir\":\"/w2\",\"output_dir\":\"/o2\",\"mounts\":[{\"source\":\"/var\"}],"
                               "\"network\":{\"allow\":[\"c.test\"],\"deny\":[\"192.168.0.0/16\"],"
                               "\"hosts\":{\"a.test\":\"10.0.0.9\"},\"max_connections\":4,\"max_bytes_out\":\"3M\","
                               "\"max_bytes_in\":\"4M\"}}",
                               &err),
                         0);
        c.mounts[0].rw = !c.mounts[0].rw;
        c.allow_without_cgroups = c.allow_without_landlock = false;
        c.net.mode = NET_MODE_NONE;
        c.env[1][0] = 'Z';
        c.net.allow[0][0] = 'z';
        policy_free(&c);
        assert_int_equal(policy_digest(&p, after), 0);
        assert_string_equal(before, after);
        assert_string_equal(p.name, "full");
        assert_string_equal(p.env[0], "A=1");
        assert_string_equal(p.env[1], "B=2");
        assert_string_equal(p.net.allow[0], "a.test:443");
        assert_string_equal(p.mounts[0].source, "/usr");
        assert_false(p.mounts[0].rw);
        /* The other way round: the copy outlives its original. */
        assert_int_equal(policy_copy(&p, &c), 0);
        policy_free(&p);
        assert_int_equal(policy_digest(&c, after), 0);
        assert_string_equal(before, after);
        policy_free(&c);
        /* A policy with no strings at all copies as well. */
        policy_init_default(&p);
        assert_int_equal(policy_copy(&p, &c), 0);
        assert_null(c.name);
        assert_null(c.env);
        assert_null(c.mounts);
        assert_null(c.net.allow);
        assert_int_equal(policy_digest(&p, before), 0);
        assert_int_equal(policy_digest(&c, after), 0);
        assert_string_equal(before, after);
        policy_free(&c);
        policy_free(&p);
}

/* p is refused by tier, with field named. */
static void expect_over(const policy *p, const policy *tier, const char *field) {
        ward_error err = {0};
        assert_int_equal(policy_within_tier(p, tier, &err), -EPERM);
        assert_string_equal(err.reason, "over_tier");
        assert_string_equal(err.field, field);
        if (!strstr(err.msg, field))
                fail_msg("message '%s' does not name %s", err.msg, field);
}

static void within_tier(void **state) {
        (void)state;
        policy tier, p;
        ward_error err = {0};
        full_policy(&tier);
        assert_int_equal(policy_copy(&tier, &p), 0);
        /* Equal is within, and so is lower in every limit. */
        assert_int_equal(policy_within_tier(&p, &tier, &err), 0);
        /* Each limit, a value below the tier's and one above it. */
        static const struct {
                const char *key, *field, *less, *more;
        } limits[] = {
                {"memory", "limits.memory", "64M", "129M"},
                {"cpu_time", "limits.cpu_time", "1s", "2001ms"},
                {"wall_time", "limits.wall_time", "1ms", "4s"},
                {"pids", "limits.pids", "1", "11"},
                {"file_size", "limits.file_size", "1", "2M"},
                {"disk", "limits.disk", "64K", "9M"},
                {"output", "limits.output", "1", "5K"},
                {"max_violations", "limits.max_violations", "1", "6"},
                {"cpu_rate", "limits.cpu_rate", "0.5", "1001m"},
                {"session_idle_timeout", "limits.session_idle_timeout", "1m", "11m"},
                {"session_max_lifetime", "limits.session_max_lifetime", "1m", "2h"},
                {"max_connections", "network.max_connections", "1", "4"},
                {"max_bytes_out", "network.max_bytes_out", "1", "2M"},
                {"max_bytes_in", "network.max_bytes_in", "1", "3M"},
        };
        for (size_t i = 0; i < sizeof limits / sizeof *limits; i++)
                assert_int_equal(policy_set(&p, limits[i].key, limits[i].less, &err), 0);
        assert_int_equal(policy_within_tier(&p, &tier, &err), 0);
        policy_free(&p);
        /* One limit above the tier's, each in turn: refused, and named. */
        for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
                assert_int_equal(policy_copy(&tier, &p), 0);
                assert_int_equal(policy_set(&p, limits[i].key, limits[i].more, &err), 0);
                expect_over(&p, &tier, limits[i].field);
                policy_free(&p);
        }
        /* Two above: the first in the order of "limits" is named. */
        assert_int_equal(policy_copy(&tier, &p), 0);
        assert_int_equal(policy_set(&p, "disk", "9M", &err), 0);
        assert_int_equal(policy_set(&p, "pids", "11", &err), 0);
        expect_over(&p, &tier, "limits.pids");
        policy_free(&p);
        policy_free(&tier);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(defaults),
                cmocka_unit_test(full_file),
                cmocka_unit_test(errors_name_the_place),
                cmocka_unit_test(overrides),
                cmocka_unit_test(validate_checks_the_host),
                cmocka_unit_test(digest_is_stable),
                cmocka_unit_test(copy_is_deep),
                cmocka_unit_test(within_tier),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
