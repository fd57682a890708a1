/* SPDX-License-Identifier: MIT */
/*
 * WebRTC offer/answer (JSEP, RFC 8829) for the MCU (answerer) and the load generator (offerer).
 *
 * What the MCU does, and so what the answer keeps: one Opus audio, one VP8 video with RTX, and a second
 * VP8 video as the content (slides/screen) channel; everything on one BUNDLE transport with rtcp-mux;
 * rtcp-fb nack, nack pli, ccm fir, goog-remb, transport-cc; header extensions ssrc-audio-level,
 * abs-send-time, transport-wide-cc-01, sdes:mid. Other m-lines (data channels, video without VP8, a
 * third video, a second audio) are rejected with port 0, never failed.
 *
 * Threads: pure functions of their arguments; call them from any thread (the control thread in the
 * MCU). McuSdpNegotiated is plain data owned by the caller.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _McuSdp McuSdp;

/* What the local side puts in its description. Strings are borrowed for the duration of the call. */
typedef struct {
  const char *ice_ufrag, *ice_pwd;
  const char *fingerprint;              /* "sha-256 AB:CD:..." */
  const char *const *candidates;        /* "candidate:..." attribute values (no "a="); NULL = trickle */
  gboolean end_of_candidates;
  gboolean ice_lite;                    /* answer only: a=ice-lite (the local side answers checks, sends none) */
  /* SSRCs of the streams the local side sends; 0 = does not send that kind (the answer then never
   * offers to send on that m-line: sendrecv is answered recvonly). */
  guint32 audio_ssrc, video_ssrc, video_rtx_ssrc, content_ssrc, content_rtx_ssrc;
  const char *cname, *stream_id;        /* a=ssrc cname and a=msid; defaults "mcu" if NULL */
} McuSdpLocal;

typedef enum {
  MCU_SDP_MEDIA_AUDIO,
  MCU_SDP_MEDIA_VIDEO,
  MCU_SDP_MEDIA_CONTENT,   /* the second video m-line: slides / screen share */
  MCU_SDP_MEDIA_OTHER,     /* data channel or anything else; always rejected */
} McuSdpMediaKind;

/* Bit 0 = the local side sends, bit 1 = the local side receives. */
typedef enum {
  MCU_SDP_DIRECTION_INACTIVE = 0,
  MCU_SDP_DIRECTION_SENDONLY = 1,
  MCU_SDP_DIRECTION_RECVONLY = 2,
  MCU_SDP_DIRECTION_SENDRECV = 3,
} McuSdpDirection;

typedef enum {
  MCU_SDP_SETUP_ACTPASS,
  MCU_SDP_SETUP_ACTIVE,
  MCU_SDP_SETUP_PASSIVE,
} McuSdpSetup;

typedef enum {
  MCU_SDP_DTLS_SERVER,     /* local setup:passive — waits for the ClientHello */
  MCU_SDP_DTLS_CLIENT,     /* local setup:active — sends the ClientHello */
} McuSdpDtlsRole;

typedef enum {
  MCU_SDP_FB_NACK = 1 << 0,
  MCU_SDP_FB_NACK_PLI = 1 << 1,
  MCU_SDP_FB_CCM_FIR = 1 << 2,
  MCU_SDP_FB_GOOG_REMB = 1 << 3,
  MCU_SDP_FB_TRANSPORT_CC = 1 << 4,
} McuSdpFeedback;

typedef struct {
  McuSdpMediaKind kind;
  char *mid;
  guint index;                  /* m-line index */
  gboolean accepted;            /* FALSE: port 0, nothing else below is meaningful */
  McuSdpDirection direction;    /* from the local side's point of view */
  guint8 payload_type;          /* Opus or VP8, as numbered in the offer */
  guint clock_rate;             /* 48000 or 90000 */
  guint channels;               /* 2 for Opus, 0 for video */
  struct {
    gboolean useinbandfec, usedtx, stereo;   /* what the remote asked for (it receives our Opus) */
    guint minptime;                          /* 0 if not given */
  } opus;
  guint8 rtx_payload_type;      /* 0 if none */
  guint rtcp_fb;                /* McuSdpFeedback bits negotiated for payload_type */
  gboolean rtcp_rsize;
  struct {
    guint8 audio_level, abs_send_time, transport_cc, mid;   /* extmap ids, 0 if not negotiated */
  } extmap;
  guint32 remote_ssrc, remote_rtx_ssrc;   /* 0 if not signalled */
  char *remote_cname;
  char *remote_msid;            /* "STREAM TRACK" as in a=msid, NULL if absent */
} McuSdpNegotiatedMedia;

typedef struct {
  char *remote_ice_ufrag, *remote_ice_pwd;
  gboolean remote_ice_trickle, remote_ice2;
  char *remote_fingerprint_algorithm;   /* "sha-256" */
  char *remote_fingerprint;             /* "AB:CD:..." (upper case) */
  McuSdpSetup remote_setup;
  McuSdpDtlsRole local_dtls_role;
  char **remote_candidates;             /* "candidate:..." values, never NULL (may be empty) */
  gboolean remote_end_of_candidates;
  gboolean bundle;
  char **bundle_mids;                   /* accepted bundled mids, the tagged one first; never NULL */
  McuSdpNegotiatedMedia *media;         /* one per m-line, in order */
  guint n_media;
} McuSdpNegotiated;

void mcu_sdp_negotiated_free (McuSdpNegotiated *negotiated);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSdpNegotiated, mcu_sdp_negotiated_free)

/* The negotiated media of @kind, NULL if none or rejected. (transfer none) */
const McuSdpNegotiatedMedia *mcu_sdp_negotiated_find (const McuSdpNegotiated *negotiated,
                                                      McuSdpMediaKind kind);

/* MCU (answerer): checks @offer and builds the answer (setup:passive unless the offer is passive).
 * Fails only when there is nothing usable or the offer is broken (missing ICE credentials or
 * fingerprint, duplicate mid, no Opus, no rtcp-mux, ...); errors name the line.
 * @negotiated: (out) (optional) (transfer full). Returns (transfer full). */
McuSdp *mcu_sdp_answer (const McuSdp *offer, const McuSdpLocal *local, McuSdpNegotiated **negotiated,
                        GError **error);

/* Client (offerer): audio + video (+ content) sendrecv, max-bundle, rtcp-mux, Opus 111 + VP8 96 with
 * RTX 97 (content: VP8 98 / RTX 99), rtcp-fb, extmap, setup:actpass. (transfer full) */
McuSdp *mcu_sdp_offer (const McuSdpLocal *local, gboolean with_content);

/* Client: checks that @answer fits @offer and fills @negotiated (transfer full). */
gboolean mcu_sdp_read_answer (const McuSdp *offer, const McuSdp *answer, McuSdpNegotiated **negotiated,
                              GError **error);

const char *mcu_sdp_media_kind_to_string (McuSdpMediaKind kind);
const char *mcu_sdp_direction_to_string (McuSdpDirection direction);

G_END_DECLS
