/* SPDX-License-Identifier: MIT */
/*
 * Static web files from the GResource /org/mcu/web/. Only names made of [a-z0-9._-] are looked up,
 * so no path can reach outside the web folder. Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-static"

#include "static.h"

#include <string.h>

#include "server.h"

#define RESOURCE_DIR "/org/mcu/web/"

static const struct {
  const char *suffix;
  const char *type;
} types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".json", "application/json" },
  { ".svg", "image/svg+xml" },
};

static const char *
content_type (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (name, types[i].suffix))
      return types[i].type;
  return "application/octet-stream";
}

static gboolean
safe_name (const char *name)
{
  if (name[0] == '.' || name[0] == '\0')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static void
serve (SoupServerMessage *msg, const char *name)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, name, NULL);
  g_autoptr (GBytes) bytes = safe_name (name) ? g_resources_lookup_data (path, 0, NULL) : NULL;

  if (bytes == NULL) {
    mcu_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such file: %s", name);
    return;
  }
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, content_type (name), SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
handle_console (McuRequest *request, gpointer user_data)
{
  serve (request->msg, "index.html");
}

static void
handle_join (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;

  if (mcu_server_lookup_room (server, request->params[0]) == NULL) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown-room", "there is no room '%s'",
                          request->params[0]);
    return;
  }
  serve (request->msg, "join.html");
}

static void
handle_file (McuRequest *request, gpointer user_data)
{
  serve (request->msg, request->params[0]);
}

static const McuRoute routes[] = {
  { "GET", "/", handle_console },
  { "GET", "/join/{room}", handle_join },
  { "GET", "/web/{file}", handle_file },
};

void
mcu_api_static_register (McuHttp *http, McuServer *server)
{
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), server);
}
