/* SPDX-License-Identifier: MIT */
/* Unit tests for sdp/: parsing and writing back offers captured from real clients (tests/data), the
 * MCU's answer to each checked line by line, negotiated facts, directions and DTLS roles, rejection of
 * what the server cannot use, malformed input giving MCU_SDP_ERROR naming the line, the client-side
 * offer/answer round trip, and trickle-ICE fragments. */
#include "sdp/sdp.h"

#include <string.h>

#include "mcu-build-config.h"

#define FP "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

static const char *const server_candidates[] = {
  "candidate:1 1 udp 2130706431 198.51.100.5 40000 typ host", NULL
};

static const McuSdpLocal server = {
  .ice_ufrag = "srvU", .ice_pwd = "serverpasswordserverpw", .fingerprint = FP,
  .candidates = server_candidates, .end_of_candidates = TRUE,
  .audio_ssrc = 101, .video_ssrc = 202, .video_rtx_ssrc = 203, .content_ssrc = 303, .content_rtx_ssrc = 304,
  .cname = "mcu-cname", .stream_id = "room1",
};

static char *
load_data (const char *name)
{
  g_autofree char *path = g_build_filename (MCU_SOURCE_DIR, "tests", "data", name, NULL);
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static McuSdp *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  McuSdp *sdp = mcu_sdp_parse (text, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sdp);
  return sdp;
}

/* Answers @offer_text as the server and returns the answer text (and the negotiation). */
static char *
answer_text (const char *offer_text, McuSdpNegotiated **negotiated)
{
  g_autoptr (McuSdp) offer = parse_ok (offer_text);
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdp) answer = mcu_sdp_answer (offer, &server, negotiated, &error);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return mcu_sdp_to_string (answer);
}

/* The lines of m-section @index of @sdp text (index -1: session), CRLF removed. */
static GStrv
section_lines (const char *text, int index)
{
  g_auto (GStrv) lines = g_strsplit (text, "\r\n", -1);
  GPtrArray *out = g_ptr_array_new ();
  int current = -1;

  for (guint i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], "m="))
      current++;
    if (current == index && *lines[i] != '\0')
      g_ptr_array_add (out, g_strdup (lines[i]));
  }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (out, FALSE);
}

static void
assert_has (GStrv lines, const char *line)
{
  if (!g_strv_contains ((const char *const *) lines, line)) {
    g_autofree char *all = g_strjoinv ("\n", lines);
    g_error ("missing line '%s' in:\n%s", line, all);
  }
}

static void
assert_lacks_prefix (GStrv lines, const char *prefix)
{
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      g_error ("unexpected line '%s'", lines[i]);
}

static guint
count_prefix (GStrv lines, const char *prefix)
{
  guint n = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (lines[i], prefix);
  return n;
}

/* The transport lines every accepted m-section of an answer must carry. */
static void
assert_transport (GStrv m)
{
  assert_has (m, "a=ice-ufrag:srvU");
  assert_has (m, "a=ice-pwd:serverpasswordserverpw");
  assert_has (m, "a=fingerprint:" FP);
  assert_has (m, "a=setup:passive");
  assert_has (m, "a=rtcp-mux");
  assert_lacks_prefix (m, "a=rtcp-mux-only");
  assert_lacks_prefix (m, "a=bundle-only");
}

static void
test_roundtrip (void)
{
  static const char *const files[] = { "chromium-av.sdp", "chromium-av-screen.sdp", "chromium-av-data.sdp",
                                       "webrtcbin-av.sdp", "firefox-av.sdp" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *text = load_data (files[i]);
    g_autoptr (McuSdp) sdp = parse_ok (text);
    g_autofree char *again = mcu_sdp_to_string (sdp);
    g_assert_cmpstr (again, ==, text);
  }
}

static void
test_accessors (void)
{
  g_autofree char *text = load_data ("chromium-av.sdp");
  g_autoptr (McuSdp) sdp = parse_ok (text);
  const char *name = NULL, *value = NULL;

  g_assert_cmpuint (mcu_sdp_get_n_media (sdp), ==, 2);
  g_assert_cmpstr (mcu_sdp_media_get_type (sdp, 1), ==, "video");
  g_assert_cmpstr (mcu_sdp_media_get_proto (sdp, 0), ==, "UDP/TLS/RTP/SAVPF");
  g_assert_cmpstr (mcu_sdp_media_get_formats (sdp, 0)[0], ==, "111");
  g_assert_cmpstr (mcu_sdp_get_attribute (sdp, 0, "mid"), ==, "0");
  g_assert_cmpstr (mcu_sdp_get_attribute (sdp, 0, "rtcp-mux"), ==, "");
  g_assert_null (mcu_sdp_get_attribute (sdp, 0, "bundle-only"));
  g_assert_cmpstr (mcu_sdp_get_attribute (sdp, MCU_SDP_SESSION, "group"), ==, "BUNDLE 0 1");
  g_assert_cmpuint (mcu_sdp_get_attribute_line (sdp, MCU_SDP_SESSION, "group"), ==, 5);
  g_assert_true (mcu_sdp_get_attribute_at (sdp, MCU_SDP_SESSION, 0, &name, &value));
  g_assert_cmpstr (name, ==, "group");
  g_assert_false (mcu_sdp_get_attribute_at (sdp, MCU_SDP_SESSION, 99, &name, &value));
  g_assert_null (mcu_sdp_media_get_type (sdp, 7));
}

