/* SPDX-License-Identifier: MIT */
/* Unit tests for the agent's WHIP client: URL building, Location resolution, the server's JSON errors,
 * trickle-ice-sdpfrag build/parse, goog-remb added to webrtcbin's offer, and join/patch/leave against a local mock WHIP server,
 * including the two-phase timeouts (a slow answer to a join is waited for; an answer that never comes is not). */
#include "whip.h"

#include <libsoup/soup.h>
#include <string.h>

static void
test_join_url (void)
{
  g_autofree char *a = bridge_whip_join_url ("http://10.0.0.1:8080/", "hop", NULL);
  g_autofree char *b = bridge_whip_join_url ("http://mcu", "phòng 1", "Xã Tân Lập");
  g_autofree char *c = bridge_whip_join_url ("http://mcu///", "a/b?c", "");

  g_assert_cmpstr (a, ==, "http://10.0.0.1:8080/whip/hop");
  g_assert_cmpstr (b, ==, "http://mcu/whip/ph%C3%B2ng%201?name=X%C3%A3%20T%C3%A2n%20L%E1%BA%ADp");
  g_assert_cmpstr (c, ==, "http://mcu/whip/a%2Fb%3Fc");
}

static void
test_resolve (void)
{
  g_autofree char *rel = bridge_whip_resolve ("http://mcu:8080/whip/hop?name=x", "/whip/hop/s1");
  g_autofree char *rel2 = bridge_whip_resolve ("http://mcu:8080/whip/hop", "hop/s2");
  g_autofree char *abs = bridge_whip_resolve ("http://mcu:8080/whip/hop", "https://other/s3");

  g_assert_cmpstr (rel, ==, "http://mcu:8080/whip/hop/s1");
  g_assert_cmpstr (rel2, ==, "http://mcu:8080/whip/hop/s2");
  g_assert_cmpstr (abs, ==, "https://other/s3");
  g_assert_null (bridge_whip_resolve ("http://mcu/whip/hop", NULL));
  g_assert_null (bridge_whip_resolve ("http://mcu/whip/hop", ""));
}

static void
test_error_text (void)
{
  const char *json = "{\"error\":\"room-full\",\"detail\":\"20 of 20 sites\"}";
  g_autofree char *a = bridge_whip_error_text (409, json, strlen (json));
  g_autofree char *b = bridge_whip_error_text (502, "<html>bad gateway</html>", 24);
  g_autofree char *c = bridge_whip_error_text (500, NULL, 0);
  g_autofree char *d = bridge_whip_error_text (400, "[1,2]", 5);

  g_assert_cmpstr (a, ==, "HTTP 409 room-full: 20 of 20 sites");
  g_assert_cmpstr (b, ==, "HTTP 502 Bad Gateway");
  g_assert_cmpstr (c, ==, "HTTP 500 Internal Server Error");
  g_assert_cmpstr (d, ==, "HTTP 400 Bad Request");
}

static void
test_fragment_round_trip (void)
{
  BridgeIceFragment out = { .ufrag = g_strdup ("uF"), .pwd = g_strdup ("pW"), .mid = g_strdup ("0"),
                            .candidates = g_ptr_array_new_with_free_func (g_free) };
  BridgeIceFragment in = { 0 };
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (out.candidates, g_strdup ("candidate:1 1 UDP 2015363327 192.0.2.2 42409 typ host"));
  g_autofree char *text = bridge_ice_fragment_build (&out);
  g_assert_true (g_str_has_prefix (text, "a=ice-ufrag:uF\r\na=ice-pwd:pW\r\n"));
  g_assert_true (bridge_ice_fragment_parse (text, &in, &error));
  g_assert_cmpstr (in.ufrag, ==, "uF");
  g_assert_cmpstr (in.pwd, ==, "pW");
  g_assert_cmpstr (in.mid, ==, "0");
  g_assert_cmpuint (in.candidates->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (in.candidates, 0), ==, g_ptr_array_index (out.candidates, 0));
  bridge_ice_fragment_clear (&out);
  bridge_ice_fragment_clear (&in);
}

