/* The Result of a run, and its JSON document (the same for ward run --json,
 * the audit log, and later the HTTP API). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/buf.h"
#include "basic/limits.h"

typedef enum {
        STATUS_OK,
        STATUS_EXIT,
        STATUS_SIGNAL,
        STATUS_TIMEOUT,
        STATUS_CPU_LIMIT,
        STATUS_MEMORY_LIMIT,
        STATUS_PIDS_LIMIT,
        STATUS_OUTPUT_LIMIT,
        STATUS_FILE_SIZE_LIMIT,
        STATUS_DISK_LIMIT,
        STATUS_NETWORK_LIMIT,
        STATUS_VIOLATION,
        STATUS_ERROR,
} run_status;

const char *status_name(run_status s);

typedef struct run_event {
        char type[24];  /* syscall_denied, limit, output_skipped, network_refused, dns, ... */
        char name[160]; /* the syscall, the limit, the file, the destination */
        uint64_t count;
} run_event;

typedef struct result {
        run_status status;
        int exit_code;  /* -1 when none */
        int signal;     /* 0 when none */
        int exec_class; /* 126/127 when the program never ran */
        uint64_t wall_ms, cpu_ms, memory_peak;
        buf out, err; /* kept output (out.truncated, err.truncated) */
        unsigned protections;
        int cgroup_version;
        run_event events[WARD_EVENTS_MAX];
        unsigned n_events;
        uint64_t events_dropped;
        char error[WARD_ERROR_MAX]; /* with STATUS_ERROR */
        json_t *network;            /* with the network allowlist: connections and bytes */
} result;

void result_init(result *r, uint64_t output_cap);
void result_free(result *r);
/* Adds `count` to the event (type, name), creating it if needed. */
void result_event(result *r, const char *type, const char *name, uint64_t count);
json_t *result_to_json(const result *r);
/* The exit status ward run gives without --json (see ward-run(1)). */
int result_exit_code(const result *r);

/* The most text the JSON document of a result can take when each output
 * is capped at output_cap bytes: escaping turns one byte into at most six
 * ("\u0000"), and the events and fields add a bounded rest. */
size_t result_text_max(uint64_t output_cap);