static void
test_answer_chromium (void)
{
  g_autofree char *offer = load_data ("chromium-av.sdp");
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = answer_text (offer, &n);
  g_auto (GStrv) session = section_lines (answer, -1);
  g_auto (GStrv) audio = section_lines (answer, 0);
  g_auto (GStrv) video = section_lines (answer, 1);
  const McuSdpNegotiatedMedia *a = mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_AUDIO);
  const McuSdpNegotiatedMedia *v = mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_VIDEO);

  g_assert_true (g_str_has_suffix (answer, "\r\n"));
  assert_has (session, "v=0");
  assert_has (session, "a=group:BUNDLE 0 1");
  /* audio: Opus with the offer's payload type, only the supported feedback and extensions */
  assert_has (audio, "m=audio 40000 UDP/TLS/RTP/SAVPF 111");
  assert_has (audio, "c=IN IP4 198.51.100.5");
  assert_transport (audio);
  assert_has (audio, "a=mid:0");
  assert_has (audio, "a=sendrecv");
  assert_has (audio, "a=rtpmap:111 opus/48000/2");
  assert_has (audio, "a=fmtp:111 minptime=10;useinbandfec=1");
  assert_has (audio, "a=rtcp-fb:111 transport-cc");
  assert_has (audio, "a=rtcp-rsize");
  assert_has (audio, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  assert_has (audio, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid");
  assert_has (audio, "a=ssrc:101 cname:mcu-cname");
  assert_has (audio, "a=msid:room1 room1-audio");
  assert_has (audio, "a=candidate:1 1 udp 2130706431 198.51.100.5 40000 typ host");
  assert_has (audio, "a=end-of-candidates");
  assert_lacks_prefix (audio, "a=rtpmap:63");   /* red */
  assert_lacks_prefix (audio, "a=rtcp-xr");
  /* video: VP8 + its RTX, no H264/VP9/AV1, no toffset or color-space */
  assert_has (video, "m=video 9 UDP/TLS/RTP/SAVPF 96 97");
  assert_transport (video);
  assert_has (video, "a=mid:1");
  assert_has (video, "a=rtpmap:96 VP8/90000");
  assert_has (video, "a=rtpmap:97 rtx/90000");
  assert_has (video, "a=fmtp:97 apt=96");
  assert_has (video, "a=rtcp-fb:96 nack");
  assert_has (video, "a=rtcp-fb:96 nack pli");
  assert_has (video, "a=rtcp-fb:96 ccm fir");
  assert_has (video, "a=rtcp-fb:96 goog-remb");
  assert_has (video, "a=rtcp-fb:96 transport-cc");
  assert_has (video, "a=ssrc-group:FID 202 203");
  assert_has (video, "a=ssrc:203 cname:mcu-cname");
  assert_lacks_prefix (video, "a=rtpmap:102");
  assert_lacks_prefix (video, "a=extmap:14 ");
  assert_lacks_prefix (video, "a=extmap:1 ");
  assert_lacks_prefix (video, "a=candidate");
  g_assert_cmpuint (count_prefix (video, "a=extmap:"), ==, 3);

  g_assert_nonnull (a);
  g_assert_nonnull (v);
  g_assert_cmpuint (a->payload_type, ==, 111);
  g_assert_cmpuint (a->clock_rate, ==, 48000);
  g_assert_cmpuint (a->channels, ==, 2);
  g_assert_true (a->opus.useinbandfec);
  g_assert_false (a->opus.usedtx);
  g_assert_cmpuint (a->opus.minptime, ==, 10);
  g_assert_cmpuint (a->rtcp_fb, ==, MCU_SDP_FB_TRANSPORT_CC);
  g_assert_cmpuint (a->extmap.audio_level, ==, 1);
  g_assert_cmpuint (a->extmap.abs_send_time, ==, 2);
  g_assert_cmpuint (a->extmap.transport_cc, ==, 3);
  g_assert_cmpuint (a->extmap.mid, ==, 4);
  g_assert_cmpuint (a->remote_ssrc, !=, 0);
  g_assert_cmpuint (a->remote_rtx_ssrc, ==, 0);
  g_assert_nonnull (a->remote_cname);
  g_assert_nonnull (a->remote_msid);
  g_assert_cmpint (a->direction, ==, MCU_SDP_DIRECTION_SENDRECV);
  g_assert_cmpuint (v->payload_type, ==, 96);
  g_assert_cmpuint (v->rtx_payload_type, ==, 97);
  g_assert_cmpuint (v->clock_rate, ==, 90000);
  g_assert_cmpuint (v->rtcp_fb, ==, MCU_SDP_FB_NACK | MCU_SDP_FB_NACK_PLI | MCU_SDP_FB_CCM_FIR |
                                    MCU_SDP_FB_GOOG_REMB | MCU_SDP_FB_TRANSPORT_CC);
  g_assert_cmpuint (v->extmap.audio_level, ==, 0);
  g_assert_cmpuint (v->remote_ssrc, !=, 0);
  g_assert_cmpuint (v->remote_rtx_ssrc, !=, 0);
  g_assert_true (v->rtcp_rsize);
  g_assert_true (n->bundle);
  g_assert_cmpstr (n->bundle_mids[0], ==, "0");
  g_assert_cmpstr (n->bundle_mids[1], ==, "1");
  g_assert_null (n->bundle_mids[2]);
  g_assert_true (n->remote_ice_trickle);
  g_assert_false (n->remote_ice2);
  g_assert_cmpstr (n->remote_fingerprint_algorithm, ==, "sha-256");
  g_assert_cmpuint (strlen (n->remote_fingerprint), ==, 95);
  g_assert_cmpint (n->remote_setup, ==, MCU_SDP_SETUP_ACTPASS);
  g_assert_cmpint (n->local_dtls_role, ==, MCU_SDP_DTLS_SERVER);
  g_assert_cmpuint (g_strv_length (n->remote_candidates), >, 0);
  g_assert_true (g_str_has_prefix (n->remote_candidates[0], "candidate:"));
  g_assert_false (n->remote_end_of_candidates);
}

static void
test_answer_screen (void)
{
  g_autofree char *offer = load_data ("chromium-av-screen.sdp");
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = answer_text (offer, &n);
  g_auto (GStrv) session = section_lines (answer, -1);
  g_auto (GStrv) content = section_lines (answer, 2);
  const McuSdpNegotiatedMedia *c = mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_CONTENT);

  assert_has (session, "a=group:BUNDLE 0 1 2");
  assert_has (content, "m=video 9 UDP/TLS/RTP/SAVPF 96 97");
  assert_has (content, "a=mid:2");
  assert_has (content, "a=msid:room1-content room1-content");
  assert_has (content, "a=ssrc-group:FID 303 304");
  assert_transport (content);
  g_assert_nonnull (c);
  g_assert_cmpuint (c->index, ==, 2);
  g_assert_cmpstr (c->mid, ==, "2");
  g_assert_cmpuint (c->rtx_payload_type, ==, 97);
  g_assert_cmpuint (n->n_media, ==, 3);
}

