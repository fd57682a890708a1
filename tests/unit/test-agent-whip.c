/* SPDX-License-Identifier: MIT */
/* Unit tests for the agent's WHIP client: URL building, Location resolution, the server's JSON errors,
 * trickle-ice-sdpfrag build/parse, goog-remb added to webrtcbin's offer, and join/patch/leave against a local mock WHIP server. */
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

static void
test_against_mock (void)
{
  Mock mock = { .join_status = 201 };
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  soup_server_add_handler (server, NULL, mock_handler, &mock, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_autofree char *base = base_url (server);

  /* Token: Bearer header, no ?name. */
  g_autoptr (BridgeWhip) whip = bridge_whip_new (base, "hop", "s3cret", "ignored", 5);
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
  g_autoptr (BridgeWhip) guest = bridge_whip_new (base, "hop", "", "Xã A", 5);
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
  g_autoptr (BridgeWhip) lost = bridge_whip_new (base, "hop", NULL, "x", 2);
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
  g_test_add_func ("/agent/whip/add-goog-remb", test_add_goog_remb);
  return g_test_run ();
}
