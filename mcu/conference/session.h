/* SPDX-License-Identifier: MIT */
/*
 * McuSession: one WebRTC connection of a site to a room — its ICE/DTLS/SRTP peer, its RTP session,
 * what was negotiated, and the timers that drive RTCP. A site has at most one live session; a re-join
 * makes a new session and the old one is closed.
 *
 * Threads: the session lives on its room's media thread. mcu_session_new, mcu_session_start,
 * mcu_session_patch and mcu_session_close are called on the control thread; they post their work to
 * the media thread and report back on the control thread (the context that called them). The media
 * handlers (McuSessionMedia) are called on the media thread, per packet: they must not block.
 */
#pragma once

#include <gio/gio.h>

#include "sdp/sdp.h"
#include "sdp/sdp-negotiate.h"
#include "transport/cert.h"
#include "transport/peer.h"
#include "transport/rtp-session.h"

G_BEGIN_DECLS

typedef struct _McuSession McuSession;

/* What the room does with the session's media (echo it, mix it). Media thread. on_attach comes
 * once the session is negotiated (before any media), on_detach when it closes (after the last). */
typedef struct {
  void (*on_attach) (McuSession *session, gpointer user_data);
  void (*on_detach) (McuSession *session, gpointer user_data);
  void (*on_media) (McuSession *session, McuMediaKind kind, guint8 *packet, gsize len,
                    const McuRtpInfo *info, gpointer user_data);
  void (*on_keyframe_request) (McuSession *session, McuMediaKind kind, gpointer user_data);
  void (*on_bitrate_request) (McuSession *session, guint32 bps, gpointer user_data);
} McuSessionMedia;

/* Called on the control thread when the session ends (ICE failed, DTLS failed, closed). */
typedef void (*McuSessionEndedFunc) (McuSession *session, const char *reason, gpointer user_data);

typedef struct {
  const char *site_name;             /* shown on the site's tile */
  GMainContext *media_context;       /* the room's media thread */
  McuCertificate *certificate;       /* shared DTLS certificate */
  const McuPeerConfig *peer_config;  /* ICE settings (copied) */
  const McuSessionMedia *media;      /* copied */
  gpointer media_data;
  McuSessionEndedFunc ended;
  gpointer ended_data;
  guint gather_timeout_ms;           /* answer with what is gathered by then; trickle the rest */
} McuSessionSetup;

/* (transfer full). Control thread. @id is the session's id in its URL. */
McuSession *mcu_session_new (const char *id, const char *site_id, const McuSessionSetup *setup);
McuSession *mcu_session_ref (McuSession *session);
void mcu_session_unref (McuSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSession, mcu_session_unref)

const char *mcu_session_get_id (McuSession *session);
const char *mcu_session_get_site_id (McuSession *session);
const char *mcu_session_get_site_name (McuSession *session);

/* The room media's own per-session state (media thread). */
void mcu_session_set_media_data (McuSession *session, gpointer data);
gpointer mcu_session_get_media_data (McuSession *session);
/* What was negotiated (media thread, after on_attach). (transfer none) */
const McuSdpNegotiated *mcu_session_get_negotiated (McuSession *session);

/* Answers @offer: gathers, negotiates, and sets the peer up. The result (an SDP answer string) comes
 * to @callback on the calling thread (its source object is NULL); finish with
 * mcu_session_start_finish. Control thread. */
void mcu_session_start (McuSession *session, McuSdp *offer, GAsyncReadyCallback callback,
                        gpointer user_data);
char *mcu_session_start_finish (McuSession *session, GAsyncResult *result, GError **error);

/* A trickle-ICE fragment (taken: transfer full): remote candidates (result NULL), or an ICE restart
 * (result = the answer fragment with the new local credentials and candidates). Control thread. */
void mcu_session_patch (McuSession *session, McuSdpFragment *fragment, GAsyncReadyCallback callback,
                        gpointer user_data);
char *mcu_session_patch_finish (McuSession *session, GAsyncResult *result, GError **error);

/* Closes the peer (no ended callback afterwards). Control thread. */
void mcu_session_close (McuSession *session);

/* Media thread: send media of @kind to this site, ask it for a keyframe, cap its send rate. */
int mcu_session_send (McuSession *session, McuMediaKind kind, const guint8 *packet, gsize len);
/* Relays a packet of another stream keeping its sequence numbering (see mcu_rtp_session_forward_rtp). */
int mcu_session_forward (McuSession *session, McuMediaKind kind, const guint8 *packet, gsize len);
/* Sends a packet of a source many sessions share (a video tier), kept in @history: our timestamps are
 * the source's plus @ts_offset, and NACKs are answered from @history (see mcu_rtp_session_send_shared). */
int mcu_session_send_shared (McuSession *session, McuMediaKind kind, const guint8 *packet, gsize len,
                             McuRtpHistory *history, guint32 ts_offset);
/* Sends between begin and flush go out together at flush (see mcu_peer_begin_batch): for a burst of
 * packets to this site. Media thread. */
void mcu_session_begin_batch (McuSession *session);
void mcu_session_flush_batch (McuSession *session);
void mcu_session_request_keyframe (McuSession *session, McuMediaKind kind);
void mcu_session_set_remb (McuSession *session, guint32 bps);

/* Counters, any thread (a consistent snapshot copied under the session's stats lock). */
typedef struct {
  McuPeerStats peer;
  McuRtpStats rtp;
  gboolean connected;
  /* Set by a mix room (see mcu_session_set_mix_state); -1 / FALSE / 0 elsewhere. */
  gint tier;                  /* output tier the site receives */
  gboolean video_decoded;     /* its camera is in view and being decoded */
  gint video_tile;            /* its tile in the layout (0 = the main tile of 1+N), -1 = not in view */
  guint64 video_frames_decoded;
} McuSessionStats;
void mcu_session_get_stats (McuSession *session, McuSessionStats *out);
/* What the room's mixers do with this site (media thread; read back through get_stats). */
void mcu_session_set_mix_state (McuSession *session, gint tier, gboolean video_decoded, gint video_tile,
                                guint64 video_frames_decoded);

G_END_DECLS