static void
test_answer_datachannel (void)
{
  g_autofree char *offer = load_data ("chromium-av-data.sdp");
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = answer_text (offer, &n);
  g_auto (GStrv) session = section_lines (answer, -1);
  g_auto (GStrv) data = section_lines (answer, 2);

  assert_has (session, "a=group:BUNDLE 0 1");
  assert_has (data, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel");
  assert_has (data, "a=mid:2");
  assert_lacks_prefix (data, "a=ice-ufrag");
  g_assert_false (n->media[2].accepted);
  g_assert_cmpint (n->media[2].kind, ==, MCU_SDP_MEDIA_OTHER);
}

static void
test_answer_webrtcbin (void)
{
  g_autofree char *offer = load_data ("webrtcbin-av.sdp");
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = answer_text (offer, &n);
  g_auto (GStrv) session = section_lines (answer, -1);
  g_auto (GStrv) audio = section_lines (answer, 0);
  g_auto (GStrv) video = section_lines (answer, 1);
  const McuSdpNegotiatedMedia *v = mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_VIDEO);

  /* The bundle-only video (port 0 in the offer) is accepted, on the shared transport. */
  assert_has (session, "a=group:BUNDLE audio0 video1");
  assert_has (audio, "a=rtpmap:96 opus/48000/2");
  assert_has (audio, "a=mid:audio0");
  assert_transport (audio);
  assert_has (video, "m=video 9 UDP/TLS/RTP/SAVPF 97");
  assert_has (video, "a=mid:video1");
  assert_has (video, "a=rtcp-fb:97 nack pli");
  assert_has (video, "a=rtcp-fb:97 ccm fir");
  assert_lacks_prefix (video, "a=rtcp-fb:97 nack\r");
  g_assert_false (g_strv_contains ((const char *const *) video, "a=rtcp-fb:97 nack"));
  assert_lacks_prefix (video, "a=ssrc-group");
  assert_lacks_prefix (video, "a=rtpmap:98");
  assert_transport (video);
  g_assert_nonnull (v);
  g_assert_cmpuint (v->rtx_payload_type, ==, 0);
  g_assert_cmpuint (v->rtcp_fb, ==, MCU_SDP_FB_NACK_PLI | MCU_SDP_FB_CCM_FIR | MCU_SDP_FB_TRANSPORT_CC);
  g_assert_cmpuint (v->extmap.mid, ==, 0);
  g_assert_cmpuint (v->remote_ssrc, ==, 447268044);
  g_assert_cmpuint (mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_AUDIO)->payload_type, ==, 96);
  g_assert_cmpuint (g_strv_length (n->remote_candidates), ==, 9);
}

