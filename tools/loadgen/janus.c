/* SPDX-License-Identifier: MIT */
/*
 * Janus AudioBridge signalling for the load generator (see janus.h). A small state machine on a GTask:
 * CREATE → ATTACH → JOIN (ack) → POLL (until an event carries the JSEP answer).
 *
 * Threads: the SoupSession's context (loadgen main thread). Control path only.
 */
#define G_LOG_DOMAIN "loadgen-janus"

#include "janus.h"

#include <json-glib/json-glib.h>
#include <string.h>

typedef enum { STEP_CREATE, STEP_ATTACH, STEP_JOIN, STEP_POLL } Step;

typedef struct {
  SoupSession *http;
  char *base_url, *session_url, *handle_url, *display, *offer;
  gint64 room;
  Step step;
  gboolean answered;
} Join;

static void
join_free (gpointer data)
{
  Join *join = data;

  g_object_unref (join->http);
  g_free (join->base_url);
  g_free (join->session_url);
  g_free (join->handle_url);
  g_free (join->display);
  g_free (join->offer);
  g_free (join);
}

static char *
request_body (Join *join)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const char *verbs[] = { "create", "attach", "message" };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "janus");
  json_builder_add_string_value (b, verbs[join->step]);
  json_builder_set_member_name (b, "transaction");
  json_builder_add_string_value (b, "loadgen");
  if (join->step == STEP_ATTACH) {
    json_builder_set_member_name (b, "plugin");
    json_builder_add_string_value (b, "janus.plugin.audiobridge");
  } else if (join->step == STEP_JOIN) {
    json_builder_set_member_name (b, "body");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "request");
    json_builder_add_string_value (b, "join");
    json_builder_set_member_name (b, "room");
    json_builder_add_int_value (b, join->room);
    json_builder_set_member_name (b, "display");
    json_builder_add_string_value (b, join->display);
    json_builder_end_object (b);
    json_builder_set_member_name (b, "jsep");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, "offer");
    json_builder_set_member_name (b, "sdp");
    json_builder_add_string_value (b, join->offer);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static void on_response (GObject *source, GAsyncResult *result, gpointer user_data);

static void
send_step (GTask *task)
{
  Join *join = g_task_get_task_data (task);
  const char *urls[] = { join->base_url, join->session_url, join->handle_url };
  g_autoptr (SoupMessage) msg = NULL;

  if (join->step == STEP_POLL) {
    g_autofree char *url = g_strdup_printf ("%s?maxev=1", join->session_url);
    msg = soup_message_new ("GET", url);
  } else {
    g_autofree char *body = request_body (join);
    msg = soup_message_new ("POST", urls[join->step]);
    if (msg != NULL) {
      gsize len = strlen (body);
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), len);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  }
  if (msg == NULL) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad Janus URL %s", join->base_url);
    g_object_unref (task);
    return;
  }
  soup_session_send_and_read_async (join->http, msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_response, task);
}

/* @name's object, or NULL when absent or not an object (json-glib's getter is critical on a missing
 * member, and Janus leaves out "jsep" in keepalives and other events). */
static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Advances on one response; returns FALSE with @error when the response is not what the step needs. */
static gboolean
handle (GTask *task, JsonObject *reply, GError **error)
{
  Join *join = g_task_get_task_data (task);
  const char *kind = json_object_get_string_member_with_default (reply, "janus", "");

  if (g_str_equal (kind, "error")) {
    JsonObject *e = object_member (reply, "error");
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Janus: %s",
                 e ? json_object_get_string_member_with_default (e, "reason", "error") : "error");
    return FALSE;
  }
  if (join->step == STEP_CREATE || join->step == STEP_ATTACH) {
    JsonObject *data = object_member (reply, "data");
    if (!g_str_equal (kind, "success") || data == NULL || !json_object_has_member (data, "id")) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Janus: unexpected reply to %s",
                   join->step == STEP_CREATE ? "create" : "attach");
      return FALSE;
    }
    gint64 id = json_object_get_int_member (data, "id");
    if (join->step == STEP_CREATE)
      join->session_url = g_strdup_printf ("%s/%" G_GINT64_FORMAT, join->base_url, id);
    else
      join->handle_url = g_strdup_printf ("%s/%" G_GINT64_FORMAT, join->session_url, id);
    join->step++;
    return TRUE;
  }
  if (join->step == STEP_JOIN) {
    join->step = STEP_POLL;
    return TRUE;   /* "ack"; the answer comes as an event */
  }
  JsonObject *jsep = object_member (reply, "jsep");
  if (g_str_equal (kind, "event") && jsep != NULL && json_object_has_member (jsep, "sdp")) {
    join->answered = TRUE;
    g_task_return_pointer (task, g_strdup (json_object_get_string_member (jsep, "sdp")), g_free);
    return TRUE;
  }
  return TRUE;     /* keepalive or another event: poll again */
}

static void
on_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (body == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                                   (gssize) g_bytes_get_size (body), &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    g_object_unref (task);
    return;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "Janus: reply is not a JSON object");
    g_object_unref (task);
    return;
  }
  if (!handle (task, json_node_get_object (root), &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    g_object_unref (task);
  } else if (((Join *) g_task_get_task_data (task))->answered) {
    g_object_unref (task);
  } else {
    send_step (task);
  }
}

void
loadgen_janus_join (SoupSession *http, const char *base_url, const char *room, const char *display,
                    const char *offer, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Join *join = g_new0 (Join, 1);

  join->http = g_object_ref (http);
  join->base_url = g_strdup (base_url);
  join->display = g_strdup (display);
  join->offer = g_strdup (offer);
  join->room = g_ascii_strtoll (room, NULL, 10);
  g_task_set_task_data (task, join, join_free);
  send_step (task);
}

char *
loadgen_janus_join_finish (GAsyncResult *result, char **session_url, GError **error)
{
  Join *join = g_task_get_task_data (G_TASK (result));
  char *answer = g_task_propagate_pointer (G_TASK (result), error);

  *session_url = answer != NULL ? g_strdup (join->session_url) : NULL;
  return answer;
}

void
loadgen_janus_leave (SoupSession *http, const char *session_url, GAsyncReadyCallback callback, gpointer user_data)
{
  const char *body = "{\"janus\":\"destroy\",\"transaction\":\"loadgen\"}";
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", session_url);
  g_autoptr (GBytes) bytes = g_bytes_new_static (body, strlen (body));

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (http, msg, G_PRIORITY_DEFAULT, NULL, callback, user_data);
}