static void
test_fragment_malformed (void)
{
  BridgeIceFragment f = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_false (bridge_ice_fragment_parse ("\xff\xfe", &f, &error));
  g_assert_error (error, BRIDGE_WHIP_ERROR, 0);
  bridge_ice_fragment_clear (&f);
  g_clear_error (&error);
  /* Junk lines are skipped; without credentials the fragment is useless and the caller refuses it. */
  g_assert_true (bridge_ice_fragment_parse ("hello world\n\x01\x02\n", &f, &error));
  g_assert_null (f.ufrag);
  g_assert_cmpuint (f.candidates->len, ==, 0);
  bridge_ice_fragment_clear (&f);
  /* A server that prefixed its answer with an HTML page: the fragment after it still counts. */
  g_assert_true (bridge_ice_fragment_parse ("<html><body>oops</body></html>\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\n"
                                            "a=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\r\n", &f, &error));
  g_assert_cmpstr (f.ufrag, ==, "u");
  g_assert_cmpstr (f.pwd, ==, "p");
  g_assert_cmpuint (f.candidates->len, ==, 1);
  bridge_ice_fragment_clear (&f);
  g_assert_true (bridge_ice_fragment_parse ("", &f, &error));
  g_assert_null (f.ufrag);
  bridge_ice_fragment_clear (&f);
}

/* ---- a mock WHIP server ---- */

typedef struct {
  char *last_auth, *last_type, *last_query_name, *last_method, *last_path;
  guint join_status;
  guint deletes;
} Mock;

static void
mock_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  Mock *mock = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);

  g_free (mock->last_auth);
  g_free (mock->last_type);
  g_free (mock->last_query_name);
  g_free (mock->last_method);
  g_free (mock->last_path);
  mock->last_auth = g_strdup (soup_message_headers_get_one (req, "Authorization"));
  mock->last_type = g_strdup (soup_message_headers_get_content_type (req, NULL));
  mock->last_query_name = g_strdup (query ? g_hash_table_lookup (query, "name") : NULL);
  mock->last_method = g_strdup (method);
  mock->last_path = g_strdup (path);
  if (g_str_equal (method, "POST") && mock->join_status == 201) {
    soup_message_headers_replace (resp, "Location", "/whip/hop/sess-1");
    soup_server_message_set_status (msg, 201, NULL);
    soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_STATIC, "v=0\r\n", 5);
  } else if (g_str_equal (method, "POST")) {
    const char *body = "{\"error\":\"forbidden\",\"detail\":\"unknown token\"}";
    soup_server_message_set_status (msg, mock->join_status, NULL);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
  } else if (g_str_equal (method, "PATCH")) {
    const char *body = "a=ice-ufrag:srv\r\na=ice-pwd:srvpwd\r\na=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\r\n";
    soup_server_message_set_status (msg, 200, NULL);
    soup_server_message_set_response (msg, "application/trickle-ice-sdpfrag", SOUP_MEMORY_STATIC, body, strlen (body));
  } else {
    mock->deletes++;
    soup_server_message_set_status (msg, 200, NULL);
  }
}

typedef struct {
  GMainLoop *loop;
  GAsyncResult *result;
} Wait;

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;
  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