static void
test_answer_firefox (void)
{
  g_autofree char *offer = load_data ("firefox-av.sdp");
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = answer_text (offer, &n);
  g_auto (GStrv) audio = section_lines (answer, 0);
  g_auto (GStrv) video = section_lines (answer, 1);
  const McuSdpNegotiatedMedia *a = mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_AUDIO);
  const McuSdpNegotiatedMedia *v = mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_VIDEO);

  assert_has (audio, "m=audio 40000 UDP/TLS/RTP/SAVPF 109");
  assert_has (audio, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  assert_has (audio, "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid");
  assert_lacks_prefix (audio, "a=extmap:2");    /* csrc-audio-level, recvonly */
  assert_lacks_prefix (audio, "a=rtcp-rsize");  /* not offered for audio */
  assert_has (video, "m=video 9 UDP/TLS/RTP/SAVPF 120 124");
  assert_has (video, "a=fmtp:124 apt=120");
  assert_has (video, "a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  assert_lacks_prefix (video, "a=extmap:6");
  assert_lacks_prefix (video, "a=rtpmap:121");
  /* session-level fingerprint, media-level ICE, end-of-candidates */
  g_assert_cmpstr (n->remote_fingerprint, ==,
                   "5C:2A:8E:36:0B:72:41:9F:D3:6E:1C:44:07:B9:AA:12:93:5D:E0:4F:6B:81:C2:3A:97:DE:10:58:F4:2B:66:C7");
  g_assert_cmpstr (n->remote_ice_ufrag, ==, "3f7c21d9");
  g_assert_true (n->remote_end_of_candidates);
  g_assert_cmpuint (g_strv_length (n->remote_candidates), ==, 3);
  g_assert_true (a->opus.stereo);
  g_assert_true (a->opus.useinbandfec);
  g_assert_cmpuint (a->opus.minptime, ==, 0);
  g_assert_false (a->rtcp_rsize);
  g_assert_cmpuint (v->payload_type, ==, 120);
  g_assert_cmpuint (v->rtx_payload_type, ==, 124);
  g_assert_cmpuint (v->remote_ssrc, ==, 1638472018);
  g_assert_cmpuint (v->remote_rtx_ssrc, ==, 3920357162u);
  g_assert_cmpuint (v->extmap.transport_cc, ==, 7);
}

/* A minimal offer template: %s slots for audio direction, setup, and extra video lines. */
static char *
small_offer (const char *direction, const char *setup, const char *video_codec)
{
  return g_strdup_printf (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a v\r\n"
    "a=fingerprint:sha-256 AA:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 100\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\na=ice-ufrag:abcd\r\n"
    "a=ice-pwd:abcdefghijklmnopqrstuv\r\na=ice-options:trickle ice2\r\na=setup:%s\r\na=%s\r\na=rtcp-mux\r\n"
    "a=rtpmap:100 OPUS/48000/2\r\na=fmtp:100 usedtx=1; stereo=0;minptime=20\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 101\r\na=mid:v\r\na=%s\r\na=rtcp-mux\r\na=rtpmap:101 %s\r\n"
    "a=rtcp-fb:* nack\r\n",
    setup, direction, direction, video_codec);
}

typedef struct {
  const char *offered;
  McuSdpDirection local;
  const char *answered;
} DirectionCase;

static void
test_directions (void)
{
  static const DirectionCase cases[] = {
    { "sendrecv", MCU_SDP_DIRECTION_SENDRECV, "a=sendrecv" },
    { "sendonly", MCU_SDP_DIRECTION_RECVONLY, "a=recvonly" },
    { "recvonly", MCU_SDP_DIRECTION_SENDONLY, "a=sendonly" },
    { "inactive", MCU_SDP_DIRECTION_INACTIVE, "a=inactive" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *offer = small_offer (cases[i].offered, "actpass", "VP8/90000");
    g_autoptr (McuSdpNegotiated) n = NULL;
    g_autofree char *answer = answer_text (offer, &n);
    g_auto (GStrv) audio = section_lines (answer, 0);
    g_auto (GStrv) video = section_lines (answer, 1);
    assert_has (audio, cases[i].answered);
    assert_has (video, cases[i].answered);
    g_assert_cmpint (n->media[0].direction, ==, cases[i].local);
    g_assert_cmpuint (count_prefix (audio, "a=ssrc:"), ==, (cases[i].local & 1) ? 2 : 0);
  }
}

/* A server that sends no video (ssrc 0) answers a sendrecv video recvonly. */
static void
test_direction_no_local_stream (void)
{
  g_autofree char *text = small_offer ("sendrecv", "actpass", "VP8/90000");
  g_autoptr (McuSdp) offer = parse_ok (text);
  McuSdpLocal local = server;
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autoptr (McuSdp) answer = NULL;

  local.video_ssrc = 0;
  answer = mcu_sdp_answer (offer, &local, &n, NULL);
  g_assert_nonnull (answer);
  g_assert_cmpstr (mcu_sdp_get_attribute (answer, 1, "recvonly"), ==, "");
  g_assert_null (mcu_sdp_get_attribute (answer, 1, "msid"));
  g_assert_cmpint (n->media[1].direction, ==, MCU_SDP_DIRECTION_RECVONLY);
  g_assert_cmpint (n->media[0].direction, ==, MCU_SDP_DIRECTION_SENDRECV);
}

/* An ICE-lite server says so at session level (RFC 8839 §5.3); a full one does not. */
static void
test_ice_lite (void)
{
  g_autofree char *text = small_offer ("sendrecv", "actpass", "VP8/90000");
  g_autoptr (McuSdp) offer = parse_ok (text);
  McuSdpLocal local = server;
  g_autoptr (McuSdp) full = mcu_sdp_answer (offer, &server, NULL, NULL);
  g_autoptr (McuSdp) lite = NULL;
  g_autofree char *written = NULL;

  g_assert_null (mcu_sdp_get_attribute (full, MCU_SDP_SESSION, "ice-lite"));
  local.ice_lite = TRUE;
  lite = mcu_sdp_answer (offer, &local, NULL, NULL);
  g_assert_cmpstr (mcu_sdp_get_attribute (lite, MCU_SDP_SESSION, "ice-lite"), ==, "");
  g_assert_null (mcu_sdp_get_attribute (lite, 0, "ice-lite"));
  written = mcu_sdp_to_string (lite);
  g_assert_nonnull (strstr (written, "\r\na=ice-lite\r\n"));
}

static void
test_setup_roles (void)
{
  static const struct {
    const char *offered, *answered;
    McuSdpSetup remote;
    McuSdpDtlsRole local;
  } cases[] = {
    { "actpass", "passive", MCU_SDP_SETUP_ACTPASS, MCU_SDP_DTLS_SERVER },
    { "active", "passive", MCU_SDP_SETUP_ACTIVE, MCU_SDP_DTLS_SERVER },
    { "passive", "active", MCU_SDP_SETUP_PASSIVE, MCU_SDP_DTLS_CLIENT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = small_offer ("sendrecv", cases[i].offered, "VP8/90000");
    g_autoptr (McuSdp) offer = parse_ok (text);
    g_autoptr (McuSdpNegotiated) n = NULL;
    g_autoptr (McuSdp) answer = mcu_sdp_answer (offer, &server, &n, NULL);
    g_assert_cmpstr (mcu_sdp_get_attribute (answer, 0, "setup"), ==, cases[i].answered);
    g_assert_cmpint (n->remote_setup, ==, cases[i].remote);
    g_assert_cmpint (n->local_dtls_role, ==, cases[i].local);
    g_assert_true (n->remote_ice2);
    g_assert_true (n->media[0].opus.usedtx);
    g_assert_false (n->media[0].opus.stereo);
    g_assert_cmpuint (n->media[0].opus.minptime, ==, 20);
    g_assert_cmpuint (n->media[1].rtcp_fb, ==, MCU_SDP_FB_NACK);   /* from rtcp-fb:* */
  }
}

static void
test_reject_video_without_vp8 (void)
{
  g_autofree char *text = small_offer ("sendrecv", "actpass", "H264/90000");
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = answer_text (text, &n);
  g_auto (GStrv) session = section_lines (answer, -1);
  g_auto (GStrv) video = section_lines (answer, 1);

  assert_has (video, "m=video 0 UDP/TLS/RTP/SAVPF 101");
  assert_has (video, "a=mid:v");
  assert_has (session, "a=group:BUNDLE a");
  g_assert_false (n->media[1].accepted);
  g_assert_null (mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_VIDEO));
}

/* An offer without BUNDLE keeps only its first usable m-line: one transport per site. */
static void
test_no_bundle (void)
{
  g_autofree char *base = small_offer ("sendrecv", "actpass", "VP8/90000");
  g_autofree char *text = NULL;
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = NULL;
  char *group = strstr (base, "a=group:BUNDLE a v\r\n");

  memmove (group, group + 20, strlen (group + 20) + 1);
  text = g_strdup (base);
  answer = answer_text (text, &n);
  g_assert_false (n->bundle);
  g_assert_null (n->bundle_mids[0]);
  g_assert_true (n->media[0].accepted);
  g_assert_false (n->media[1].accepted);
  g_assert_null (strstr (answer, "a=group"));
  g_assert_nonnull (strstr (answer, "m=video 0 "));
}

/* Only sendrecv extensions are taken; a tagged m-line that is rejected hands the tag to the next one. */
static void
test_extmap_direction_and_tag (void)
{
  static const char text[] =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE d a\r\n"
    "a=fingerprint:sha-256 AA:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
    "a=extmap:5/recvonly urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:6/sendrecv urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n";
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autofree char *answer = answer_text (text, &n);
  g_auto (GStrv) session = section_lines (answer, -1);
  g_auto (GStrv) audio = section_lines (answer, 1);

  assert_has (session, "a=group:BUNDLE a");
  assert_has (audio, "m=audio 40000 UDP/TLS/RTP/SAVPF 111");
  assert_has (audio, "a=end-of-candidates");
  assert_has (audio, "a=extmap:6 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  assert_lacks_prefix (audio, "a=extmap:5");
  g_assert_cmpuint (n->media[1].extmap.mid, ==, 0);
  g_assert_cmpuint (n->media[1].extmap.audio_level, ==, 6);
  g_assert_cmpstr (n->bundle_mids[0], ==, "a");
}

typedef struct {
  const char *text;
  McuSdpError code;
  const char *message;
} BadCase;

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define FPL "a=fingerprint:sha-256 AA:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
#define ICE "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
#define AUDIO "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\n"

static const BadCase bad_cases[] = {
  { "", MCU_SDP_ERROR_MISSING, "line 1: description ends before" },
  { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", MCU_SDP_ERROR_MISSING, "line 2: description ends before" },
  { "v=1\r\n", MCU_SDP_ERROR_SYNTAX, "line 1: unsupported SDP version" },
  { "o=- 1 1 IN IP4 0.0.0.0\r\n", MCU_SDP_ERROR_SYNTAX, "line 1: expected the 'v=' line" },
  { "v=0\r\no=- 1\r\n", MCU_SDP_ERROR_SYNTAX, "line 2: o= line needs 6 fields" },
  { "v=0\r\no=- x 1 IN IP4 0.0.0.0\r\ns=-\r\n", MCU_SDP_ERROR_SYNTAX, "line 2: o= session id" },
  { HEAD "a=x\r\nhello\r\n", MCU_SDP_ERROR_SYNTAX, "line 6: expected 'x=value', got 'hello'" },
  { HEAD "a=\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: attribute name" },
  { HEAD "Z=1\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: expected 'x=value'" },
  { HEAD "q=1\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: line type 'q=' is not allowed at session level" },
  { HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 1\r\nt=0 0\r\n", MCU_SDP_ERROR_SYNTAX, "line 6: line type 't=' is not allowed in a media section" },
  { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", MCU_SDP_ERROR_MISSING, "line 4: no t= line" },
  { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", MCU_SDP_ERROR_MISSING, "no t= line" },
  { HEAD "m=audio 9\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: m= line needs 'MEDIA PORT PROTO FORMAT...'" },
  { HEAD "m=audio\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: m= line needs" },
  { HEAD "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: port '70000' is not a number from 0 to 65535" },
  { HEAD "m=audio -1 UDP/TLS/RTP/SAVPF 111\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: port '-1'" },
  { HEAD "m=audio 9x UDP/TLS/RTP/SAVPF 111\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: port '9x'" },
  { HEAD "m=audio 9/x UDP/TLS/RTP/SAVPF 111\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: port" },
  { HEAD "c=IN IP4\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: c= line needs" },
  /* well-formed SDP that WebRTC cannot use */
  { HEAD FPL AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_MISSING, "line 6: m=audio (mid 0) has no a=ice-ufrag" },
  { HEAD ICE AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_MISSING, "line 7: m=audio (mid 0) has no a=fingerprint" },
  { HEAD ICE "a=fingerprint:sha-1 AA:BB\r\n" AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_UNSUPPORTED, "no sha-256 a=fingerprint" },
  { HEAD ICE "a=fingerprint:sha-256 AA:BB\r\n" AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_SYNTAX, "line 7: a=fingerprint:sha-256 needs 32 hex bytes" },
  { HEAD FPL ICE AUDIO, MCU_SDP_ERROR_MISSING, "line 8: m=audio section has no a=mid" },
  { HEAD FPL ICE AUDIO "a=mid:0\r\n" AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_INVALID, "line 15: duplicate a=mid:0" },
  { HEAD FPL ICE AUDIO "a=mid:a b\r\n", MCU_SDP_ERROR_SYNTAX, "line 11: a=mid 'a b'" },
  { HEAD "a=group:BUNDLE 0 7\r\n" FPL ICE AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_INVALID, "line 5: a=group:BUNDLE names mid '7'" },
  { HEAD FPL ICE "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=mid:0\r\n", MCU_SDP_ERROR_UNSUPPORTED, "line 8: m=audio (mid 0) has no a=rtcp-mux" },
  { HEAD FPL ICE "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111\r\na=mid:0\r\n", MCU_SDP_ERROR_SYNTAX, "line 9: a=rtpmap needs" },
  { HEAD FPL ICE "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus\r\na=mid:0\r\n", MCU_SDP_ERROR_SYNTAX, "line 9: a=rtpmap:111 needs 'ENCODING/RATE" },
  { HEAD FPL ICE "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:300 opus/48000\r\na=mid:0\r\n", MCU_SDP_ERROR_SYNTAX, "line 9: a=rtpmap needs" },
  { HEAD FPL ICE AUDIO "a=mid:0\r\na=extmap:x urn:foo\r\n", MCU_SDP_ERROR_SYNTAX, "line 12: a=extmap id 'x'" },
  { HEAD FPL ICE AUDIO "a=mid:0\r\na=extmap: urn:ietf:params:rtp-hdrext:sdes:mid\r\n", MCU_SDP_ERROR_SYNTAX, "line 12: a=extmap id ''" },
  { HEAD FPL ICE AUDIO "a=mid:0\r\na=ssrc:abc cname:x\r\n", MCU_SDP_ERROR_SYNTAX, "line 12: a=ssrc needs" },
  { HEAD FPL ICE AUDIO "a=mid:0\r\na=candidate:1 1 udp 1 1.2.3.4 99999 typ host\r\n", MCU_SDP_ERROR_SYNTAX, "line 12: a=candidate needs" },
  { HEAD FPL ICE AUDIO "a=mid:0\r\na=candidate:1 1 udp\r\n", MCU_SDP_ERROR_SYNTAX, "line 12: a=candidate needs" },
  { HEAD FPL "a=ice-ufrag:ab\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n" AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_SYNTAX, "line 6: a=ice-ufrag must be" },
  { HEAD FPL "a=ice-ufrag:abcd\r\na=ice-pwd:short\r\n" AUDIO "a=mid:0\r\n", MCU_SDP_ERROR_SYNTAX, "line 7: a=ice-pwd must be" },
  { HEAD FPL ICE AUDIO "a=mid:0\r\na=setup:holdconn\r\n", MCU_SDP_ERROR_UNSUPPORTED, "line 12: a=setup:holdconn" },
  { HEAD FPL ICE "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\na=rtcp-mux\r\na=mid:0\r\n", MCU_SDP_ERROR_UNSUPPORTED, "no usable audio" },
  { HEAD FPL ICE "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n", MCU_SDP_ERROR_UNSUPPORTED, "no usable audio" },
  { HEAD "a=x:\xff\xfe\r\n", MCU_SDP_ERROR_SYNTAX, "line 5: not valid UTF-8" },
  { HEAD "m=audio 9\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0\xc3\xa0x RTP/AVP 0\r\n",
    MCU_SDP_ERROR_SYNTAX, "line 5: port '9" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *bad = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdp) offer = mcu_sdp_parse (bad->text, -1, &error);
  g_autoptr (McuSdp) answer = NULL;

  if (offer != NULL)
    answer = mcu_sdp_answer (offer, &server, NULL, &error);
  g_assert_null (answer);
  g_assert_nonnull (error);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (error->domain != MCU_SDP_ERROR || error->code != (int) bad->code ||
      strstr (error->message, bad->message) == NULL)
    g_error ("got code %d '%s', want code %d with '%s'", error->code, error->message, bad->code,
             bad->message);
}

static void
test_nul_byte (void)
{
  static const char text[] = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=\0-\r\nt=0 0\r\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdp) sdp = mcu_sdp_parse (text, sizeof text - 1, &error);

  g_assert_null (sdp);
  g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SYNTAX);
  g_assert_nonnull (strstr (error->message, "line 3: contains a NUL byte"));
}

static void
test_limits (void)
{
  g_autoptr (GError) error = NULL;
  gsize big = 1024 * 1024;
  g_autofree char *junk = g_malloc (big);
  g_autoptr (GString) many = g_string_new (HEAD);
  g_autofree char *long_line = NULL;
  McuSdp *sdp;

  for (gsize i = 0; i < big; i++)
    junk[i] = (char) ('a' + i % 26);
  sdp = mcu_sdp_parse (junk, (gssize) big, &error);
  g_assert_null (sdp);
  g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "1048576 bytes"));
  g_clear_error (&error);

  for (guint i = 0; i <= MCU_SDP_MAX_MEDIA; i++)
    g_string_append (many, "m=audio 0 RTP/AVP 0\r\n");
  sdp = mcu_sdp_parse (many->str, -1, &error);
  g_assert_null (sdp);
  g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_TOO_LARGE);
  g_clear_error (&error);

  long_line = g_strdup_printf (HEAD "a=x:%0*d\r\n", MCU_SDP_MAX_LINE, 0);
  sdp = mcu_sdp_parse (long_line, -1, &error);
  g_assert_null (sdp);
  g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "line 5:"));
}

