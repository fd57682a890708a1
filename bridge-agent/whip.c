/* SPDX-License-Identifier: MIT */
/*
 * WHIP client over libsoup-3 (see whip.h). Each join opens a new connection
 * (SOUP_MESSAGE_NEW_CONNECTION): after an mcu restart or a link cut a kept-alive connection is
 * dead, and a POST must not be silently replayed on it.
 *
 * Timeouts are ours, per request and in two phases, not libsoup's (its "timeout" is one inactivity
 * limit for connecting and for waiting alike): until the request is written (connecting included) a
 * request may take timeout_s, "cannot reach the server", kept short so that attempts repeat while a
 * link is down; after that the mcu has (or is about to have) our request, and a join's answer may take
 * answer_timeout_s. On a 600 ms round trip with 10 % loss one retransmitted segment (Linux's first RTO
 * there is about 1.8 s) already made a 3 s inactivity limit give up on a join whose answer was on its
 * way: the mcu had made a session the agent abandoned, and the next POST cost another 3-4 s.
 *
 * Threads: the agent's main loop; GTask callbacks run there.
 */
#define G_LOG_DOMAIN "bridge-whip"

#include "whip.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

G_DEFINE_QUARK (bridge-whip-error-quark, bridge_whip_error)

struct _BridgeWhip {
  SoupSession *session;
  char *join_url;
  char *token;
  char *session_url;
  char *hand_url;        /* POST {"session": session_url, "raised": bool}: the mcu's raise-hand */
  guint pending_deletes; /* DELETEs and hand POSTs still in flight (stop waits for them) */
  guint timeout_s;       /* until a request is written (connecting included); other requests' answers */
  guint answer_timeout_s; /* a join's answer, once the offer is written */
};

char *
bridge_whip_join_url (const char *server, const char *room, const char *name)
{
  g_autofree char *base = g_strdup (server);
  g_autofree char *room_e = g_uri_escape_string (room, NULL, FALSE);
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  if (name == NULL || *name == '\0')
    return g_strdup_printf ("%s/whip/%s", base, room_e);
  g_autofree char *name_e = g_uri_escape_string (name, NULL, FALSE);
  return g_strdup_printf ("%s/whip/%s?name=%s", base, room_e, name_e);
}

char *
bridge_whip_resolve (const char *base, const char *location)
{
  if (location == NULL || *location == '\0')
    return NULL;
  return g_uri_resolve_relative (base, location, G_URI_FLAGS_NONE, NULL);
}

char *
bridge_whip_error_text (guint status, const char *body, gsize len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *phrase = soup_status_get_phrase (status);

  if (body != NULL && len > 0 && json_parser_load_from_data (parser, body, (gssize) len, NULL)) {
    JsonNode *root = json_parser_get_root (parser);
    JsonObject *obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
    const char *error = obj ? json_object_get_string_member_with_default (obj, "error", NULL) : NULL;
    const char *detail = obj ? json_object_get_string_member_with_default (obj, "detail", "") : "";
    if (error != NULL)
      return g_strdup_printf ("HTTP %u %s: %s", status, error, detail);
  }
  return g_strdup_printf ("HTTP %u %s", status, phrase ? phrase : "");
}

BridgeWhip *
bridge_whip_new (const char *server, const char *room, const char *token, const char *name, guint timeout_s,
                 guint answer_timeout_s)
{
  BridgeWhip *whip = g_new0 (BridgeWhip, 1);
  gboolean guest = token == NULL || *token == '\0';

  /* No libsoup timeout: each request has its own two-phase deadline (send_async). */
  whip->session = soup_session_new_with_options ("timeout", 0, "idle-timeout", 30,
                                                 "user-agent", "bridge-agent ", NULL);
  whip->timeout_s = MAX (timeout_s, 1);
  whip->answer_timeout_s = MAX (answer_timeout_s, 1);
  whip->join_url = bridge_whip_join_url (server, room, guest ? name : NULL);
  g_autofree char *room_e = g_uri_escape_string (room, NULL, FALSE);
  g_autofree char *base = g_strdup (server);
  g_strchomp (base);
  while (*base != '\0' && base[strlen (base) - 1] == '/')
    base[strlen (base) - 1] = '\0';
  whip->hand_url = g_strdup_printf ("%s/api/rooms/%s/hand", base, room_e);
  whip->token = guest ? NULL : g_strdup (token);
  return whip;
}

