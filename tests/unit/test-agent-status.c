/* SPDX-License-Identifier: MIT */
/* Unit tests for the agent's status: the JSON snapshot (fields, types, nulls) and the local HTTP server
 * (page in Vietnamese/English, /status.json, mute and hand buttons, JSON errors). */
#include "status.h"
#include "media-private.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_json_fields (void)
{
  BridgeStatusInfo info = {
    .state = BRIDGE_STATE_RESTARTING_ICE,
    .since_unix_us = G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC,
    .reconnects = 3,
    .rtt_ms = 123.4,
    .loss = 0.0512,
    .send_kbps = 412.6,
    .audio_only = TRUE,
    .last_error = "HTTP 503 \"busy\"",
    .site_id = "abc",
    .room = "hop-huyen",
    .packets_received = G_GUINT64_CONSTANT (5000000000),
    .video_kbps = 250, .width = 320, .height = 180, .framerate = 7, .remb_kbps = 600,
    .adapt_reason = "loss above 10 %",
    .ice_transport = "udp",
  };
  g_autofree char *text = bridge_status_to_json (&info);
  g_autoptr (JsonObject) o = parse_object (text);

  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "restarting-ice");
  g_assert_cmpstr (json_object_get_string_member (o, "since"), ==, "2023-11-14T22:13:20Z");
  g_assert_cmpint (json_object_get_int_member (o, "reconnects"), ==, 3);
  g_assert_cmpfloat (json_object_get_double_member (o, "rtt_ms"), ==, 123.0);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "loss"), 0.051, 1e-9);
  g_assert_cmpfloat (json_object_get_double_member (o, "send_kbps"), ==, 413.0);
  g_assert_true (json_object_get_boolean_member (o, "audio_only"));
  g_assert_cmpstr (json_object_get_string_member (o, "last_error"), ==, "HTTP 503 \"busy\"");
  g_assert_cmpint (json_object_get_int_member (o, "packets_received"), ==, G_GINT64_CONSTANT (5000000000));
  g_assert_true (json_object_get_null_member (o, "server"));
  /* audio only: the video object says nothing is sent, and keeps the ladder's size */
  JsonObject *video = json_object_get_object_member (o, "video");
  g_assert_cmpint (json_object_get_int_member (video, "kbps"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (video, "width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (video, "height"), ==, 180);
  g_assert_cmpint (json_object_get_int_member (video, "fps"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (o, "remb_kbps"), ==, 600);
  g_assert_cmpstr (json_object_get_string_member (o, "adapt"), ==, "loss above 10 %");
  g_assert_cmpstr (json_object_get_string_member (o, "ice_transport"), ==, "udp");

  info.audio_only = FALSE;
  g_autofree char *sending = bridge_status_to_json (&info);
  g_autoptr (JsonObject) o2 = parse_object (sending);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o2, "video"), "kbps"), ==, 250);
}

static void
test_json_unknowns_are_null (void)
{
  BridgeStatusInfo info = { .state = BRIDGE_STATE_CONNECTING, .rtt_ms = -1, .loss = -1, .send_kbps = -1 };
  g_autofree char *text = bridge_status_to_json (&info);
  g_autoptr (JsonObject) o = parse_object (text);
  const char *required[] = { "state", "since", "reconnects", "rtt_ms", "loss", "send_kbps", "audio_only", "last_error" };

  for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
    g_assert_true (json_object_has_member (o, required[i]));
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "connecting");
  g_assert_true (json_object_get_null_member (o, "rtt_ms"));
  g_assert_true (json_object_get_null_member (o, "loss"));
  g_assert_true (json_object_get_null_member (o, "send_kbps"));
  g_assert_true (json_object_get_null_member (o, "last_error"));
  g_assert_false (json_object_get_boolean_member (o, "audio_only"));
  g_assert_true (json_object_get_null_member (o, "remb_kbps"));
  g_assert_true (json_object_get_null_member (o, "adapt"));
  g_assert_true (json_object_get_null_member (o, "ice_transport"));
}

