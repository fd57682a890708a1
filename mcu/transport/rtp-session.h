/* SPDX-License-Identifier: MIT */
/*
 * McuRtpSession: the per-peer RTP/RTCP logic between the decrypted transport (ICE/DTLS/SRTP) and the
 * media code. It validates incoming RTP, maps it to a media kind, keeps RFC 3550 receive statistics,
 * asks for lost packets (NACK) and unwraps their retransmissions (RTX), records transport-wide
 * arrival times and sends TWCC feedback (or REMB), answers NACKs from a bounded send history, turns
 * PLI/FIR/REMB/TMMBR into callbacks, and sends SR/RR/SDES.
 *
 * Threads: one session is used from one thread only (the peer's media context); no locks. Every
 * function, including get_stats, must be called there; the callbacks are called there, synchronously,
 * from inside receive_rtp / receive_rtcp / send_rtp / request_keyframe / set_remb / poll. Callbacks
 * must not free the session.
 *
 * Memory: everything is allocated in mcu_rtp_session_new (history rings, NACK list, TWCC window);
 * the packet path allocates nothing and logs nothing (it counts in McuRtpStats).
 *
 * Time: every call takes now_us from one monotonic clock (g_get_monotonic_time() in the server,
 * anything in tests). SR NTP times are that clock plus the wall-clock offset taken at creation.
 */
#pragma once

#include <glib.h>

#include "rtp-history.h"
#include "rtp.h"

G_BEGIN_DECLS

#define MCU_RTP_SESSION_MID_MAX 16   /* longest sdes:mid value kept (with the NUL) */
#define MCU_RTP_SESSION_CNAME_MAX 64

typedef struct {
  guint32 local_audio_ssrc, local_video_ssrc, local_video_rtx_ssrc;  /* what we send (0 = none) */
  guint8 audio_pt, video_pt, video_rtx_pt;  /* negotiated payload types (rtx 0 = none) */
  guint audio_clock, video_clock;           /* 48000, 90000 (0 = these defaults) */
  gboolean nack, pli, fir, remb, twcc, rsize; /* negotiated rtcp-fb */
  guint8 ext_audio_level, ext_abs_send_time, ext_twcc, ext_mid;  /* extmap ids, 0 = none */
  guint history_packets;  /* per outgoing stream; rounded up to a power of two, 32-8192; 0 = 512 */

  /* Beyond the brief, all optional (zero = unused): */
  guint32 local_content_ssrc, local_content_rtx_ssrc;  /* the second video stream we send */
  guint8 content_pt, content_rtx_pt;        /* 0 = same as video */
  /* The remote's SSRCs from the SDP (a=ssrc / a=ssrc-group:FID), when it signalled them. Without
   * them the session learns SSRCs from the first packets: by sdes:mid when mids[] are set, else by
   * payload type (audio_pt → audio, video_pt → video; content then needs a mid or an SSRC). */
  guint32 remote_ssrc[MCU_MEDIA_N_KINDS], remote_rtx_ssrc[MCU_MEDIA_N_KINDS];
  const char *mids[MCU_MEDIA_N_KINDS];      /* sdes:mid of each m-line (copied; NULL = none) */
  const char *cname;                        /* our RTCP CNAME (copied; NULL = "mcu") */
  guint report_interval_ms;                 /* SR/RR period, 0 = 1000 */
  guint nack_max_retries;                   /* 0 = 10 */
  guint nack_max_age_ms;                    /* give up on a lost packet after this, 0 = 1000 */
  guint twcc_interval_ms;                   /* 0 = 100 (libwebrtc's default feedback pace) */
  guint keyframe_min_interval_ms;           /* PLI/FIR rate limit per kind, 0 = 300 */
  guint32 remb_max_bps;                     /* ceiling of the REMB we compute, 0 = 2500000 */
} McuRtpSessionConfig;