void
bridge_whip_free (BridgeWhip *whip)
{
  soup_session_abort (whip->session);
  g_object_unref (whip->session);
  g_free (whip->join_url);
  g_free (whip->hand_url);
  g_free (whip->token);
  g_free (whip->session_url);
  g_free (whip);
}

const char *
bridge_whip_get_session_url (BridgeWhip *whip)
{
  return whip->session_url;
}

static SoupMessage *
new_message (BridgeWhip *whip, const char *method, const char *url, const char *type, const char *body)
{
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL)
    return NULL;
  if (whip->token != NULL) {
    g_autofree char *auth = g_strdup_printf ("Bearer %s", whip->token);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  }
  if (body != NULL) {
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, type, bytes);
  }
  return msg;
}

typedef struct {
  BridgeWhip *whip;
  SoupMessage *msg;
  guint expect;       /* the success status (201 for join, 200/204 for patch) */
  GCancellable *cancel;   /* ours: cancelled by the caller's cancellable or by the deadline */
  GCancellable *outer;    /* the caller's, or NULL */
  gulong outer_handler;
  GSource *deadline;
  gboolean written;       /* the request went out: now waiting for the answer */
  guint phase_s;          /* the running phase's limit */
  gboolean timed_out;
} Request;

static void
stop_deadline (Request *request)
{
  if (request->deadline != NULL) {
    g_source_destroy (request->deadline);
    g_clear_pointer (&request->deadline, g_source_unref);
  }
}

static void
request_free (Request *request)
{
  stop_deadline (request);
  if (request->outer != NULL)
    g_cancellable_disconnect (request->outer, request->outer_handler);
  g_clear_object (&request->outer);
  g_signal_handlers_disconnect_by_data (request->msg, request);
  g_object_unref (request->msg);
  g_object_unref (request->cancel);
  g_free (request);
}

guint
bridge_whip_phase_timeout (gboolean join, gboolean written, guint timeout_s, guint answer_timeout_s)
{
  return join && written ? answer_timeout_s : timeout_s;
}

char *
bridge_whip_timeout_text (gboolean written, guint seconds)
{
  return written ? g_strdup_printf ("no answer from the mcu within %u s of sending the request", seconds)
                 : g_strdup_printf ("could not reach the mcu within %u s", seconds);
}

static gboolean
on_deadline (gpointer user_data)
{
  Request *request = user_data;

  g_clear_pointer (&request->deadline, g_source_unref);
  request->timed_out = TRUE;
  g_cancellable_cancel (request->cancel);
  return G_SOURCE_REMOVE;
}

/* Starts the running phase's deadline afresh. */
static void
arm_deadline (Request *request)
{
  stop_deadline (request);
  request->phase_s = bridge_whip_phase_timeout (request->expect == 201, request->written, request->whip->timeout_s,
                                                request->whip->answer_timeout_s);
  request->deadline = g_timeout_source_new (request->phase_s * 1000);
  g_source_set_callback (request->deadline, on_deadline, request, NULL);
  g_source_attach (request->deadline, g_main_context_get_thread_default ());
}

/* SoupMessage::wrote-body: the request is out (a fresh connection stands); the answer phase begins. */
static void
on_wrote_body (SoupMessage *msg, gpointer user_data)
{
  Request *request = user_data;

  request->written = TRUE;
  arm_deadline (request);
}

static void
on_outer_cancelled (GCancellable *outer, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

/* Completes @task with the body text, or an error naming the status and the server's detail. */
static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  BridgeWhip *whip = request->whip;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status = soup_message_get_status (request->msg);
  gsize len = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  stop_deadline (request);
  if (bytes == NULL && request->timed_out) {
    g_autofree char *text = bridge_whip_timeout_text (request->written, request->phase_s);
    g_task_return_new_error (task, BRIDGE_WHIP_ERROR, 0, "%s", text);
    return;
  }
  if (bytes == NULL) {
    g_task_return_new_error (task, BRIDGE_WHIP_ERROR, 0, "%s", error->message);
    return;
  }
  if (status != request->expect && !(request->expect == 200 && status == 204)) {
    g_autofree char *text = bridge_whip_error_text (status, data, len);
    g_task_return_new_error (task, BRIDGE_WHIP_ERROR, (gint) status, "%s", text);
    return;
  }
  if (request->expect == 201) {
    const char *location = soup_message_headers_get_one (soup_message_get_response_headers (request->msg),
                                                         "Location");
    char *url = bridge_whip_resolve (whip->join_url, location);
    if (url == NULL) {
      g_task_return_new_error (task, BRIDGE_WHIP_ERROR, (gint) status, "201 without a usable Location header");
      return;
    }
    g_free (whip->session_url);
    whip->session_url = url;
  }
  g_task_return_pointer (task, g_strndup (data ? data : "", len), g_free);
}

