/* SPDX-License-Identifier: MIT */
/*
 * mcu-sdp: the operator's SDP tool.
 *   mcu-sdp answer [FILE]   print the answer the MCU would give to the offer in FILE (stdin if none),
 *                           with placeholder ICE/DTLS values; exit 1 with the reason on a bad offer.
 *   mcu-sdp check [FILE]    say in plain words what the MCU understood of an offer: codecs, BUNDLE,
 *                           directions, header extensions, feedback, candidates, fingerprint.
 * Single-threaded.
 */
#include "sdp/sdp.h"

#include <stdio.h>
#include <string.h>

#define PLACEHOLDER_FINGERPRINT \
  "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

/* One host candidate on a documentation address (RFC 5737), so the answer shows where the server's
 * candidates go; the real server puts its own. */
static const char *const placeholder_candidates[] = {
  "candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host", NULL
};

static const McuSdpLocal placeholder = {
  .ice_ufrag = "mcuU",
  .ice_pwd = "mcupasswordplaceholder00",
  .fingerprint = PLACEHOLDER_FINGERPRINT,
  .candidates = placeholder_candidates,
  .end_of_candidates = TRUE,
  .audio_ssrc = 1111,
  .video_ssrc = 2222,
  .video_rtx_ssrc = 2223,
  .content_ssrc = 3333,
  .content_rtx_ssrc = 3334,
  .cname = "mcu",
  .stream_id = "mcu",
};

static char *
read_input (const char *path, gsize *len, GError **error)
{
  char *text = NULL;

  if (path != NULL && strcmp (path, "-") != 0) {
    if (!g_file_get_contents (path, &text, len, error))
      return NULL;
    return text;
  }
  g_autoptr (GString) in = g_string_new (NULL);
  char buf[4096];
  gsize n;
  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0) {
    g_string_append_len (in, buf, (gssize) n);
    if (in->len > 16 * 1024 * 1024)
      break;   /* the parser rejects anything this large anyway */
  }
  *len = in->len;
  return g_string_free (g_steal_pointer (&in), FALSE);
}

static const char *
feedback_words (guint bits, char *buf, gsize size)
{
  static const struct { guint bit; const char *word; } names[] = {
    { MCU_SDP_FB_NACK, "nack" }, { MCU_SDP_FB_NACK_PLI, "nack-pli" }, { MCU_SDP_FB_CCM_FIR, "ccm-fir" },
    { MCU_SDP_FB_GOOG_REMB, "goog-remb" }, { MCU_SDP_FB_TRANSPORT_CC, "transport-cc" },
  };
  buf[0] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (bits & names[i].bit)
      g_strlcat (buf, *buf ? ", " : "", size), g_strlcat (buf, names[i].word, size);
  return *buf ? buf : "none";
}

static void
print_media (const McuSdp *offer, const McuSdpNegotiatedMedia *m)
{
  char fb[128];

  printf ("m-line %u (m=%s, mid %s): ", m->index, mcu_sdp_media_get_type (offer, m->index),
          m->mid ? m->mid : "none");
  if (!m->accepted) {
    printf ("REJECTED (port 0): %s\n",
            m->kind == MCU_SDP_MEDIA_OTHER ? "not audio or one of two videos (data channel or extra m-line)"
            : mcu_sdp_media_get_port (offer, m->index) == 0 && !mcu_sdp_get_attribute (offer, (int) m->index, "bundle-only")
              ? "disabled in the offer (port 0)"
              : m->kind == MCU_SDP_MEDIA_AUDIO ? "no Opus/48000 offered, or outside BUNDLE"
                                               : "no VP8/90000 offered, or outside BUNDLE");
    return;
  }
  printf ("%s, MCU %s\n", mcu_sdp_media_kind_to_string (m->kind), mcu_sdp_direction_to_string (m->direction));
  if (m->kind == MCU_SDP_MEDIA_AUDIO)
    printf ("  codec: Opus pt %u, %u Hz, %u ch; in-band FEC %s, DTX %s, stereo %s, minptime %u\n",
            m->payload_type, m->clock_rate, m->channels, m->opus.useinbandfec ? "yes" : "no",
            m->opus.usedtx ? "yes" : "no", m->opus.stereo ? "yes" : "no", m->opus.minptime);
  else if (m->rtx_payload_type)
    printf ("  codec: VP8 pt %u, retransmission (RTX) pt %u\n", m->payload_type, m->rtx_payload_type);
  else
    printf ("  codec: VP8 pt %u, no RTX (lost packets are only repaired by keyframes)\n", m->payload_type);
  printf ("  feedback: %s; reduced-size RTCP %s\n", feedback_words (m->rtcp_fb, fb, sizeof fb),
          m->rtcp_rsize ? "yes" : "no");
  printf ("  extensions: audio-level %u, abs-send-time %u, transport-cc %u, mid %u (0 = not used)\n",
          m->extmap.audio_level, m->extmap.abs_send_time, m->extmap.transport_cc, m->extmap.mid);
  if (m->remote_ssrc)
    printf ("  client ssrc %u%s", m->remote_ssrc, m->remote_rtx_ssrc ? "" : "\n");
  if (m->remote_ssrc && m->remote_rtx_ssrc)
    printf (", rtx ssrc %u\n", m->remote_rtx_ssrc);
}

