/* What the three parts of ward mcp share (mcp-tools.c, mcp-render.c,
 * mcp.c); nothing outside src/mcp/ and its unit tests includes this. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What a request to the parent was, so that its answer can be rendered. */
enum mcp_kind { K_RUN, K_SCREATE, K_CELL, K_PUT, K_GET, K_LIST, K_END, K_EOF_END };

/* ---- mcp-tools.c: the tools, their arguments, their requests ---- */

typedef struct mcp_tool mcp_tool;

/* The tool of that name, or NULL. */
const mcp_tool *mcp_tool_find(const char *name);
const char *mcp_tool_name(const mcp_tool *t);
/* tools/list's array: every tool with its inputSchema (and run_code's
 * outputSchema); summary, the policy in words, ends some descriptions. */
json_t *mcp_tools_json(const char *summary);
/* The arguments against the tool's table (unknown, required, types, enums,
 * ranges): -EINVAL with -32602's message in msg when they do not match. */
int mcp_check_args(const mcp_tool *t, const json_t *args, char *msg, size_t len);
/* A session id that can name a session (ses_ and hex digits, as the
 * parent makes them; checked loosely: letters, digits, _ and -). */
bool mcp_session_id_ok(const char *sid);

/* One tool call as the parent's request. */
typedef struct mcp_request {
        json_t *msg; /* the FRAME_REQUEST's JSON */
        char *blob;  /* its blob (a file's bytes), or NULL; free() */
        size_t blob_len;
        const char *sid, *path; /* the session and path, in args; or NULL */
        enum mcp_kind kind;
} mcp_request;

/* The request for checked arguments; stream asks for output chunks.
 * -EINVAL with -32602's message in msg (content that is not base64),
 * -ENOMEM. */
int mcp_tool_request(const mcp_tool *t, const json_t *args, bool stream, mcp_request *ret, char *msg, size_t len);

/* ---- mcp-render.c: the parent's answers as tool results ---- */

json_t *mcp_text_item(const char *text);
json_t *mcp_tool_result(json_t *content, json_t *structured, bool is_error);
/* A refusal (HTTP status 400 and above) as a tool result with isError;
 * its sentence also in text, for the client's log. */
json_t *mcp_render_refusal(const json_t *reply, char *text, size_t len);
/* An answer (status 200 to 399) to a request of this kind; session and
 * path are the request's, blob the reply frame's. NULL when there is
 * nothing to send (K_EOF_END) or, with *ret_error set, when the answer
 * cannot be rendered (a JSON-RPC internal error). */
json_t *mcp_render_answer(enum mcp_kind kind, const json_t *reply, const char *blob, size_t blob_len,
                          const char *session, const char *path, const char **ret_error);
