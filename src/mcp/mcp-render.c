/* ward mcp's answers: what the parent sends back for a tool's request,
 * rendered as an MCP tool result. A result document (a run, a cell)
 * becomes text items for stdout and stderr, images for PNG displays and
 * the sentence for its status (service/status.c), with the document
 * itself as structuredContent; a session's file becomes text when it is
 * UTF-8 and an embedded resource otherwise; a refusal becomes a result
 * with isError. Which answer is still awaited, and what it changes in
 * the front's state, is mcp.c's. */
#include <errno.h>
#include <jansson.h>
#include <nettle/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/utf8.h"
#include "mcp/mcp-internal.h"
#include "service/status.h"

/* base64, by nettle as everywhere else in ward. */
static char *base64_encode(const unsigned char *in, size_t len) {
        char *out = malloc(BASE64_ENCODE_RAW_LENGTH(len) + 1);
        if (!out)
                return NULL;
        base64_encode_raw(out, len, in);
        out[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
        return out;
}

json_t *mcp_text_item(const char *text) {
        return json_pack("{s:s, s:s}", "type", "text", "text", text);
}

json_t *mcp_tool_result(json_t *content, json_t *structured, bool is_error) {
        json_t *r = json_pack("{s:o, s:b}", "content", content, "isError", is_error);
        if (structured)
                json_object_set_new(r, "structuredContent", structured);
        return r;
}

/* stdout or stderr of a result document, as a text item. */
static void add_stream(json_t *content, const json_t *doc, const char *name) {
        const char *text = json_string_value(json_object_get(doc, name));
        if (!text || !text[0])
                return;
        char key[32];
        snprintf(key, sizeof key, "%s_encoding", name);
        const char *enc = json_string_value(json_object_get(doc, key));
        snprintf(key, sizeof key, "%s_truncated", name);
        bool trunc = json_is_true(json_object_get(doc, key));
        size_t n = strlen(text) + 128;
        _cleanup_free_ char *s = malloc(n);
        if (!s)
                return;
        if (enc && strcmp(enc, "base64") == 0)
                snprintf(s, n, "[%s: not UTF-8; base64 in structuredContent.%s]", name, name);
        else if (strcmp(name, "stdout") == 0)
                snprintf(s, n, "%s%s", text, trunc ? "\n[stdout truncated]" : "");
        else
                snprintf(s, n, "[stderr]\n%s%s", text, trunc ? "\n[stderr truncated]" : "");
        json_array_append_new(content, mcp_text_item(s));
}

/* results and displays: text/plain as text, image/png as images. */
static void add_bundles(json_t *content, const json_t *arr, bool text_too) {
        size_t i;
        json_t *b;
        json_array_foreach(arr, i, b) {
                const char *png = json_string_value(json_object_get(b, "image/png"));
                if (png) {
                        json_array_append_new(content, json_pack("{s:s, s:s, s:s}", "type", "image", "mimeType",
                                                                 "image/png", "data", png));
                        continue;
                }
                const char *svg = json_string_value(json_object_get(b, "image/svg+xml"));
                const char *plain = json_string_value(json_object_get(b, "text/plain"));
                if (svg)
                        json_array_append_new(content, mcp_text_item(svg));
                else if (plain && text_too)
                        json_array_append_new(content, mcp_text_item(plain));
        }
}

static json_t *result_doc_answer(json_t *doc, bool cell) {
        json_t *content = json_array();
        add_stream(content, doc, "stdout");
        add_stream(content, doc, "stderr");
        if (cell) {
                add_bundles(content, json_object_get(doc, "displays"), true);
                add_bundles(content, json_object_get(doc, "results"), true);
                json_t *err = json_object_get(doc, "error");
                if (json_is_object(err)) {
                        char text[2048];
                        snprintf(text, sizeof text, "%s: %s", json_string_value(json_object_get(err, "ename")),
                                 json_string_value(json_object_get(err, "evalue")));
                        json_array_append_new(content, mcp_text_item(text));
                }
        } else {
                add_bundles(content, json_object_get(doc, "displays"), false);
                add_bundles(content, json_object_get(doc, "results"), false);
        }
        const char *st = json_string_value(json_object_get(doc, "status"));
        bool ok = st && strcmp(st, "ok") == 0;
        if (!ok) {
                status_facts sf;
                char words[256];
                status_facts_from_doc(doc, &sf);
                status_text(&sf, words, sizeof words);
                json_array_append_new(content, mcp_text_item(words));
        }
        if (json_array_size(content) == 0)
                json_array_append_new(content, mcp_text_item("(no output)"));
        return mcp_tool_result(content, json_incref(doc), !ok);
}

json_t *mcp_render_refusal(const json_t *reply, char *text, size_t len) {
        json_t *e = json_object_get(json_object_get(reply, "body"), "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        snprintf(text, len, "ward refused the request (%s, HTTP %d): %s", code ? code : "error",
                 (int)json_integer_value(json_object_get(reply, "status")), msg ? msg : "no message");
        return mcp_tool_result(json_pack("[o]", mcp_text_item(text)), NULL, true);
}

json_t *mcp_render_answer(enum mcp_kind kind, const json_t *reply, const char *blob, size_t blob_len,
                          const char *session, const char *path, const char **ret_error) {
        json_t *body = json_object_get(reply, "body");
        *ret_error = NULL;
        json_t *res = NULL;
        char text[1024];
        switch (kind) {
        case K_RUN:
        case K_CELL:
                if (!json_is_object(body)) {
                        *ret_error = "ward's server gave no result document";
                        break;
                }
                res = result_doc_answer(body, kind == K_CELL);
                break;
        case K_SCREATE:
                snprintf(text, sizeof text,
                         "Session %s (%s) is open. Use session_exec with this session_id; it ends with "
                         "session_end, after %" JSON_INTEGER_FORMAT " ms idle, or when this connection closes.",
                         json_string_value(json_object_get(body, "id")),
                         json_string_value(json_object_get(body, "language")),
                         json_integer_value(json_object_get(body, "idle_timeout_ms")));
                res = mcp_tool_result(json_pack("[o]", mcp_text_item(text)),
                                      json_is_object(body) ? json_incref(body) : NULL, false);
                break;
        case K_PUT:
                snprintf(text, sizeof text, "Wrote %" JSON_INTEGER_FORMAT " bytes to %s in session %s.",
                         json_integer_value(json_object_get(body, "size")), path ? path : "?", session);
                res = mcp_tool_result(json_pack("[o]", mcp_text_item(text)),
                                      json_is_object(body) ? json_incref(body) : NULL, false);
                break;
        case K_GET: {
                const char *ct = json_string_value(json_object_get(reply, "content_type"));
                json_t *item;
                if (utf8_valid(blob, blob_len)) {
                        item = json_pack("{s:s, s:s%}", "type", "text", "text", blob, blob_len);
                } else {
                        char *data = base64_encode((const unsigned char *)blob, blob_len);
                        char uri[8192];
                        snprintf(uri, sizeof uri, "ward://sessions/%s/files/%s", session, path ? path : "");
                        item = data ? json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "resource", "resource", "uri", uri,
                                                "mimeType", ct && ct[0] ? ct : "application/octet-stream", "blob", data)
                                    : NULL;
                        free(data);
                }
                if (!item) {
                        *ret_error = "out of memory";
                        break;
                }
                res = mcp_tool_result(json_pack("[o]", item), NULL, false);
                break;
        }
        case K_LIST: {
                json_t *files = json_object_get(body, "files");
                size_t cap = 64 + json_array_size(files) * 160, n = 0;
                char *s = malloc(cap);
                if (!s) {
                        *ret_error = "out of memory";
                        break;
                }
                s[0] = '\0';
                size_t i;
                json_t *e;
                json_array_foreach(files, i, e) {
                        int k = snprintf(s + n, cap - n, "%-7s %12" JSON_INTEGER_FORMAT "  %.128s\n",
                                         json_string_value(json_object_get(e, "type")),
                                         json_integer_value(json_object_get(e, "size")),
                                         json_string_value(json_object_get(e, "path")));
                        if (k < 0 || (size_t)k >= cap - n)
                                break;
                        n += (size_t)k;
                }
                res = mcp_tool_result(json_pack("[o]", mcp_text_item(n ? s : "(no files)")),
                                      json_is_object(body) ? json_incref(body) : NULL, false);
                free(s);
                break;
        }
        case K_END:
                snprintf(text, sizeof text, "Session %s has ended.", session);
                res = mcp_tool_result(json_pack("[o]", mcp_text_item(text)),
                                      json_is_object(body) ? json_incref(body) : NULL, false);
                break;
        case K_EOF_END:
                break;
        }
        return res;
}
