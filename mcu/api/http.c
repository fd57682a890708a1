/* SPDX-License-Identifier: MIT */
/*
 * HTTP server and router. One SoupServer; requests are dispatched through route tables registered by
 * the API modules (health, WHIP, admin, ...). Threads: control thread only.
 */
#define G_LOG_DOMAIN "mcu-http"

#include "http.h"

#include "mcu-build-config.h"

#include <string.h>

typedef struct {
  const McuRoute *routes;
  gsize n_routes;
  gpointer user_data;
} RouteTable;

struct _McuHttp {
  SoupServer *server;
  GArray *tables; /* RouteTable */
  GInetSocketAddress *address;
};

GInetSocketAddress *
mcu_http_parse_address (const char *address, GError **error)
{
  const char *colon = address ? strrchr (address, ':') : NULL;
  guint64 port = 0;

  if (colon == NULL || colon == address) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' is not ADDRESS:PORT (for example 127.0.0.1:8080)", address ? address : "");
    return NULL;
  }
  g_autofree char *host = g_strndup (address, colon - address);
  if (host[0] == '[' && host[strlen (host) - 1] == ']') {
    memmove (host, host + 1, strlen (host));
    host[strlen (host) - 1] = '\0';
  }
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);
  if (inet == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' in '%s' is not an IP address", host, address);
    return NULL;
  }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' in '%s' is not a port number (0-65535)", colon + 1, address);
    return NULL;
  }
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, (guint16) port));
}

void
mcu_http_pause (SoupServerMessage *msg)
{
  soup_server_message_set_status (msg, SOUP_STATUS_ACCEPTED, NULL);
  soup_server_message_pause (msg);
}

void
mcu_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *body = json_to_string (node, FALSE);
  gsize len = strlen (body);

  json_node_unref (node);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&body), len);
}

void
mcu_http_reply_error (SoupServerMessage *msg, guint status, const char *error,
                      const char *detail_format, ...)
{
  va_list args;
  va_start (args, detail_format);
  g_autofree char *detail = g_strdup_vprintf (detail_format, args);
  va_end (args);

  g_autoptr (JsonBuilder) builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error);
  json_builder_set_member_name (builder, "detail");
  json_builder_add_string_value (builder, detail);
  json_builder_end_object (builder);
  mcu_http_reply_json (msg, status, json_builder_get_root (builder));
}

/* Matches @path against @pattern, filling @request->params; FALSE when it does not match. */
static gboolean
match_pattern (const char *pattern, const char *path, McuRequest *request)
{
  g_auto (GStrv) want = g_strsplit (pattern, "/", -1);
  g_auto (GStrv) have = g_strsplit (path, "/", -1);
  guint n = 0;

  if (g_strv_length (want) != g_strv_length (have))
    return FALSE;
  for (guint i = 0; want[i] != NULL; i++) {
    if (want[i][0] == '{') {
      if (have[i][0] == '\0' || n == MCU_HTTP_MAX_PARAMS)
        return FALSE;
      n++;
    } else if (!g_str_equal (want[i], have[i])) {
      return FALSE;
    }
  }
  request->n_params = 0;
  for (guint i = 0; want[i] != NULL; i++)
    if (want[i][0] == '{')
      request->params[request->n_params++] = g_strdup (have[i]);
  return TRUE;
}

static void
clear_params (McuRequest *request)
{
  for (guint i = 0; i < request->n_params; i++)
    g_clear_pointer (&request->params[i], g_free);
  request->n_params = 0;
}

static void
dispatch (McuHttp *http, McuRequest *request)
{
  g_autoptr (GString) allow = g_string_new (NULL);

  for (guint t = 0; t < http->tables->len; t++) {
    RouteTable *table = &g_array_index (http->tables, RouteTable, t);
    for (gsize i = 0; i < table->n_routes; i++) {
      const McuRoute *route = &table->routes[i];
      clear_params (request);
      if (!match_pattern (route->pattern, request->path, request))
        continue;
      if (g_str_equal (route->method, "*") || g_str_equal (route->method, request->method)) {
        route->handler (request, table->user_data);
        return;
      }
      g_string_append_printf (allow, "%s%s", allow->len ? ", " : "", route->method);
    }
  }
  if (allow->len > 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers (request->msg), "Allow",
                                  allow->str);
    mcu_http_reply_error (request->msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method-not-allowed",
                          "%s is not allowed on %s (allowed: %s)", request->method, request->path,
                          allow->str);
    return;
  }
  mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such path: %s",
                        request->path);
}

static void
on_request (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer user_data)
{
  McuRequest request = {
    .msg = msg,
    .method = soup_server_message_get_method (msg),
    .path = path,
  };
  dispatch (user_data, &request);
  clear_params (&request);
}

McuHttp *
mcu_http_new (const char *address, GError **error)
{
  g_autoptr (GInetSocketAddress) inet = mcu_http_parse_address (address, error);
  if (inet == NULL)
    return NULL;

  g_autoptr (McuHttp) http = g_new0 (McuHttp, 1);
  http->tables = g_array_new (FALSE, TRUE, sizeof (RouteTable));
  http->server = soup_server_new ("server-header", "mcu/" MCU_VERSION " ", NULL);
  soup_server_add_handler (http->server, NULL, on_request, http, NULL);
  if (!soup_server_listen (http->server, G_SOCKET_ADDRESS (inet), 0, error)) {
    g_prefix_error (error, "cannot listen on %s: ", address);
    return NULL;
  }
  GSList *uris = soup_server_get_listeners (http->server);
  if (uris != NULL) {
    GSocketAddress *local = g_socket_get_local_address (uris->data, NULL);
    http->address = G_INET_SOCKET_ADDRESS (local);
  }
  g_slist_free (uris);
  return g_steal_pointer (&http);
}

void
mcu_http_free (McuHttp *http)
{
  if (http->server != NULL) {
    soup_server_disconnect (http->server);
    g_object_unref (http->server);
  }
  g_clear_object (&http->address);
  g_array_unref (http->tables);
  g_free (http);
}

void
mcu_http_add_routes (McuHttp *http, const McuRoute *routes, gsize n_routes, gpointer user_data)
{
  RouteTable table = { routes, n_routes, user_data };
  g_array_append_val (http->tables, table);
}

guint
mcu_http_get_port (McuHttp *http)
{
  return http->address ? g_inet_socket_address_get_port (http->address) : 0;
}

char *
mcu_http_get_url (McuHttp *http)
{
  GInetAddress *inet = g_inet_socket_address_get_address (http->address);
  g_autofree char *host = g_inet_address_to_string (inet);
  gboolean v6 = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6;

  if (g_inet_address_get_is_any (inet))
    return g_strdup_printf ("http://%s:%u/", v6 ? "[::1]" : "127.0.0.1", mcu_http_get_port (http));
  return g_strdup_printf (v6 ? "http://[%s]:%u/" : "http://%s:%u/", host, mcu_http_get_port (http));
}

SoupServer *
mcu_http_get_soup_server (McuHttp *http)
{
  return http->server;
}