/* LF-only line endings and blank lines are tolerated; the writer always uses CRLF. */
static void
test_lf_endings (void)
{
  g_autoptr (McuSdp) sdp = parse_ok ("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n\na=ice-lite\n");
  g_autofree char *text = mcu_sdp_to_string (sdp);

  g_assert_cmpstr (text, ==, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n");
}

/* The load generator's offer, answered by the server, read back by the client. */
static void
test_client_roundtrip (void)
{
  static const McuSdpLocal client = {
    .ice_ufrag = "cliU", .ice_pwd = "clientpasswordclientpw", .fingerprint = FP,
    .audio_ssrc = 11, .video_ssrc = 22, .video_rtx_ssrc = 23, .content_ssrc = 33, .content_rtx_ssrc = 34,
    .cname = "site", .stream_id = "site",
  };
  g_autoptr (McuSdp) offer = mcu_sdp_offer (&client, TRUE);
  g_autofree char *offer_text = mcu_sdp_to_string (offer);
  g_autoptr (McuSdp) parsed = parse_ok (offer_text);
  g_autoptr (McuSdpNegotiated) server_side = NULL;
  g_autoptr (McuSdpNegotiated) client_side = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdp) answer = mcu_sdp_answer (parsed, &server, &server_side, &error);
  g_autofree char *answer_str = NULL;
  g_autoptr (McuSdp) answer_parsed = NULL;
  g_auto (GStrv) offer_video = section_lines (offer_text, 1);

  g_assert_no_error (error);
  assert_has (offer_video, "a=setup:actpass");
  assert_has (offer_video, "a=ssrc-group:FID 22 23");
  assert_has (offer_video, "a=rtpmap:97 rtx/90000");
  g_assert_cmpstr (mcu_sdp_get_attribute (parsed, MCU_SDP_SESSION, "group"), ==, "BUNDLE 0 1 2");
  g_assert_cmpuint (server_side->media[0].remote_ssrc, ==, 11);
  g_assert_cmpuint (server_side->media[1].remote_rtx_ssrc, ==, 23);
  g_assert_cmpint (server_side->media[2].kind, ==, MCU_SDP_MEDIA_CONTENT);
  g_assert_cmpuint (server_side->media[2].payload_type, ==, 98);

  answer_str = mcu_sdp_to_string (answer);
  answer_parsed = parse_ok (answer_str);
  g_assert_true (mcu_sdp_read_answer (offer, answer_parsed, &client_side, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (client_side->remote_ice_ufrag, ==, "srvU");
  g_assert_cmpint (client_side->remote_setup, ==, MCU_SDP_SETUP_PASSIVE);
  g_assert_cmpint (client_side->local_dtls_role, ==, MCU_SDP_DTLS_CLIENT);
  g_assert_true (client_side->remote_end_of_candidates);
  g_assert_cmpstr (client_side->remote_candidates[0], ==, server_candidates[0]);
  g_assert_cmpuint (client_side->n_media, ==, 3);
  g_assert_cmpuint (client_side->media[1].remote_ssrc, ==, 202);
  g_assert_cmpuint (client_side->media[1].remote_rtx_ssrc, ==, 203);
  g_assert_cmpuint (client_side->media[1].rtx_payload_type, ==, 97);
  g_assert_cmpuint (client_side->media[2].remote_ssrc, ==, 303);
  g_assert_cmpstr (client_side->media[2].mid, ==, "2");
  g_assert_cmpuint (client_side->media[0].extmap.audio_level, ==, 1);
  g_assert_true (client_side->bundle);
}

static void
test_read_answer_mismatch (void)
{
  static const McuSdpLocal client = {
    .ice_ufrag = "cliU", .ice_pwd = "clientpasswordclientpw", .fingerprint = FP, .audio_ssrc = 1,
  };
  g_autoptr (McuSdp) offer = mcu_sdp_offer (&client, FALSE);
  g_autoptr (McuSdp) three = mcu_sdp_offer (&client, TRUE);
  g_autoptr (McuSdp) answer = mcu_sdp_answer (offer, &server, NULL, NULL);
  g_autofree char *text = mcu_sdp_to_string (answer);
  g_autoptr (GError) error = NULL;
  char *setup;

  g_assert_false (mcu_sdp_read_answer (three, answer, NULL, &error));
  g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_MISMATCH);
  g_clear_error (&error);

  /* An answer may not leave the DTLS role open. */
  while ((setup = strstr (text, "setup:passive")) != NULL)
    memcpy (setup + 6, "actpass", 7);
  {
    g_autoptr (McuSdp) bad = parse_ok (text);
    g_assert_false (mcu_sdp_read_answer (offer, bad, NULL, &error));
    g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, "a=setup:actpass"));
  }
}

