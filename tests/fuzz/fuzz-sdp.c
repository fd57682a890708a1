/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for sdp/: the parser, the writer, the answerer and the trickle-fragment parser must
 * turn any input into a result or a GError, never crash, leak or read out of bounds. Properties checked
 * on inputs that parse: writing and re-parsing gives the same text; the MCU's answer parses and
 * mcu_sdp_read_answer accepts it against the offer (the answer is always consistent with its offer).
 */
#include "sdp/sdp.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define FP "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

static void
check_roundtrip (const McuSdp *sdp)
{
  g_autofree char *text = mcu_sdp_to_string (sdp);
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdp) again = mcu_sdp_parse (text, -1, &error);

  /* Writing may only fail to re-parse when the input was near the size limit (CRLF grows it). */
  if (again == NULL) {
    g_assert_true (g_error_matches (error, MCU_SDP_ERROR, MCU_SDP_ERROR_TOO_LARGE));
    return;
  }
  g_autofree char *text2 = mcu_sdp_to_string (again);
  g_assert_cmpstr (text, ==, text2);
}

static void
check_answer (const McuSdp *offer)
{
  static const char *const candidates[] = { "candidate:1 1 udp 2130706431 198.51.100.5 40000 typ host", NULL };
  static const McuSdpLocal local = {
    .ice_ufrag = "srvU", .ice_pwd = "serverpasswordserverpw", .fingerprint = FP,
    .candidates = candidates, .end_of_candidates = TRUE,
    .audio_ssrc = 1, .video_ssrc = 2, .video_rtx_ssrc = 3, .content_ssrc = 4, .content_rtx_ssrc = 5,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdpNegotiated) n = NULL;
  g_autoptr (McuSdp) answer = mcu_sdp_answer (offer, &local, &n, &error);

  g_assert_true ((answer == NULL) == (error != NULL));
  if (answer == NULL)
    return;
  g_assert_nonnull (mcu_sdp_negotiated_find (n, MCU_SDP_MEDIA_AUDIO));
  g_autofree char *text = mcu_sdp_to_string (answer);
  g_autoptr (McuSdp) parsed = mcu_sdp_parse (text, -1, &error);
  g_assert_no_error (error);
  g_autoptr (McuSdpNegotiated) back = NULL;
  if (!mcu_sdp_read_answer (offer, parsed, &back, &error)) {
    g_printerr ("own answer rejected: %s\n%s", error->message, text);
    abort ();   /* a signal libFuzzer turns into a crash file */
  }
  g_assert_cmpstr (back->remote_ice_ufrag, ==, "srvU");
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdp) sdp = mcu_sdp_parse ((const char *) data, (gssize) size, &error);
  g_autoptr (McuSdpFragment) fragment = NULL;
  g_autoptr (GError) frag_error = NULL;

  g_assert_true ((sdp == NULL) == (error != NULL));
  if (error != NULL)
    g_assert_true (g_str_has_prefix (error->message, "line "));
  if (sdp != NULL) {
    check_roundtrip (sdp);
    check_answer (sdp);
  }
  if (!mcu_sdp_fragment_parse ((const char *) data, (gssize) size, &fragment, &frag_error))
    g_assert_nonnull (frag_error);
  return 0;
}
