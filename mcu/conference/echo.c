/* SPDX-License-Identifier: MIT */
/*
 * Echo room media: what a site sends comes straight back to it. The RTP session re-stamps the packets
 * with our SSRC and the site's own sequence numbers shifted by a fixed offset, so a packet the site
 * retransmits to us late fills the same hole on the way back (and our history answers the site's
 * NACKs for it); the site's
 * keyframe requests for what we send become our keyframe requests to it.
 *
 * Threads: media thread, per packet: no allocation, no logging.
 */
#define G_LOG_DOMAIN "mcu-echo"

#include "echo.h"

static void
echo_media (McuSession *session, McuMediaKind kind, guint8 *packet, gsize len, const McuRtpInfo *info,
            gpointer user_data)
{
  /* The echo answer sends one audio and one video; a content stream is not echoed. */
  if (kind != MCU_MEDIA_CONTENT)
    mcu_session_forward (session, kind, packet, len);
}

static void
echo_keyframe_request (McuSession *session, McuMediaKind kind, gpointer user_data)
{
  mcu_session_request_keyframe (session, kind);
}

static void
echo_bitrate_request (McuSession *session, guint32 bps, gpointer user_data)
{
  /* What the site can receive from us is what it should send us: its own stream comes back. */
  mcu_session_set_remb (session, bps);
}

static const McuSessionMedia echo = {
  .on_media = echo_media,
  .on_keyframe_request = echo_keyframe_request,
  .on_bitrate_request = echo_bitrate_request,
};

const McuSessionMedia *
mcu_echo_media (void)
{
  return &echo;
}