static void
test_json_recv (void)
{
  BridgeStatusInfo info = { .state = BRIDGE_STATE_CONNECTED, .rtt_ms = -1, .loss = -1, .send_kbps = -1,
                            .recv = { .audio_frames = 1500, .audio_concealed = 40, .audio_fec = 110,
                                      .video_frames = 420, .video_frozen_ms = 1230, .video_arrival_gaps_ms = 4560, .video_lost = 17,
                                      .video_last_frame_ms_ago = 67, .video_width = 320, .video_height = 180 } };
  g_autofree char *text = bridge_status_to_json (&info);
  g_autoptr (JsonObject) o = parse_object (text);
  JsonObject *recv = json_object_get_object_member (o, "recv");

  g_assert_nonnull (recv);
  g_assert_cmpint (json_object_get_int_member (recv, "audio_frames"), ==, 1500);
  g_assert_cmpint (json_object_get_int_member (recv, "audio_concealed"), ==, 40);
  g_assert_cmpint (json_object_get_int_member (recv, "audio_fec"), ==, 110);
  g_assert_cmpint (json_object_get_int_member (recv, "video_frames"), ==, 420);
  g_assert_cmpint (json_object_get_int_member (recv, "video_frozen_ms"), ==, 1230);
  g_assert_cmpint (json_object_get_int_member (recv, "video_arrival_gaps_ms"), ==, 4560);
  g_assert_cmpint (json_object_get_int_member (recv, "video_lost"), ==, 17);
  g_assert_cmpint (json_object_get_int_member (recv, "video_last_frame_ms_ago"), ==, 67);
  g_assert_cmpint (json_object_get_int_member (recv, "video_width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (recv, "video_height"), ==, 180);

  info.recv.video_last_frame_ms_ago = -1;  /* no frame yet */
  g_autofree char *none = bridge_status_to_json (&info);
  g_autoptr (JsonObject) o2 = parse_object (none);
  g_assert_true (json_object_get_null_member (json_object_get_object_member (o2, "recv"), "video_last_frame_ms_ago"));
}

/* RFC 6716 TOC: durations and frame counts, the LBRR flag of SILK/hybrid frames, malformed packets. */
static void
test_opus_packet_info (void)
{
  gboolean lbrr = TRUE;

  /* SILK WB 20 ms (config 9), code 0, mono: VAD bit 7, LBRR bit 6 */
  const guint8 silk_fec[] = { 9 << 3, 0xc0, 0x12 }, silk_plain[] = { 9 << 3, 0x80, 0x12 };
  g_assert_cmpuint (bridge_opus_packet_info (silk_fec, sizeof silk_fec, &lbrr), ==, 960);
  g_assert_true (lbrr);
  g_assert_cmpuint (bridge_opus_packet_info (silk_plain, sizeof silk_plain, &lbrr), ==, 960);
  g_assert_false (lbrr);
  /* hybrid FB 20 ms (config 15), stereo: the side channel's LBRR bit (bit 4 for one SILK frame) */
  const guint8 hybrid_side[] = { (15 << 3) | 0x4, 0x10, 0 };
  g_assert_cmpuint (bridge_opus_packet_info (hybrid_side, sizeof hybrid_side, &lbrr), ==, 960);
  g_assert_true (lbrr);
  /* SILK 40 ms (config 2): two VAD bits, LBRR is bit 5 */
  const guint8 silk40[] = { 2 << 3, 0x20 };
  g_assert_cmpuint (bridge_opus_packet_info (silk40, sizeof silk40, &lbrr), ==, 1920);
  g_assert_true (lbrr);
  /* CELT-only 20 ms (config 31): no FEC; code 1 = two frames */
  const guint8 celt2[] = { (31 << 3) | 1, 0xff, 0xff };
  g_assert_cmpuint (bridge_opus_packet_info (celt2, sizeof celt2, &lbrr), ==, 1920);
  g_assert_false (lbrr);
  /* code 3: frame count in the second byte (3 × 20 ms); code 2 with a first frame's size */
  const guint8 code3[] = { (9 << 3) | 3, 3, 0, 0 };
  g_assert_cmpuint (bridge_opus_packet_info (code3, sizeof code3, &lbrr), ==, 2880);
  const guint8 code2[] = { (9 << 3) | 2, 1, 0x40, 0x00 };
  g_assert_cmpuint (bridge_opus_packet_info (code2, sizeof code2, &lbrr), ==, 1920);
  g_assert_true (lbrr);
  /* malformed: empty, code 2 size past the end, code 3 without frames or too long (7 × 20 ms) */
  const guint8 bad2[] = { (9 << 3) | 2, 200, 0 }, no_frames[] = { (9 << 3) | 3, 0 }, too_long[] = { (9 << 3) | 3, 7 };
  g_assert_cmpuint (bridge_opus_packet_info (NULL, 0, &lbrr), ==, 0);
  g_assert_cmpuint (bridge_opus_packet_info (bad2, sizeof bad2, &lbrr), ==, 0);
  g_assert_cmpuint (bridge_opus_packet_info (no_frames, sizeof no_frames, &lbrr), ==, 0);
  g_assert_cmpuint (bridge_opus_packet_info (too_long, sizeof too_long, &lbrr), ==, 0);
  g_assert_cmpuint (bridge_opus_packet_info (code2, 1, &lbrr), ==, 0);
}

typedef struct {
  gboolean muted, hand;
  guint gets;
} Fake;

static void
fake_get (BridgeStatusInfo *info, gpointer user_data)
{
  Fake *fake = user_data;
  fake->gets++;
  info->state = BRIDGE_STATE_CONNECTED;
  info->muted = fake->muted;
  info->hand_raised = fake->hand;
}

static void
fake_mute (gboolean muted, gpointer user_data)
{
  ((Fake *) user_data)->muted = muted;
}

static void
fake_hand (gboolean raised, gpointer user_data)
{
  ((Fake *) user_data)->hand = raised;
}

static const BridgeStatusHooks hooks = { fake_get, fake_mute, fake_hand };

typedef struct {
  GMainLoop *loop;
  GBytes *body;
} Wait;

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;
  wait->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  g_main_loop_quit (wait->loop);
}

/* One request through the main loop (the server runs on it too). (transfer full) body text */
static char *
request (SoupSession *session, const char *method, const char *url, const char *body, guint *status)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Wait wait = { loop, NULL };

  if (body != NULL) {
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "text/plain", bytes);
  }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_done, &wait);
  g_main_loop_run (loop);
  g_assert_nonnull (wait.body);
  *status = soup_message_get_status (msg);
  char *text = g_strndup (g_bytes_get_data (wait.body, NULL), g_bytes_get_size (wait.body));
  g_bytes_unref (wait.body);
  return text;
}

