/* The sentence for each way a run or a cell can end (see status.h).
 *
 * One table: the status (and, for network_limit, which limit), how the
 * limit's value is written, and the sentence around it, with a second
 * form for when the value is not known (an MCP answer carries no policy).
 * Every face prints these and writes none of its own. */
#include "service/status.h"

#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/parse.h"
#include "policy/policy.h"
#include "supervise/result.h"

enum unit { U_NONE, U_MS, U_SIZE, U_COUNT };

typedef struct status_words {
        const char *status;
        const char *limit; /* NULL: whichever */
        enum unit unit;
        const char *before, *after; /* around the value */
        const char *plain;          /* without a value */
} status_words;

static const status_words words[] = {
        {"ok", NULL, U_NONE, NULL, NULL, "the program exited with code 0"},
        {"timeout", NULL, U_MS, "the wall-time limit (", ") ended the run", "the wall-time limit ended the run"},
        {"cpu_limit", NULL, U_MS, "the CPU-time limit (", ") ended the run", "the CPU-time limit ended the run"},
        {"memory_limit", NULL, U_SIZE, "the sandbox ran out of its ", " of memory",
         "the sandbox ran out of its memory"},
        {"pids_limit", NULL, U_COUNT, "the sandbox hit its limit of ", " processes",
         "the sandbox hit its limit of processes"},
        {"output_limit", NULL, U_SIZE, "the program wrote more than ", "",
         "the program wrote more output than the sandbox keeps"},
        {"file_size_limit", NULL, U_SIZE, "the program wrote a file larger than ", "",
         "the program wrote a file larger than the sandbox allows"},
        {"disk_limit", NULL, U_SIZE, "the sandbox filled its ", " of writable space",
         "the sandbox filled its writable space"},
        {"network_limit", "network_bytes_in", U_SIZE, "the program received more than ", " over the network",
         "the program received more over the network than its limit allows"},
        {"network_limit", "network_bytes_out", U_SIZE, "the program sent more than ", " over the network",
         "the program sent more over the network than its limit allows"},
        {"network_limit", "network_connections", U_COUNT, "the program tried more than ", " network connections",
         "the program tried more network connections than its limit allows"},
        {"network_limit", NULL, U_NONE, NULL, NULL, "a network limit ended the run"},
        {"violation", NULL, U_COUNT, "more than ", " denied system calls", "too many denied system calls"},
        {"error", NULL, U_NONE, NULL, NULL, "the code raised an error or the sandbox failed"},
        {"crashed", NULL, U_NONE, NULL, NULL, "the interpreter died; the session is gone"},
        {"restarted", NULL, U_NONE, NULL, NULL, "the interpreter died and was restarted; state is lost"},
        {"cancelled", NULL, U_NONE, NULL, NULL, "the call was cancelled and the cell interrupted"},
};

static const char *first_limit_event(const result *r) {
        for (unsigned i = 0; i < r->n_events; i++)
                if (strcmp(r->events[i].type, "limit") == 0)
                        return r->events[i].name;
        return NULL;
}

static uint64_t limit_value(const result *r, const policy *p, const char *limit) {
        switch (r->status) {
        case STATUS_TIMEOUT:
                return p->wall_time_ms;
        case STATUS_CPU_LIMIT:
                return p->cpu_time_ms;
        case STATUS_MEMORY_LIMIT:
                return p->memory;
        case STATUS_PIDS_LIMIT:
                return p->pids;
        case STATUS_OUTPUT_LIMIT:
                return p->output;
        case STATUS_FILE_SIZE_LIMIT:
                return p->file_size;
        case STATUS_DISK_LIMIT:
                return p->disk;
        case STATUS_VIOLATION:
                return p->max_violations;
        case STATUS_NETWORK_LIMIT:
                if (!limit)
                        return 0;
                if (strcmp(limit, "network_bytes_in") == 0)
                        return p->net.max_bytes_in;
                if (strcmp(limit, "network_bytes_out") == 0)
                        return p->net.max_bytes_out;
                if (strcmp(limit, "network_connections") == 0)
                        return p->net.max_connections;
                return 0;
        default:
                return 0;
        }
}

void status_facts_from_result(const result *r, const policy *p, status_facts *ret) {
        const char *limit = first_limit_event(r);
        *ret = (status_facts){
                .status = status_name(r->status),
                .exit_code = r->exit_code,
                .signal = r->signal,
                .limit = limit,
                .value = limit_value(r, p, limit),
                .detail = r->status == STATUS_ERROR && r->error[0] ? r->error : NULL,
        };
}

void status_facts_from_doc(const json_t *doc, status_facts *ret) {
        const json_t *code = json_object_get(doc, "exit_code"), *sig = json_object_get(doc, "signal");
        const char *limit = NULL;
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(doc, "events"), i, e) {
                const char *type = json_string_value(json_object_get(e, "type"));
                if (type && strcmp(type, "limit") == 0) {
                        limit = json_string_value(json_object_get(e, "limit"));
                        break;
                }
        }
        *ret = (status_facts){
                .status = json_string_value(json_object_get(doc, "status")),
                .exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1,
                .signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0,
                .limit = limit,
        };
}

void status_text(const status_facts *f, char *out, size_t len) {
        const char *st = f->status;
        if (!st) {
                snprintf(out, len, "unknown: the run ended without a status");
                return;
        }
        if (strcmp(st, "error") == 0 && f->detail) {
                snprintf(out, len, "%s", f->detail);
                return;
        }
        if (strcmp(st, "exit") == 0) {
                snprintf(out, len, "exit: the program exited with code %d", f->exit_code);
                return;
        }
        if (strcmp(st, "signal") == 0) {
                snprintf(out, len, "signal: the program was killed by signal %d", f->signal);
                return;
        }
        const status_words *w = NULL;
        for (size_t i = 0; i < ELEMENTSOF(words) && !w; i++)
                if (strcmp(words[i].status, st) == 0 &&
                    (!words[i].limit || (f->limit && strcmp(words[i].limit, f->limit) == 0)))
                        w = &words[i];
        if (!w) {
                snprintf(out, len, "%s", st);
                return;
        }
        char value[32];
        switch (f->value ? w->unit : U_NONE) {
        case U_NONE:
                snprintf(out, len, "%s: %s", st, w->plain);
                return;
        case U_MS:
                snprintf(value, sizeof value, "%llums", (unsigned long long)f->value);
                break;
        case U_SIZE:
                format_size(f->value, value, sizeof value);
                break;
        case U_COUNT:
                snprintf(value, sizeof value, "%llu", (unsigned long long)f->value);
                break;
        }
        snprintf(out, len, "%s: %s%s%s", st, w->before, value, w->after);
}
