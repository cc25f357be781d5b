/* Result bookkeeping and its JSON encoding. Output that is not valid UTF-8
 * is kept intact as base64, with an explicit encoding field. */
#include "supervise/result.h"

#include "basic/limits.h"

#include <nettle/base64.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/utf8.h"
#include "jail/jail.h"

static const char *const status_names[] = {
        [STATUS_OK] = "ok",
        [STATUS_EXIT] = "exit",
        [STATUS_SIGNAL] = "signal",
        [STATUS_TIMEOUT] = "timeout",
        [STATUS_CPU_LIMIT] = "cpu_limit",
        [STATUS_MEMORY_LIMIT] = "memory_limit",
        [STATUS_PIDS_LIMIT] = "pids_limit",
        [STATUS_OUTPUT_LIMIT] = "output_limit",
        [STATUS_FILE_SIZE_LIMIT] = "file_size_limit",
        [STATUS_DISK_LIMIT] = "disk_limit",
        [STATUS_NETWORK_LIMIT] = "network_limit",
        [STATUS_VIOLATION] = "violation",
        [STATUS_ERROR] = "error",
};

const char *status_name(run_status s) {
        return (unsigned)s < ELEMENTSOF(status_names) ? status_names[s] : "error";
}

void result_init(result *r, uint64_t output_cap) {
        memset(r, 0, sizeof *r);
        r->exit_code = -1;
        buf_init(&r->out, output_cap);
        buf_init(&r->err, output_cap);
}

void result_free(result *r) {
        buf_free(&r->out);
        buf_free(&r->err);
        json_decref(r->network);
        r->network = NULL;
}

void result_event(result *r, const char *type, const char *name, uint64_t count) {
        for (unsigned i = 0; i < r->n_events; i++)
                if (strcmp(r->events[i].type, type) == 0 && strcmp(r->events[i].name, name) == 0) {
                        r->events[i].count += count;
                        return;
                }
        if (r->n_events >= WARD_EVENTS_MAX) {
                r->events_dropped += count;
                return;
        }
        run_event *e = &r->events[r->n_events++];
        snprintf(e->type, sizeof e->type, "%s", type);
        snprintf(e->name, sizeof e->name, "%s", name);
        e->count = count;
}

static int add_output(json_t *doc, const char *key, const buf *b) {
        int bad = 0;
        char enc_key[32], trunc_key[32];
        snprintf(enc_key, sizeof enc_key, "%s_encoding", key);
        snprintf(trunc_key, sizeof trunc_key, "%s_truncated", key);
        const char *data = b->data ? b->data : "";
        if (utf8_valid(data, b->len)) {
                bad |= json_object_set_new(doc, key, json_stringn(data, b->len));
                bad |= json_object_set_new(doc, enc_key, json_string("utf-8"));
        } else {
                size_t n = BASE64_ENCODE_RAW_LENGTH(b->len);
                _cleanup_free_ char *enc = malloc(n + 1);
                if (enc) {
                        base64_encode_raw(enc, b->len, (const uint8_t *)data);
                        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): enc is freed by _cleanup_free_, which the analyzer does not model
                        bad |= json_object_set_new(doc, key, json_stringn(enc, n));
                } else {
                        bad = -1;
                }
                bad |= json_object_set_new(doc, enc_key, json_string("base64"));
        }
        bad |= json_object_set_new(doc, trunc_key, json_boolean(b->truncated));
        return bad;
}

/* Every set and append is checked: a document that lacks a field (say,
 * one of the protections) because an allocation failed would tell the
 * caller less than the truth. Any failure gives NULL. */
json_t *result_to_json(const result *r) {
        json_t *doc = json_object();
        int bad = 0;
        if (!doc)
                return NULL;
        bad |= json_object_set_new(doc, "status", json_string(status_name(r->status)));
        bad |= json_object_set_new(doc, "exit_code", r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
        bad |= json_object_set_new(doc, "signal", r->signal > 0 ? json_integer(r->signal) : json_null());
        bad |= json_object_set_new(doc, "wall_ms", json_integer((json_int_t)r->wall_ms));
        bad |= json_object_set_new(doc, "cpu_ms", json_integer((json_int_t)r->cpu_ms));
        bad |= json_object_set_new(doc, "memory_peak_bytes", json_integer((json_int_t)r->memory_peak));
        bad |= add_output(doc, "stdout", &r->out);
        bad |= add_output(doc, "stderr", &r->err);
        json_t *prot = json_array();
        for (unsigned bit = 1; bit; bit <<= 1)
                if ((r->protections & bit) && prot_name(bit))
                        bad |= json_array_append_new(prot, json_string(prot_name(bit)));
        bad |= json_object_set_new(doc, "protections", prot);
        bad |= json_object_set_new(doc, "cgroup",
                                   json_string(r->cgroup_version == 2   ? "v2"
                                               : r->cgroup_version == 1 ? "v1"
                                                                        : "none"));
        json_t *events = json_array();
        for (unsigned i = 0; i < r->n_events; i++) {
                const run_event *e = &r->events[i];
                json_t *ev = json_object();
                bad |= json_object_set_new(ev, "type", json_string(e->type));
                if (strcmp(e->type, "syscall_denied") == 0)
                        bad |= json_object_set_new(ev, "syscall", json_string(e->name));
                else if (strcmp(e->type, "limit") == 0)
                        bad |= json_object_set_new(ev, "limit", json_string(e->name));
                else
                        bad |= json_object_set_new(ev, "detail", json_string(e->name));
                bad |= json_object_set_new(ev, "count", json_integer((json_int_t)e->count));
                bad |= json_array_append_new(events, ev);
        }
        if (r->events_dropped)
                bad |= json_array_append_new(events, json_pack("{s:s, s:I}", "type", "events_dropped", "count",
                                                               (json_int_t)r->events_dropped));
        bad |= json_object_set_new(doc, "events", events);
        if (r->network)
                bad |= json_object_set(doc, "network", r->network);
        if (r->status == STATUS_ERROR)
                bad |= json_object_set_new(doc, "error", json_string(r->error));
        if (bad) {
                json_decref(doc);
                return NULL;
        }
        return doc;
}

int result_exit_code(const result *r) {
        switch (r->status) {
        case STATUS_OK:
                return 0;
        case STATUS_EXIT:
                if (r->exec_class)
                        return r->exec_class;
                return r->exit_code;
        case STATUS_TIMEOUT:
        case STATUS_CPU_LIMIT:
                return 124;
        case STATUS_ERROR:
                return 125;
        default:
                if (r->signal > 0)
                        return 128 + r->signal;
                if (r->exit_code >= 0)
                        return r->exit_code;
                return 137; /* ended by ward with SIGKILL */
        }
}

size_t result_text_max(uint64_t output_cap) {
        return (size_t)(2 * 6 * output_cap) + (size_t)WARD_EVENTS_MAX * 1024u + 64u * 1024u;
}