static void
test_server (void)
{
  Fake fake = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (BridgeStatusServer) server = bridge_status_server_new ("127.0.0.1:0", "en", &hooks, &fake, &error);
  g_assert_no_error (error);
  g_autofree char *base = bridge_status_server_get_url (server);
  g_autoptr (SoupSession) session = soup_session_new ();
  guint status = 0;
  g_assert_true (g_str_has_prefix (base, "http://127.0.0.1:"));
  g_assert_false (g_str_has_suffix (base, ":0/"));

  g_autofree char *json_url = g_strconcat (base, "status.json", NULL);
  g_autofree char *json = request (session, "GET", json_url, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_autoptr (JsonObject) o = parse_object (json);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "connected");
  g_assert_false (json_object_get_boolean_member (o, "muted"));

  g_autofree char *mute_url = g_strconcat (base, "mute", NULL);
  g_autofree char *after = request (session, "POST", mute_url, "true", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (fake.muted);
  g_autoptr (JsonObject) o2 = parse_object (after);
  g_assert_true (json_object_get_boolean_member (o2, "muted"));

  g_autofree char *hand_url = g_strconcat (base, "hand", NULL);
  g_autofree char *h = request (session, "POST", hand_url, "true", &status);
  g_assert_nonnull (strstr (h, "\"hand_raised\":true"));
  g_assert_true (fake.hand);
  g_autofree char *bad = request (session, "POST", hand_url, "please", &status);
  g_assert_cmpuint (status, ==, 400);
  g_assert_true (fake.hand); /* unchanged */
  g_autoptr (JsonObject) e = parse_object (bad);
  g_assert_cmpstr (json_object_get_string_member (e, "error"), ==, "bad-request");

  g_autofree char *wrong = request (session, "DELETE", json_url, NULL, &status);
  g_assert_nonnull (strstr (wrong, "method-not-allowed"));
  g_assert_cmpuint (status, ==, 405);
  g_autofree char *nowhere_url = g_strconcat (base, "../etc/passwd", NULL);
  g_autofree char *nowhere = request (session, "GET", nowhere_url, NULL, &status);
  g_assert_nonnull (strstr (nowhere, "not-found"));
  g_assert_cmpuint (status, ==, 404);

  g_autofree char *page = request (session, "GET", base, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (page, "Đã kết nối"));       /* Vietnamese text is in the page */
  g_assert_nonnull (strstr (page, "Raise hand"));       /* and English */
  g_assert_nonnull (strstr (page, "get('lang')||'en'")); /* the configured default */
}

static void
test_server_bad_address (void)
{
  Fake fake = { 0 };
  g_autoptr (GError) error = NULL;
  BridgeStatusServer *server = bridge_status_server_new ("nowhere", "vi", &hooks, &fake, &error);

  g_assert_null (server);
  g_assert_nonnull (strstr (error->message, "nowhere"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/status/json-fields", test_json_fields);
  g_test_add_func ("/agent/status/json-unknowns-null", test_json_unknowns_are_null);
  g_test_add_func ("/agent/status/json-recv", test_json_recv);
  g_test_add_func ("/agent/status/opus-packet-info", test_opus_packet_info);
  g_test_add_func ("/agent/status/server", test_server);
  g_test_add_func ("/agent/status/server-bad-address", test_server_bad_address);
  return g_test_run ();
}