static char *
base_url (SoupServer *server)
{
  GSList *uris = soup_server_get_uris (server);
  char *url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

/* (transfer full) A server on a free local port, @handler answering every path. */
static SoupServer *
start_server (SoupServerCallback handler, gpointer data)
{
  SoupServer *server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;

  soup_server_add_handler (server, NULL, handler, data, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  return server;
}

static void
test_against_mock (void)
{
  Mock mock = { .join_status = 201 };
  g_autoptr (SoupServer) server = start_server (mock_handler, &mock);
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_autofree char *base = base_url (server);

  /* Token: Bearer header, no ?name. */
  g_autoptr (BridgeWhip) whip = bridge_whip_new (base, "hop", "s3cret", "ignored", 5, 5);
  Wait wait = { loop, NULL };
  bridge_whip_join_async (whip, "v=0 offer", NULL, on_done, &wait);
  g_main_loop_run (loop);
  g_autofree char *answer = bridge_whip_join_finish (whip, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpstr (answer, ==, "v=0\r\n");
  g_assert_cmpstr (mock.last_auth, ==, "Bearer s3cret");
  g_assert_cmpstr (mock.last_type, ==, "application/sdp");
  g_assert_null (mock.last_query_name);
  g_assert_true (g_str_has_suffix (bridge_whip_get_session_url (whip), "/whip/hop/sess-1"));
  g_assert_true (g_str_has_prefix (bridge_whip_get_session_url (whip), "http://127.0.0.1:"));

  bridge_whip_patch_async (whip, "a=ice-ufrag:x\r\n", NULL, on_done, &wait);
  g_main_loop_run (loop);
  g_autofree char *frag = bridge_whip_patch_finish (whip, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpstr (mock.last_method, ==, "PATCH");
  g_assert_cmpstr (mock.last_path, ==, "/whip/hop/sess-1");
  g_assert_cmpstr (mock.last_type, ==, "application/trickle-ice-sdpfrag");
  g_assert_nonnull (strstr (frag, "a=ice-pwd:srvpwd"));

  bridge_whip_leave (whip);
  g_assert_null (bridge_whip_get_session_url (whip));
  while (bridge_whip_get_pending (whip) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (mock.deletes, ==, 1);
  g_assert_cmpstr (mock.last_method, ==, "DELETE");

  /* Guest: ?name=, no Authorization; a refused join carries the server's detail. */
  mock.join_status = 403;
  g_autoptr (BridgeWhip) guest = bridge_whip_new (base, "hop", "", "Xã A", 5, 5);
  bridge_whip_join_async (guest, "v=0", NULL, on_done, &wait);
  g_main_loop_run (loop);
  g_autofree char *none = bridge_whip_join_finish (guest, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_null (none);
  g_assert_error (error, BRIDGE_WHIP_ERROR, 403);
  g_assert_cmpstr (error->message, ==, "HTTP 403 forbidden: unknown token");
  g_assert_cmpstr (mock.last_query_name, ==, "Xã A");
  g_assert_null (mock.last_auth);
  g_clear_error (&error);

  /* No session: PATCH fails cleanly without a request. */
  bridge_whip_patch_async (guest, "x", NULL, on_done, &wait);
  g_main_loop_run (loop);
  g_assert_null (bridge_whip_patch_finish (guest, wait.result, &error));
  g_clear_object (&wait.result);
  g_assert_error (error, BRIDGE_WHIP_ERROR, 0);
  g_clear_error (&error);

  /* Nobody listening: a network error (code 0), not a crash. */
  soup_server_disconnect (server);
  g_autoptr (BridgeWhip) lost = bridge_whip_new (base, "hop", NULL, "x", 2, 2);
  bridge_whip_join_async (lost, "v=0", NULL, on_done, &wait);
  g_main_loop_run (loop);
  g_assert_null (bridge_whip_join_finish (lost, wait.result, &error));
  g_clear_object (&wait.result);
  g_assert_error (error, BRIDGE_WHIP_ERROR, 0);

  g_free (mock.last_auth);
  g_free (mock.last_type);
  g_free (mock.last_query_name);
  g_free (mock.last_method);
  g_free (mock.last_path);
}

/* ---- timeouts: a server that holds its answer back ---- */

typedef struct {
  guint delay_ms;            /* 0 = never answer (until the test ends) */
  GPtrArray *held;           /* SoupServerMessage* paused and still connected */
} Slow;

typedef struct {
  Slow *slow;
  SoupServerMessage *msg;
} Held;

static void
answer_held (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location", "/whip/hop/sess-2");
  soup_server_message_set_status (msg, g_str_equal (soup_server_message_get_method (msg), "POST") ? 201 : 200, NULL);
  soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_STATIC, "v=0\r\n", 5);
  soup_server_message_unpause (msg);
}

static gboolean
release (gpointer user_data)
{
  Held *held = user_data;

  if (g_ptr_array_remove (held->slow->held, held->msg))   /* still connected: answer it */
    answer_held (held->msg);
  return G_SOURCE_REMOVE;
}

static void
on_client_gone (SoupServerMessage *msg, gpointer user_data)
{
  Slow *slow = user_data;

  g_ptr_array_remove (slow->held, msg);
}

static void
slow_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  Slow *slow = user_data;

  soup_server_message_pause (msg);
  g_ptr_array_add (slow->held, msg);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_client_gone), slow);
  g_signal_connect (msg, "finished", G_CALLBACK (on_client_gone), slow);
  if (slow->delay_ms > 0) {
    Held *held = g_new0 (Held, 1);
    held->slow = slow;
    held->msg = msg;
    g_timeout_add_full (G_PRIORITY_DEFAULT, slow->delay_ms, release, held, g_free);
  }
}

/* Runs one request to its end; returns the seconds it took. */
static double
run_join (BridgeWhip *whip, GMainLoop *loop, char **answer, GError **error)
{
  Wait wait = { loop, NULL };
  gint64 start = g_get_monotonic_time ();

  bridge_whip_join_async (whip, "v=0 offer", NULL, on_done, &wait);
  g_main_loop_run (loop);
  *answer = bridge_whip_join_finish (whip, wait.result, error);
  g_clear_object (&wait.result);
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static void
test_phase_timeouts (void)
{
  /* Pure: only a join's answer gets the long limit. */
  g_assert_cmpuint (bridge_whip_phase_timeout (TRUE, FALSE, 3, 10), ==, 3);
  g_assert_cmpuint (bridge_whip_phase_timeout (TRUE, TRUE, 3, 10), ==, 10);
  g_assert_cmpuint (bridge_whip_phase_timeout (FALSE, TRUE, 3, 10), ==, 3);
  g_assert_cmpuint (bridge_whip_phase_timeout (FALSE, FALSE, 3, 10), ==, 3);
  g_autofree char *unreachable = bridge_whip_timeout_text (FALSE, 3);
  g_autofree char *silent = bridge_whip_timeout_text (TRUE, 10);
  g_assert_cmpstr (unreachable, ==, "could not reach the mcu within 3 s");
  g_assert_cmpstr (silent, ==, "no answer from the mcu within 10 s of sending the request");

  Slow slow = { .delay_ms = 2000, .held = g_ptr_array_new () };
  g_autoptr (SoupServer) server = start_server (slow_handler, &slow);
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *base = base_url (server);

  /* The answer takes 2 s, twice the 1 s http-timeout: a join waits for it (answer-timeout 5 s). */
  g_autoptr (BridgeWhip) whip = bridge_whip_new (base, "hop", "t", NULL, 1, 5);
  g_autofree char *answer = NULL;
  double took = run_join (whip, loop, &answer, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answer, ==, "v=0\r\n");
  g_assert_cmpfloat (took, >=, 1.9);

  /* Any other request's answer keeps the short limit: a PATCH held 2 s fails after 1 s. */
  Wait wait = { loop, NULL };
  gint64 start = g_get_monotonic_time ();
  bridge_whip_patch_async (whip, "a=ice-ufrag:x\r\n", NULL, on_done, &wait);
  g_main_loop_run (loop);
  g_assert_null (bridge_whip_patch_finish (whip, wait.result, &error));
  g_clear_object (&wait.result);
  took = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_assert_error (error, BRIDGE_WHIP_ERROR, 0);
  g_assert_cmpstr (error->message, ==, "no answer from the mcu within 1 s of sending the request");
  g_assert_cmpfloat (took, <, 1.9);
  g_clear_error (&error);

  /* An answer that never comes ends the join after answer-timeout (2 s), not later, not sooner. */
  slow.delay_ms = 0;
  g_autoptr (BridgeWhip) silent_whip = bridge_whip_new (base, "hop", "t", NULL, 1, 2);
  g_autofree char *none = NULL;
  took = run_join (silent_whip, loop, &none, &error);
  g_assert_null (none);
  g_assert_error (error, BRIDGE_WHIP_ERROR, 0);
  g_assert_cmpstr (error->message, ==, "no answer from the mcu within 2 s of sending the request");
  g_assert_cmpfloat (took, >=, 1.9);
  g_assert_cmpfloat (took, <, 3.5);
  g_clear_error (&error);

  /* The caller's cancellable still cancels a join at once. */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  bridge_whip_join_async (silent_whip, "v=0", cancel, on_done, &wait);
  g_cancellable_cancel (cancel);
  g_main_loop_run (loop);
  g_assert_null (bridge_whip_join_finish (silent_whip, wait.result, &error));
  g_clear_object (&wait.result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Let the held messages go before the server goes. */
  while (slow.held->len > 0)
    answer_held (g_ptr_array_steal_index (slow.held, 0));
  soup_server_disconnect (server);
  g_ptr_array_unref (slow.held);
}

/* A webrtcbin 1.22 offer, shortened: goog-remb is added to the VP8 payload of the video section
 * only, once, and the rest is kept byte for byte. */
static void
test_add_goog_remb (void)
{
  const char *offer =
    "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio0 video1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=mid:video1\r\n";
  g_autofree char *with = bridge_sdp_add_goog_remb (offer);
  g_autofree char *again = bridge_sdp_add_goog_remb (with);
  g_autofree char *expected = g_strjoin (NULL,
    "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio0 video1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\n",
    "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=mid:video1\r\n", NULL);

  g_assert_cmpstr (with, ==, expected);
  g_assert_cmpstr (again, ==, expected);  /* already there: not added twice */

  /* LF line ends and no final line end are kept; a VP8 rtpmap in an audio section is left alone. */
  g_autofree char *lf = bridge_sdp_add_goog_remb ("m=audio 9 RTP/AVP 96\na=rtpmap:96 VP8/90000\n"
                                                  "m=video 9 RTP/AVP 100\na=rtpmap:100 vp8/90000");
  g_assert_cmpstr (lf, ==, "m=audio 9 RTP/AVP 96\na=rtpmap:96 VP8/90000\n"
                           "m=video 9 RTP/AVP 100\na=rtpmap:100 vp8/90000\na=rtcp-fb:100 goog-remb");
  /* Not SDP, or broken rtpmap lines: unchanged, no crash. */
  const char *broken = "m=video\na=rtpmap:\na=rtpmap:96\na=rtpmap:999 VP8/90000\na=rtpmap:x VP8/1\n"
                       "a=rtpmap:96 H264/90000\n";
  const char *junk[] = { "", "\n", "hello", broken };
  for (guint i = 0; i < G_N_ELEMENTS (junk); i++) {
    g_autofree char *same = bridge_sdp_add_goog_remb (junk[i]);
    g_assert_cmpstr (same, ==, junk[i]);
  }
  g_assert_null (bridge_sdp_add_goog_remb (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/whip/join-url", test_join_url);
  g_test_add_func ("/agent/whip/resolve", test_resolve);
  g_test_add_func ("/agent/whip/error-text", test_error_text);
  g_test_add_func ("/agent/whip/fragment-round-trip", test_fragment_round_trip);
  g_test_add_func ("/agent/whip/fragment-malformed", test_fragment_malformed);
  g_test_add_func ("/agent/whip/against-mock", test_against_mock);
  g_test_add_func ("/agent/whip/phase-timeouts", test_phase_timeouts);
  g_test_add_func ("/agent/whip/add-goog-remb", test_add_goog_remb);
  return g_test_run ();
}
