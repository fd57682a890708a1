/* SPDX-License-Identifier: MIT */
/* Unit tests for the HTTP front door: address parsing, routing (params, 404, 405) and JSON errors,
 * through a real libsoup server and client on loopback. */
#include "api/http.h"

#include <string.h>

static void
test_parse_address (void)
{
  static const char *good[] = { "127.0.0.1:8080", "0.0.0.0:0", "[::1]:80", "::1:80" };
  static const char *bad[] = { "", "8080", "localhost:80", "127.0.0.1:", "127.0.0.1:65536",
                               "127.0.0.1:-1", ":80", "1.2.3.4:8x" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GInetSocketAddress) a = mcu_http_parse_address (good[i], &error);
    g_assert_no_error (error);
    g_assert_nonnull (a);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GInetSocketAddress) a = mcu_http_parse_address (bad[i], &error);
    g_assert_null (a);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

static void
handle_echo_param (McuRequest *request, gpointer user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, request->params[0]);
  json_builder_set_member_name (builder, "tag");
  json_builder_add_string_value (builder, user_data);
  json_builder_end_object (builder);
  mcu_http_reply_json (request->msg, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static const McuRoute routes[] = {
  { "GET", "/rooms/{room}", handle_echo_param },
  { "DELETE", "/rooms/{room}", handle_echo_param },
};

typedef struct {
  guint status;
  char *body;
  char *allow;
} Reply;

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static Reply
fetch (SoupSession *session, McuHttp *http, const char *method, const char *path)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", mcu_http_get_port (http), path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  Reply reply = { 0 };

  /* The server runs on this thread's main context, so the client must be async and we iterate. */
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_fetched, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (session, result, &error);

  g_assert_no_error (error);
  reply.status = soup_message_get_status (msg);
  reply.body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  reply.allow = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Allow"));
  return reply;
}

static void
reply_clear (Reply *reply)
{
  g_free (reply->body);
  g_free (reply->allow);
}

static void
test_routing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuHttp) http = mcu_http_new ("127.0.0.1:0", &error);
  g_autoptr (SoupSession) session = soup_session_new ();

  g_assert_no_error (error);
  g_assert_cmpuint (mcu_http_get_port (http), >, 0);
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), (gpointer) "tag1");

  Reply ok = fetch (session, http, "GET", "/rooms/demo");
  g_assert_cmpuint (ok.status, ==, 200);
  g_assert_cmpstr (ok.body, ==, "{\"room\":\"demo\",\"tag\":\"tag1\"}");
  reply_clear (&ok);

  Reply missing = fetch (session, http, "GET", "/rooms/demo/extra");
  g_assert_cmpuint (missing.status, ==, 404);
  g_assert_nonnull (strstr (missing.body, "\"error\":\"not-found\""));
  reply_clear (&missing);

  Reply wrong = fetch (session, http, "PUT", "/rooms/demo");
  g_assert_cmpuint (wrong.status, ==, 405);
  g_assert_cmpstr (wrong.allow, ==, "GET, DELETE");
  g_assert_nonnull (strstr (wrong.body, "\"detail\":\"PUT is not allowed"));
  reply_clear (&wrong);
}

static void
test_port_taken (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuHttp) first = mcu_http_new ("127.0.0.1:0", &error);
  g_autofree char *again = g_strdup_printf ("127.0.0.1:%u", mcu_http_get_port (first));
  g_autoptr (McuHttp) second = mcu_http_new (again, &error);

  g_assert_null (second);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, again));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http/parse-address", test_parse_address);
  g_test_add_func ("/http/routing", test_routing);
  g_test_add_func ("/http/port-taken", test_port_taken);
  return g_test_run ();
}
