/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the RTCP compound parser (validation, iteration, every item accessor, TWCC
 * decoding) and an McuRtpSession receiving the input as RTCP after it has sent some media, so NACKs
 * hit and miss the history and PLI/FIR/REMB/TMMBR reach the callbacks. */
#include <string.h>

#include "transport/rtcp.h"
#include "transport/rtp-session.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
send_nothing (gpointer user_data, guint8 *packet, gsize len)
{
}

static void
read_items (const McuRtcpPacket *p)
{
  McuRtcpReportBlock block;
  McuRtcpTwccHeader header;
  McuRtcpTwccStatus statuses[64];
  guint16 pid, blp;
  guint32 ssrc;
  guint8 seq_nr;
  guint64 bps;

  for (guint i = 0; i < p->n_items; i++) {
    switch (p->kind) {
    case MCU_RTCP_KIND_SR:
    case MCU_RTCP_KIND_RR:
      mcu_rtcp_get_report_block (p, i, &block);
      break;
    case MCU_RTCP_KIND_NACK:
      mcu_rtcp_get_nack (p, i, &pid, &blp);
      break;
    case MCU_RTCP_KIND_FIR:
      mcu_rtcp_get_fir (p, i, &ssrc, &seq_nr);
      break;
    case MCU_RTCP_KIND_TMMBR:
      mcu_rtcp_get_tmmbr (p, i, &ssrc, &bps);
      break;
    case MCU_RTCP_KIND_REMB:
      (void) mcu_rtcp_get_remb_ssrc (p, i);
      break;
    case MCU_RTCP_KIND_BYE:
      (void) mcu_rtcp_get_bye_ssrc (p, i);
      break;
    default:
      break;
    }
  }
  if (p->kind == MCU_RTCP_KIND_TWCC)
    g_assert (mcu_rtcp_twcc_decode (p, &header, statuses, G_N_ELEMENTS (statuses)) == (int) p->n_items);
  if (p->cname != NULL)
    g_assert (p->cname + p->cname_len <= (const char *) p->data + p->len);
}

static void
exercise_parser (const guint8 *data, size_t size)
{
  McuRtcpIter iter;
  McuRtcpPacket p;
  int valid = mcu_rtcp_validate (data, size);
  int r;

  mcu_rtcp_iter_init (&iter, data, size);
  while ((r = mcu_rtcp_iter_next (&iter, &p)) > 0) {
    g_assert (p.data + p.len <= data + size);
    read_items (&p);
  }
  g_assert (valid < 0 || r == 0);
}

static McuRtpSession *
session_with_history (void)
{
  McuRtpSessionConfig config = {
    .local_audio_ssrc = 1, .local_video_ssrc = 2, .local_video_rtx_ssrc = 3,
    .audio_pt = 111, .video_pt = 96, .video_rtx_pt = 97,
    .nack = TRUE, .pli = TRUE, .fir = TRUE, .remb = TRUE, .twcc = TRUE, .rsize = TRUE,
    .ext_abs_send_time = 2, .ext_twcc = 3, .history_packets = 32,
  };
  McuRtpSessionCallbacks callbacks = { send_nothing, send_nothing, NULL, NULL, NULL };
  McuRtpSession *session = mcu_rtp_session_new (&config, &callbacks, NULL);
  guint8 packet[100] = { 0x80, 96 };

  for (guint i = 0; i < 40; i++)
    (void) mcu_rtp_session_send_rtp (session, MCU_MEDIA_VIDEO, packet, sizeof packet, 1000 * i);
  return session;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (McuRtpSession) session = NULL;
  g_autofree guint8 *copy = g_memdup2 (data, size ? size : 1);
  McuRtpStats stats;

  g_random_set_seed (42);  /* the session's initial sequence numbers: same input, same run */
  session = session_with_history ();
  exercise_parser (data, size);
  mcu_rtp_session_receive_rtcp (session, copy, size, 100000);
  (void) mcu_rtp_session_poll (session, 2000000);
  mcu_rtp_session_get_stats (session, &stats);
  return 0;
}
