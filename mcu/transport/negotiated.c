/* SPDX-License-Identifier: MIT */
/*
 * SDP negotiation → McuRtpSessionConfig and McuPeer remote settings. See negotiated.h.
 */
#define G_LOG_DOMAIN "mcu-transport"

#include "negotiated.h"

#include <string.h>

static void
set_feedback (McuRtpSessionConfig *config, guint fb)
{
  config->nack = (fb & MCU_SDP_FB_NACK) != 0;
  config->pli = (fb & MCU_SDP_FB_NACK_PLI) != 0;
  config->fir = (fb & MCU_SDP_FB_CCM_FIR) != 0;
  config->remb = (fb & MCU_SDP_FB_GOOG_REMB) != 0;
  config->twcc = (fb & MCU_SDP_FB_TRANSPORT_CC) != 0;
}

void
mcu_rtp_session_config_from_sdp (McuRtpSessionConfig *config, const McuSdpNegotiated *negotiated,
                                 const guint32 ssrcs[MCU_N_SSRCS])
{
  const McuSdpNegotiatedMedia *audio = mcu_sdp_negotiated_find (negotiated, MCU_SDP_MEDIA_AUDIO);
  const McuSdpNegotiatedMedia *video = mcu_sdp_negotiated_find (negotiated, MCU_SDP_MEDIA_VIDEO);
  const McuSdpNegotiatedMedia *content = mcu_sdp_negotiated_find (negotiated, MCU_SDP_MEDIA_CONTENT);
  const McuSdpNegotiatedMedia *any = video ? video : audio;

  memset (config, 0, sizeof *config);
  if (audio != NULL) {
    config->local_audio_ssrc = ssrcs[MCU_SSRC_AUDIO];
    config->audio_pt = audio->payload_type;
    config->audio_clock = audio->clock_rate;
    config->remote_ssrc[MCU_MEDIA_AUDIO] = audio->remote_ssrc;
    config->mids[MCU_MEDIA_AUDIO] = audio->mid;
    config->ext_audio_level = audio->extmap.audio_level;
  }
  if (video != NULL) {
    config->local_video_ssrc = ssrcs[MCU_SSRC_VIDEO];
    config->local_video_rtx_ssrc = video->rtx_payload_type ? ssrcs[MCU_SSRC_VIDEO_RTX] : 0;
    config->video_pt = video->payload_type;
    config->video_rtx_pt = video->rtx_payload_type;
    config->video_clock = video->clock_rate;
    config->remote_ssrc[MCU_MEDIA_VIDEO] = video->remote_ssrc;
    config->remote_rtx_ssrc[MCU_MEDIA_VIDEO] = video->remote_rtx_ssrc;
    config->mids[MCU_MEDIA_VIDEO] = video->mid;
  }
  if (content != NULL) {
    config->local_content_ssrc = ssrcs[MCU_SSRC_CONTENT];
    config->local_content_rtx_ssrc = content->rtx_payload_type ? ssrcs[MCU_SSRC_CONTENT_RTX] : 0;
    config->content_pt = content->payload_type;
    config->content_rtx_pt = content->rtx_payload_type;
    config->remote_ssrc[MCU_MEDIA_CONTENT] = content->remote_ssrc;
    config->remote_rtx_ssrc[MCU_MEDIA_CONTENT] = content->remote_rtx_ssrc;
    config->mids[MCU_MEDIA_CONTENT] = content->mid;
  }
  set_feedback (config, (audio ? audio->rtcp_fb : 0) | (video ? video->rtcp_fb : 0));
  if (any != NULL) {
    config->rsize = any->rtcp_rsize;
    config->ext_abs_send_time = any->extmap.abs_send_time;
    config->ext_twcc = any->extmap.transport_cc;
    config->ext_mid = any->extmap.mid;
  }
}

gboolean
mcu_peer_set_remote_from_sdp (McuPeer *peer, const McuSdpNegotiated *negotiated, GError **error)
{
  if (!mcu_peer_set_remote (peer, negotiated->remote_ice_ufrag, negotiated->remote_ice_pwd,
                            negotiated->remote_fingerprint_algorithm, negotiated->remote_fingerprint, error))
    return FALSE;
  for (guint i = 0; negotiated->remote_candidates[i] != NULL; i++)
    mcu_peer_add_remote_candidate (peer, negotiated->remote_candidates[i], NULL);
  if (negotiated->remote_end_of_candidates)
    mcu_peer_end_of_candidates (peer);
  return TRUE;
}