static void
test_fragment_parse (void)
{
  static const char text[] =
    "a=ice-options:trickle ice2\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 9 RTP/AVP 0\r\n"
    "a=mid:0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw\r\n"
    "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw\r\n"
    "a=end-of-candidates\r\n"
    "m=video 9 RTP/AVP 0\r\n"
    "a=candidate:9 1 udp 1 203.0.113.9 5000 typ host\r\n"
    "a=mid:1\r\n";
  g_autoptr (McuSdpFragment) frag = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (mcu_sdp_fragment_parse (text, -1, &frag, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (frag->ice_ufrag, ==, "EsAw");
  g_assert_cmpstr (frag->ice_pwd, ==, "P2uYro0UCOQ4zxjKXaWCBui1");
  g_assert_true (frag->ice_trickle);
  g_assert_true (frag->ice2);
  g_assert_true (frag->end_of_candidates);
  g_assert_cmpuint (frag->n_candidates, ==, 3);
  g_assert_cmpstr (frag->candidates[0].mid, ==, "0");
  g_assert_cmpuint (frag->candidates[0].mline_index, ==, 0);
  g_assert_true (g_str_has_prefix (frag->candidates[1].candidate, "candidate:3471623853 1 udp"));
  g_assert_cmpstr (frag->candidates[2].mid, ==, "1");   /* a=mid after the candidate */
  g_assert_cmpuint (frag->candidates[2].mline_index, ==, 1);
}

static void
test_fragment_bad (void)
{
  static const struct { const char *text; gssize len; const char *message; } cases[] = {
    { "a=candidate:1 1 udp\r\n", -1, "line 1: a=candidate needs" },
    { "a=mid:0\r\na=ice-ufrag:x\r\n", -1, "line 2: a=ice-ufrag must be" },
    { "a=ice-pwd:short\r\n", -1, "line 1: a=ice-pwd must be" },
    { "a=mid:0\r\nnonsense\r\n", -1, "line 2: expected 'x=value'" },
    { "a=mid:0\r\na=end-of-\0candidates\r\n", 33, "line 2: contains a NUL byte" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (McuSdpFragment) frag = NULL;
    g_autoptr (GError) error = NULL;
    g_assert_false (mcu_sdp_fragment_parse (cases[i].text, cases[i].len, &frag, &error));
    g_assert_null (frag);
    g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SYNTAX);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("'%s' lacks '%s'", error->message, cases[i].message);
  }
}

static void
test_fragment_write (void)
{
  static const char *const candidates[] = { "candidate:1 1 UDP 2130706431 198.51.100.1 39132 typ host", NULL };
  g_autofree char *text = mcu_sdp_fragment_write ("289b31b7", "0b66f472495ef0ccac7bda653ab6be49", "0",
                                                  candidates, TRUE);
  g_autoptr (McuSdpFragment) frag = NULL;

  g_assert_cmpstr (text, ==,
                   "a=ice-ufrag:289b31b7\r\n"
                   "a=ice-pwd:0b66f472495ef0ccac7bda653ab6be49\r\n"
                   "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
                   "a=mid:0\r\n"
                   "a=candidate:1 1 UDP 2130706431 198.51.100.1 39132 typ host\r\n"
                   "a=end-of-candidates\r\n");
  g_assert_true (mcu_sdp_fragment_parse (text, -1, &frag, NULL));
  g_assert_cmpstr (frag->ice_ufrag, ==, "289b31b7");
  g_assert_cmpuint (frag->n_candidates, ==, 1);
  g_assert_cmpstr (frag->candidates[0].candidate, ==, candidates[0]);
  g_assert_cmpstr (frag->candidates[0].mid, ==, "0");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp/parse/roundtrip-captured", test_roundtrip);
  g_test_add_func ("/sdp/parse/accessors", test_accessors);
  g_test_add_func ("/sdp/parse/lf-endings", test_lf_endings);
  g_test_add_func ("/sdp/parse/nul-byte", test_nul_byte);
  g_test_add_func ("/sdp/parse/limits", test_limits);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree char *name = g_strdup_printf ("/sdp/bad/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &bad_cases[i], test_bad);
  }
  g_test_add_func ("/sdp/answer/chromium", test_answer_chromium);
  g_test_add_func ("/sdp/answer/chromium-screen", test_answer_screen);
  g_test_add_func ("/sdp/answer/chromium-datachannel", test_answer_datachannel);
  g_test_add_func ("/sdp/answer/webrtcbin-bundle-only", test_answer_webrtcbin);
  g_test_add_func ("/sdp/answer/firefox", test_answer_firefox);
  g_test_add_func ("/sdp/answer/directions", test_directions);
  g_test_add_func ("/sdp/answer/no-local-stream", test_direction_no_local_stream);
  g_test_add_func ("/sdp/answer/ice-lite", test_ice_lite);
  g_test_add_func ("/sdp/answer/setup-roles", test_setup_roles);
  g_test_add_func ("/sdp/answer/reject-video-without-vp8", test_reject_video_without_vp8);
  g_test_add_func ("/sdp/answer/no-bundle", test_no_bundle);
  g_test_add_func ("/sdp/answer/extmap-direction-and-tag", test_extmap_direction_and_tag);
  g_test_add_func ("/sdp/client/roundtrip", test_client_roundtrip);
  g_test_add_func ("/sdp/client/answer-mismatch", test_read_answer_mismatch);
  g_test_add_func ("/sdp/fragment/parse", test_fragment_parse);
  g_test_add_func ("/sdp/fragment/bad", test_fragment_bad);
  g_test_add_func ("/sdp/fragment/write", test_fragment_write);
  return g_test_run ();
}