static void
send_async (BridgeWhip *whip, SoupMessage *msg, guint expect, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  request->whip = whip;
  request->msg = msg;
  request->expect = expect;
  request->cancel = g_cancellable_new ();
  if (cancellable != NULL) {
    request->outer = g_object_ref (cancellable);
    request->outer_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_outer_cancelled),
                                                    g_object_ref (request->cancel), g_object_unref);
  }
  g_signal_connect (msg, "wrote-body", G_CALLBACK (on_wrote_body), request);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  arm_deadline (request);
  soup_session_send_and_read_async (whip->session, msg, G_PRIORITY_DEFAULT, request->cancel, on_sent, task);
}

void
bridge_whip_join_async (BridgeWhip *whip, const char *offer, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  SoupMessage *msg = new_message (whip, "POST", whip->join_url, "application/sdp", offer);

  if (msg == NULL) {
    g_task_report_new_error (NULL, callback, user_data, bridge_whip_join_async, BRIDGE_WHIP_ERROR, 0,
                             "'%s' is not a valid URL", whip->join_url);
    return;
  }
  soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION);
  g_clear_pointer (&whip->session_url, g_free);
  send_async (whip, msg, 201, cancellable, callback, user_data);
}

char *
bridge_whip_join_finish (BridgeWhip *whip, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
bridge_whip_patch_async (BridgeWhip *whip, const char *sdpfrag, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  SoupMessage *msg = whip->session_url
                       ? new_message (whip, "PATCH", whip->session_url, "application/trickle-ice-sdpfrag", sdpfrag)
                       : NULL;

  if (msg == NULL) {
    g_task_report_new_error (NULL, callback, user_data, bridge_whip_patch_async, BRIDGE_WHIP_ERROR, 0,
                             "no session to PATCH");
    return;
  }
  send_async (whip, msg, 200, cancellable, callback, user_data);
}

char *
bridge_whip_patch_finish (BridgeWhip *whip, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BridgeWhip *whip = user_data;

  g_free (g_task_propagate_pointer (G_TASK (result), NULL));
  whip->pending_deletes--;
}

guint
bridge_whip_get_pending (BridgeWhip *whip)
{
  return whip->pending_deletes;
}

void
bridge_whip_leave (BridgeWhip *whip)
{
  g_autofree char *url = g_steal_pointer (&whip->session_url);
  SoupMessage *msg = url ? new_message (whip, "DELETE", url, NULL, NULL) : NULL;

  if (msg == NULL)
    return;
  whip->pending_deletes++;
  send_async (whip, msg, 200, NULL, on_deleted, whip);
}

gboolean
bridge_whip_set_hand (BridgeWhip *whip, gboolean raised)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  if (whip->session_url == NULL)
    return FALSE;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "session");
  json_builder_add_string_value (builder, whip->session_url);
  json_builder_set_member_name (builder, "raised");
  json_builder_add_boolean_value (builder, raised);
  json_builder_end_object (builder);
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *body = json_to_string (root, FALSE);
  SoupMessage *msg = new_message (whip, "POST", whip->hand_url, "application/json", body);
  if (msg == NULL)
    return FALSE;
  whip->pending_deletes++;
  send_async (whip, msg, 200, NULL, on_deleted, whip);
  return TRUE;
}

/* The payload type of an "a=rtpmap:PT VP8/..." line, or -1. */
static int
vp8_payload_type (const char *line)
{
  guint64 pt = 0;
  const char *end = NULL;

  if (!g_str_has_prefix (line, "a=rtpmap:"))
    return -1;
  line += strlen ("a=rtpmap:");
  end = strchr (line, ' ');
  if (end == NULL || g_ascii_strncasecmp (end + 1, "VP8/", 4) != 0)
    return -1;
  g_autofree char *number = g_strndup (line, (gsize) (end - line));
  if (!g_ascii_string_to_unsigned (number, 10, 0, 127, &pt, NULL))
    return -1;
  return (int) pt;
}

