/* SPDX-License-Identifier: MIT */
/*
 * From an SDP negotiation (sdp/) to the transport's settings: the glue that the server's sessions and
 * the load generator's client sites share.
 *
 * Threads: pure functions, except mcu_peer_set_remote_from_sdp, which follows McuPeer's rules (the
 * peer's context thread).
 */
#pragma once

#include "sdp/sdp-negotiate.h"
#include "transport/peer.h"
#include "transport/rtp-session.h"

G_BEGIN_DECLS

enum { MCU_SSRC_AUDIO, MCU_SSRC_VIDEO, MCU_SSRC_VIDEO_RTX, MCU_SSRC_CONTENT, MCU_SSRC_CONTENT_RTX, MCU_N_SSRCS };

/* Fills @config for what @negotiated agreed, sending with @ssrcs (indexed by MCU_SSRC_*; 0 = do not
 * send that stream). Strings in @config point into @negotiated. */
void mcu_rtp_session_config_from_sdp (McuRtpSessionConfig *config, const McuSdpNegotiated *negotiated,
                                      const guint32 ssrcs[MCU_N_SSRCS]);

/* Gives @peer the remote ICE credentials, DTLS fingerprint and candidates (bad candidates are skipped:
 * the others may still connect). */
gboolean mcu_peer_set_remote_from_sdp (McuPeer *peer, const McuSdpNegotiated *negotiated, GError **error);

G_END_DECLS
