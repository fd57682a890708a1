/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the RTP parser, the extension readers and writer, RTX unwrap, and an
 * McuRtpSession receiving the input as RTP (SSRC learning, statistics, NACK list, TWCC window, the
 * feedback timers). Any input must be rejected or handled without a crash, leak or OOB access. */
#include <string.h>

#include "transport/rtp-session.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
send_nothing (gpointer user_data, guint8 *packet, gsize len)
{
}

static void
on_media (gpointer user_data, McuMediaKind kind, guint8 *packet, gsize len, const McuRtpInfo *info)
{
  g_assert (info->payload_offset + info->payload_len <= len);
}

static void
exercise_parser (const guint8 *data, size_t size)
{
  guint8 buf[MCU_RTP_MAX_PACKET + 64];
  McuRtpHeader h;
  char mid[16];
  gboolean voice;
  guint8 value[4] = { 1, 2, 3, 4 };

  if (size > MCU_RTP_MAX_PACKET || mcu_rtp_parse (data, size, &h) < 0)
    return;
  g_assert (h.header_len + h.payload_len + h.padding_len == size);
  for (guint8 id = 0; id < 16; id++) {
    (void) mcu_rtp_get_audio_level (data, &h, id, &voice);
    (void) mcu_rtp_get_twcc_seq (data, &h, id);
    (void) mcu_rtp_get_abs_send_time (data, &h, id);
    (void) mcu_rtp_get_mid (data, &h, id, mid, sizeof mid);
  }
  memcpy (buf, data, size);
  McuRtpHeader w = h;
  int len = mcu_rtp_set_extension (buf, size, sizeof buf, &w, (guint8) (1 + size % 20), value,
                                   1 + size % 4);
  if (len > 0) {
    g_assert (mcu_rtp_parse (buf, (gsize) len, &w) == 0);
    g_assert (w.payload_len == h.payload_len);
    (void) mcu_rtp_rtx_unwrap (buf, (gsize) len, &w, 96, 1);
  }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  McuRtpSessionConfig config = {
    .local_audio_ssrc = 1, .local_video_ssrc = 2, .local_video_rtx_ssrc = 3,
    .audio_pt = 111, .video_pt = 96, .video_rtx_pt = 97,
    .nack = TRUE, .pli = TRUE, .remb = TRUE, .twcc = TRUE,
    .ext_audio_level = 1, .ext_abs_send_time = 2, .ext_twcc = 3, .ext_mid = 4,
    .history_packets = 32, .mids = { "0", "1", "2" },
  };
  McuRtpSessionCallbacks callbacks = { send_nothing, send_nothing, on_media, NULL, NULL };
  g_autoptr (McuRtpSession) session = NULL;
  g_autofree guint8 *copy = g_memdup2 (data, size ? size : 1);
  gint64 now = 1000000;

  g_random_set_seed (42);  /* the session's initial sequence numbers: same input, same run */
  session = mcu_rtp_session_new (&config, &callbacks, NULL);
  exercise_parser (data, size);
  /* the same bytes twice with time moving on: learning, then sequence/NACK/TWCC updates */
  for (guint round = 0; round < 2; round++) {
    memcpy (copy, data, size);
    mcu_rtp_session_receive_rtp (session, copy, size, now);
    now = mcu_rtp_session_poll (session, now + 30000);
  }
  McuRtpStats stats;
  mcu_rtp_session_get_stats (session, &stats);
  return 0;
}
