/* The Policy: everything that decides what a run may do.
 *
 * A Policy is built from the built-in defaults, then a policy file, then
 * per-request overrides (command-line options, API fields), each layer
 * validated as it is applied, with the place of any error. After
 * policy_validate() it is treated as immutable. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/digest.h"
#include "basic/error.h"

typedef enum {
        OUTPUT_MODE_STOP,     /* past the cap the run ends as output_limit */
        OUTPUT_MODE_TRUNCATE, /* past the cap the rest is dropped */
} output_mode;

typedef enum {
        NET_MODE_NONE,      /* loopback only */
        NET_MODE_ALLOWLIST, /* destinations the rules allow, through ward */
} net_mode;

/* The network part of a policy: rules as written (src/net/rules.h says
 * what they mean); each was parsed once when it was added, so a run only
 * parses what is known to be valid. */
typedef struct policy_net {
        net_mode mode;
        char **allow;
        size_t n_allow;
        char **deny;
        size_t n_deny;
        char **hosts; /* "NAME=ADDRESS" */
        size_t n_hosts;
        uint64_t max_connections;
        uint64_t max_bytes_out; /* all destinations together */
        uint64_t max_bytes_in;
} policy_net;

typedef struct policy_mount {
        char *source; /* absolute host path */
        char *target; /* absolute sandbox path */
        bool rw;
} policy_mount;

/* policy_copy() copies each pointer below into memory of its own: a new
 * pointer field must be added there too (tests/unit/test-policy.c checks
 * every one). */
typedef struct policy {
        char *name;
        uint64_t memory;      /* bytes, whole sandbox */
        uint64_t cpu_time_ms; /* whole sandbox */
        uint64_t wall_time_ms;
        uint64_t pids;
        uint64_t file_size; /* RLIMIT_FSIZE */
        uint64_t disk;      /* /tmp, /home/user, /dev/shm, /output together */
        uint64_t output;    /* per stream */
        output_mode output_mode;
        uint64_t max_violations;
        uint64_t cpu_rate_milli; /* CPU bandwidth, thousandths of a core */
        /* ward serve and ward mcp, in a tier: the most a session may ask
         * (and what it gets unless it asks less) */
        uint64_t session_idle_ms;
        uint64_t session_lifetime_ms;
        char **env; /* NAME=VALUE */
        size_t n_env;
        char *workdir;
        char *output_dir;
        policy_mount *mounts;
        size_t n_mounts;
        bool allow_without_cgroups;
        bool allow_without_landlock;
        policy_net net;
} policy;

void policy_init_default(policy *p);
void policy_free(policy *p);
/* A deep copy of src: every string and array in *ret is its own, so either
 * policy may be changed or freed without the other. 0, or -ENOMEM with
 * *ret untouched. */
int policy_copy(const policy *src, policy *ret);

/* Whether every limit of p (each of "limits" but output_mode, and
 * network's max_*) is at or below tier's: 0, or -EPERM with err naming the
 * first one above it (reason "over_tier", field "limits.memory", ...). */
int policy_within_tier(const policy *p, const policy *tier, ward_error *err);

/* Applies a JSON policy document on top of p. `origin` names the source in
 * messages ("policy.json"). Unknown keys, wrong types and values out of
 * range are errors naming the key. */
int policy_apply_json(policy *p, const char *text, size_t len, const char *origin, ward_error *err);
int policy_load_file(policy *p, const char *path, ward_error *err);

/* Sets one value from a string, as the command line gives it. `key` is the
 * policy key ("memory", "cpu_time", ...). */
int policy_set(policy *p, const char *key, const char *value, ward_error *err);
int policy_add_env(policy *p, const char *nv, ward_error *err);              /* NAME=VALUE */
int policy_add_mount(policy *p, const char *spec, bool rw, ward_error *err); /* HOST[:SANDBOX] */
/* --net: "none", or "allow=RULE,RULE..." / "deny=RULE,..." (which set the
 * allowlist mode). */
int policy_set_net(policy *p, const char *spec, ward_error *err);
int policy_add_net_rule(policy *p, bool deny, const char *rule, ward_error *err);
int policy_add_host(policy *p, const char *spec, ward_error *err); /* NAME:ADDRESS or NAME=ADDRESS */

/* Cross-field checks and host checks (bind sources exist). */
int policy_validate(const policy *p, ward_error *err);

/* The effective policy as JSON, and the SHA-256 of its canonical form. */
json_t *policy_to_json(const policy *p);
int policy_digest(const policy *p, char out[DIGEST_HEX_LEN]); /* 0 or -ENOMEM */