static void
print_check (const McuSdp *offer, const McuSdpNegotiated *n)
{
  g_autofree char *mids = g_strjoinv (" ", n->bundle_mids);
  guint n_candidates = g_strv_length (n->remote_candidates);

  printf ("offer OK: the MCU can answer it\n");
  printf ("bundle: %s\n", n->bundle ? mids : "no (only the first usable m-line is kept)");
  printf ("ice: ufrag %s, trickle %s, ice2 %s\n", n->remote_ice_ufrag, n->remote_ice_trickle ? "yes" : "no",
          n->remote_ice2 ? "yes" : "no");
  printf ("candidates: %u%s\n", n_candidates,
          n->remote_end_of_candidates ? " (complete: end-of-candidates)" : " (more may trickle in)");
  for (guint i = 0; i < n_candidates; i++)
    printf ("  %s\n", n->remote_candidates[i]);
  printf ("fingerprint: %s %s\n", n->remote_fingerprint_algorithm, n->remote_fingerprint);
  printf ("dtls: client setup %s, MCU is the DTLS %s\n",
          n->remote_setup == MCU_SDP_SETUP_ACTPASS ? "actpass"
          : n->remote_setup == MCU_SDP_SETUP_ACTIVE ? "active" : "passive",
          n->local_dtls_role == MCU_SDP_DTLS_SERVER ? "server" : "client");
  for (guint i = 0; i < n->n_media; i++)
    print_media (offer, &n->media[i]);
}

static int
usage (void)
{
  fprintf (stderr, "usage: mcu-sdp answer [FILE]   print the MCU's answer to an offer (stdin if no FILE)\n"
                   "       mcu-sdp check [FILE]    explain what the MCU understands of an offer\n");
  return 2;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr (McuSdp) offer = NULL;
  g_autoptr (McuSdp) answer = NULL;
  g_autoptr (McuSdpNegotiated) n = NULL;
  const char *file = argc > 2 ? argv[2] : NULL;
  gsize len = 0;

  if (argc < 2 || argc > 3 || (strcmp (argv[1], "answer") != 0 && strcmp (argv[1], "check") != 0))
    return usage ();
  text = read_input (file, &len, &error);
  if (text != NULL)
    offer = mcu_sdp_parse (text, (gssize) len, &error);
  if (offer != NULL)
    answer = mcu_sdp_answer (offer, &placeholder, &n, &error);
  if (answer == NULL) {
    fprintf (stderr, "mcu-sdp: %s%s%s\n", file ? file : "", file ? ":" : "", error->message);
    return 1;
  }
  if (strcmp (argv[1], "check") == 0) {
    print_check (offer, n);
  } else {
    g_autofree char *out = mcu_sdp_to_string (answer);
    fputs (out, stdout);
  }
  return 0;
}
