/* SPDX-License-Identifier: MIT */
/*
 * McuHttp: the server's HTTP front door (libsoup-3), with a route table and JSON errors.
 *
 * Routes are tables of { method, pattern, handler }; a pattern segment "{name}" matches any one path
 * segment and is handed to the handler in McuRequest.params. A path that matches no pattern gets 404,
 * a path that matches with another method gets 405 with an Allow header; both with the JSON error body
 * of the signalling contract: {"error": "...", "detail": "..."}.
 *
 * Threads: created and used on the control thread (the main context); handlers run there.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MCU_HTTP_MAX_PARAMS 4

typedef struct _McuHttp McuHttp;

typedef struct {
  SoupServerMessage *msg;
  const char *method;
  const char *path;
  char *params[MCU_HTTP_MAX_PARAMS]; /* the "{x}" segments, in order; owned by the router, valid
                                      * for the handler call (copy what an async reply needs) */
  guint n_params;
} McuRequest;

typedef void (*McuRouteHandler) (McuRequest *request, gpointer user_data);

typedef struct {
  const char *method;   /* "GET", "POST", ...; "*" for any */
  const char *pattern;  /* "/whip/{room}" */
  McuRouteHandler handler;
} McuRoute;

/* (transfer full): listens on @address ("127.0.0.1:8080", "[::]:8080", "0.0.0.0:80"). */
McuHttp *mcu_http_new (const char *address, GError **error);
void mcu_http_free (McuHttp *http);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuHttp, mcu_http_free)

/* The routes are copied by reference: @routes must outlive @http (use static tables). */
void mcu_http_add_routes (McuHttp *http, const McuRoute *routes, gsize n_routes, gpointer user_data);
/* The port actually bound (useful with port 0 in tests). */
guint mcu_http_get_port (McuHttp *http);
/* The URL a person opens, e.g. "http://127.0.0.1:8080/". (transfer full) */
char *mcu_http_get_url (McuHttp *http);

/* The libsoup server underneath (transfer none): for WebSocket handlers and request signals. */
SoupServer *mcu_http_get_soup_server (McuHttp *http);

/* Parses "ADDR:PORT" into an address; FALSE with a message naming the problem. */
GInetSocketAddress *mcu_http_parse_address (const char *address, GError **error);

/* Pauses @msg for an asynchronous reply (finish with soup_server_message_unpause). It sets a
 * provisional status first: libsoup treats a message whose handler set no status as a WebSocket
 * upgrade attempt, and would write its own 400 into the body. */
void mcu_http_pause (SoupServerMessage *msg);

/* Replies. @node is taken (transfer full). */
void mcu_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *node);
void mcu_http_reply_error (SoupServerMessage *msg, guint status, const char *error,
                           const char *detail_format, ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
