/* ward mcp: the Model Context Protocol face of ward serve's service.
 *
 * `ward mcp` runs the same privileged parent as `ward serve`
 * (src/server/parent.c) with a different front: instead of HTTP on a port,
 * the front process speaks MCP (JSON-RPC 2.0, one message a line) on the
 * client's stdin and stdout, and turns each tools/call into the same
 * FRAME_REQUEST the HTTP front would send (see front.c's header comment).
 * The front confines itself exactly as the HTTP one does (front_confine)
 * before it reads a byte from the client. */
#pragma once

#include <stdbool.h>

#include "basic/limits.h"

/* Its caps are in basic/limits.h (WARD_MCP_*). */
#define WARD_MCP_PROTOCOL "2025-11-25" /* answered unless the client asks for one below */
#define WARD_MCP_PROTOCOLS "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"

typedef struct mcp_ctx {
        int in_fd;           /* the client's stdin, dup'd above 10 (front_confine keeps it) */
        int out_fd;          /* the client's stdout, dup'd above 10; becomes fd 1 in the front */
        const char *summary; /* what the policy allows, in words, for tool descriptions */
} mcp_ctx;

/* The front process's whole life (serve_opts.front_fn): confines itself,
 * serves MCP until stdin ends, ends this client's sessions, returns the
 * exit status (0 after EOF, 1 on a broken parent or confinement). */
int mcp_front_main(int parent_fd, void *ctx);