typedef struct {
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
  gboolean marker;
  guint8 pt;
  guint64 ext_seq;          /* sequence number extended with the wrap count (RFC 3550 A.1) */
  guint16 payload_offset;
  guint16 payload_len;      /* padding excluded */
  gint audio_level;         /* RFC 6464 level 0-127 (-dBov), -1 = none */
  gboolean voice_activity;
  gint64 arrival_us;
  gboolean retransmitted;   /* recovered through RTX */
} McuRtpInfo;

typedef struct {
  /* @packet is a scratch buffer the callee may change in place (SRTP protect) and grow by up to
   * MCU_RTP_SESSION_SEND_TAILROOM bytes; valid during the call only. */
  void (*send_rtp) (gpointer user_data, guint8 *packet, gsize len);
  void (*send_rtcp) (gpointer user_data, guint8 *packet, gsize len);
  /* A good incoming media packet, RTX already unwrapped, never a duplicate nor padding-only;
   * @packet is valid during the call only. */
  void (*on_media) (gpointer user_data, McuMediaKind kind, guint8 *packet, gsize len,
                    const McuRtpInfo *info);
  void (*on_keyframe_request) (gpointer user_data, McuMediaKind kind);  /* remote sent PLI/FIR */
  void (*on_bitrate_request) (gpointer user_data, guint32 bps);         /* remote sent REMB/TMMBR */
} McuRtpSessionCallbacks;

#define MCU_RTP_SESSION_SEND_TAILROOM 64

typedef struct {
  guint32 ssrc;
  guint64 packets, bytes;         /* media sent (retransmissions not included) */
  guint64 nack_received;          /* NACK packets naming this stream */
  guint64 nack_seqs_received;     /* sequence numbers they asked for */
  guint64 retransmitted;          /* packets resent (as RTX or as the original) */
  guint64 rtx_misses;             /* asked-for packets no longer (or never) in the history */
  guint64 retransmit_suppressed;  /* asked again within 10 ms of the last resend: not resent */
  guint64 pli_received, fir_received;
  double remote_fraction_lost;    /* 0-1, from the remote's last RR */
  gint64 remote_cumulative_lost;
  double remote_jitter_ms;
  double rtt_ms;                  /* from LSR/DLSR, -1 until known */
} McuRtpSendStats;

typedef struct {
  guint32 ssrc;                   /* 0 until learned */
  guint64 packets, bytes;         /* media received, including RTX-recovered packets */
  gint64 lost;                    /* RFC 3550 cumulative loss on the link (expected - arrived;
                                   * a packet recovered through RTX counts as lost: see recovered) */
  double fraction_lost;           /* over the last report interval, 0-1, as sent in our RR */
  double jitter_ms;               /* RFC 3550 interarrival jitter */
  guint64 nack_sent;              /* NACK packets sent */
  guint64 nack_seqs_sent;         /* sequence numbers asked for (retries included) */
  guint64 recovered;              /* packets that came back through RTX */
  guint64 nack_gave_up;           /* lost packets abandoned (too old, too many retries, overflow) */
  guint64 duplicates;             /* packets that arrived twice */
  guint64 pli_sent, fir_sent;
  guint64 keyframe_requests_suppressed;  /* rate-limited */
  guint32 bitrate_bps;            /* receive rate over about the last second */
} McuRtpRecvStats;

typedef struct {
  McuRtpSendStats send[MCU_MEDIA_N_KINDS];
  McuRtpRecvStats recv[MCU_MEDIA_N_KINDS];
  guint64 malformed_rtp, malformed_rtcp;   /* failed validation, dropped */
  guint64 unknown_rtp;                     /* valid but no stream for its SSRC/PT/MID, dropped */
  guint64 rtcp_received, rtcp_sent;        /* compound datagrams */
  guint64 twcc_feedback_sent, remb_sent;
  guint64 twcc_received;                   /* TWCC feedback from the remote */
  guint64 twcc_delivered_bytes;            /* bytes of ours its TWCC feedback says arrived: what
                                            * the link really delivered (0 without transport-cc) */
  guint32 remb_bps;                        /* last REMB value we sent */
  guint32 receive_bitrate_bps;             /* all kinds */
  double rtt_ms;                           /* latest RTT on any stream, -1 until known */
} McuRtpStats;