/* Adds the missing goog-remb lines of the media section lines[first..last) after their rtpmap. */
static void
add_section (GString *out, char **lines, guint first, guint last, const char *eol)
{
  gboolean video = g_str_has_prefix (lines[first], "m=video ");

  for (guint i = first; i < last; i++) {
    g_string_append_printf (out, "%s%s", lines[i], eol);
    int pt = video ? vp8_payload_type (lines[i]) : -1;
    if (pt < 0)
      continue;
    g_autofree char *remb = g_strdup_printf ("a=rtcp-fb:%d goog-remb", pt);
    gboolean present = FALSE;
    for (guint j = first; j < last && !present; j++)
      present = g_str_equal (lines[j], remb);
    if (!present)
      g_string_append_printf (out, "%s%s", remb, eol);
  }
}

char *
bridge_sdp_add_goog_remb (const char *offer)
{
  if (offer == NULL)
    return NULL;
  const char *eol = strstr (offer, "\r\n") ? "\r\n" : "\n";
  g_auto (GStrv) lines = g_strsplit (offer, eol, -1);
  guint n = g_strv_length (lines);
  GString *out = g_string_sized_new (strlen (offer) + 64);

  /* g_strsplit leaves one empty string after the final line ending: it is not a line. */
  if (n > 0 && *lines[n - 1] == '\0')
    n--;
  for (guint first = 0; first < n;) {
    guint last = first + 1;
    while (last < n && !g_str_has_prefix (lines[last], "m="))
      last++;
    add_section (out, lines, first, last, eol);
    first = last;
  }
  if (!g_str_has_suffix (offer, eol) && out->len >= strlen (eol))
    g_string_truncate (out, out->len - strlen (eol));
  return g_string_free (out, FALSE);
}

void
bridge_ice_fragment_clear (BridgeIceFragment *fragment)
{
  g_clear_pointer (&fragment->ufrag, g_free);
  g_clear_pointer (&fragment->pwd, g_free);
  g_clear_pointer (&fragment->mid, g_free);
  g_clear_pointer (&fragment->candidates, g_ptr_array_unref);
}

char *
bridge_ice_fragment_build (const BridgeIceFragment *fragment)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", fragment->ufrag, fragment->pwd);
  g_string_append_printf (text, "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n", fragment->mid ? fragment->mid : "0");
  for (guint i = 0; fragment->candidates && i < fragment->candidates->len; i++)
    g_string_append_printf (text, "a=%s\r\n", (const char *) g_ptr_array_index (fragment->candidates, i));
  return g_string_free (text, FALSE);
}

static gboolean
take_attribute (const char *line, const char *name, char **out)
{
  gsize n = strlen (name);

  if (strncmp (line, name, n) != 0)
    return FALSE;
  g_free (*out);
  *out = g_strstrip (g_strdup (line + n));
  return TRUE;
}

gboolean
bridge_ice_fragment_parse (const char *text, BridgeIceFragment *fragment, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  memset (fragment, 0, sizeof *fragment);
  fragment->candidates = g_ptr_array_new_with_free_func (g_free);
  if (text == NULL || !g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, BRIDGE_WHIP_ERROR, 0, "the ICE fragment is not UTF-8 text");
    return FALSE;
  }
  for (guint i = 0; lines[i] != NULL; i++) {
    char *line = g_strstrip (lines[i]);
    if (*line == '\0' || take_attribute (line, "a=ice-ufrag:", &fragment->ufrag)
        || take_attribute (line, "a=ice-pwd:", &fragment->pwd) || take_attribute (line, "a=mid:", &fragment->mid))
      continue;
    /* Lines that are not SDP are skipped, not fatal: what matters is ufrag, pwd and candidates, and
     * the caller refuses a fragment without credentials. (An mcu build was seen prefixing its 200
     * answer with an HTML error page.) */
    if (g_str_has_prefix (line, "a=candidate:"))
      g_ptr_array_add (fragment->candidates, g_strdup (line + 2));
  }
  return TRUE;
}
