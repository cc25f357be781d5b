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

static void digest_is_stable(void **state) {
        (void)state;
        policy a, b;
        ward_error err = {0};
        char da[DIGEST_HEX_LEN], db[DIGEST_HEX_LEN];
        policy_init_default(&a);
        policy_init_default(&b);
        policy_digest(&a, da);
        policy_digest(&b, db);
        assert_string_equal(da, db);
        assert_int_equal(strlen(da), 64);
        assert_int_equal(policy_set(&b, "pids", "65", &err), 0);
        policy_digest(&b, db);
        assert_string_not_equal(da, db);
        policy_free(&a);
        policy_free(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(defaults),
                cmocka_unit_test(full_file),
                cmocka_unit_test(errors_name_the_place),
                cmocka_unit_test(overrides),
                cmocka_unit_test(validate_checks_the_host),
                cmocka_unit_test(digest_is_stable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