typedef struct _McuRtpSession McuRtpSession;

/* (transfer full). @config and @callbacks are copied; @user_data is passed to every callback. */
McuRtpSession *mcu_rtp_session_new (const McuRtpSessionConfig *config,
                                    const McuRtpSessionCallbacks *callbacks, gpointer user_data);
void mcu_rtp_session_free (McuRtpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuRtpSession, mcu_rtp_session_free)

/* A decrypted RTP datagram. May rewrite @packet in place (RTX unwrap). */
void mcu_rtp_session_receive_rtp (McuRtpSession *session, guint8 *packet, gsize len, gint64 now_us);
/* A decrypted RTCP compound; a malformed one is counted and dropped whole. */
void mcu_rtp_session_receive_rtcp (McuRtpSession *session, guint8 *packet, gsize len, gint64 now_us);
/* Sends media of @kind: stamps our SSRC, the next sequence number, the negotiated payload type of
 * @kind (when configured non-zero), abs-send-time / transport-wide
 * sequence / mid extensions when negotiated (and the packet still fits MCU_RTP_MAX_PACKET), keeps a
 * copy for retransmission, calls send_rtp. @packet is not modified. 0, -EINVAL (not RTP),
 * -ENOSPC (too big), -ENOENT (no local SSRC for @kind). */
int mcu_rtp_session_send_rtp (McuRtpSession *session, McuMediaKind kind, const guint8 *packet,
                              gsize len, gint64 now_us);
/* Like send_rtp, for a packet relayed from another stream (the echo room): our sequence number is
 * the packet's own plus a fixed offset, so a packet the source recovers late (RTX) fills the same hole
 * downstream and the receiver's NACK for it can be answered. Not to be mixed with send_rtp on one
 * stream. */
int mcu_rtp_session_forward_rtp (McuRtpSession *session, McuMediaKind kind, const guint8 *packet,
                                 gsize len, gint64 now_us);
/* Like forward_rtp, for a packet of a source that many sessions send (a video tier): @packet is the
 * source's, already kept in @history under its own sequence number; we add @ts_offset to its
 * timestamp and keep no copy: the receiver's NACKs are answered from @history. When @history changes
 * (the receiver moved to another tier) our numbering continues without a gap, and NACKs for packets
 * of the previous source are counted as misses. Not to be mixed with send_rtp on one stream. */
int mcu_rtp_session_send_shared (McuRtpSession *session, McuMediaKind kind, const guint8 *packet,
                                 gsize len, McuRtpHistory *history, guint32 ts_offset, gint64 now_us);
/* Asks the remote for a keyframe of @kind: PLI, or FIR when only that is negotiated; at most once per
 * keyframe_min_interval_ms (extra requests are counted as suppressed). */
void mcu_rtp_session_request_keyframe (McuRtpSession *session, McuMediaKind kind, gint64 now_us);
/* Caps what we tell the remote to send (goog-remb): sent at once and then with every REMB. 0 clears. */
void mcu_rtp_session_set_remb (McuRtpSession *session, guint32 bps, gint64 now_us);
/* Runs the timers (reports, NACK retries, TWCC feedback, REMB); returns the next deadline (us, same
 * clock). Call it at that deadline, and after receive_rtp when you want feedback sent promptly. */
gint64 mcu_rtp_session_poll (McuRtpSession *session, gint64 now_us);
void mcu_rtp_session_get_stats (McuRtpSession *session, McuRtpStats *out);
/* The remote's last SR for @kind: its NTP time, RTP time and when we got it (for lip sync).
 * FALSE when none yet. */
gboolean mcu_rtp_session_get_remote_clock (McuRtpSession *session, McuMediaKind kind, guint64 *ntp,
                                           guint32 *rtp_ts, gint64 *received_us);

G_END_DECLS
