/* SPDX-License-Identifier: MIT */
/*
 * Private: the body of McuRtpSession, shared by rtp-session.c (RTP in and out, history, receive
 * statistics, NACK list, TWCC window) and rtp-session-rtcp.c (RTCP in and out, timers).
 * Threads: the session's one thread.
 */
#pragma once

#include "rtcp.h"
#include "rtp-history.h"
#include "rtp-session.h"

#define NACK_LIST_MAX 256          /* lost packets tracked per stream */
#define RECEIVED_WINDOW 1024       /* sequence numbers remembered for duplicate detection */
#define TWCC_WINDOW 4096           /* transport-wide sequence numbers awaiting feedback */
#define RTCP_BUF_SIZE 1500
#define RATE_WINDOW_US G_USEC_PER_SEC

#define RESEND_MIN_INTERVAL_US 10000  /* one packet is not resent twice within this */
#define RESENT_MEMORY 32

typedef struct {
  guint16 seq;
  guint16 len;        /* 0 = empty */
  gint64 resent_us;   /* last retransmission, 0 = never */
  guint8 data[MCU_RTP_MAX_PACKET];
} HistorySlot;

typedef struct {
  guint32 ssrc, rtx_ssrc;
  guint8 pt, rtx_pt;
  guint clock;
  guint16 next_seq, next_rtx_seq;
  gboolean forwarding;     /* forward_rtp: our sequence = the sender's + forward_delta */
  guint16 forward_delta;
  gboolean sent_any;
  guint32 last_ts;
  gint64 last_send_us;
  guint64 payload_octets;
  guint8 last_fir_seq;
  gboolean fir_seen;
  HistorySlot *history;   /* NULL until the stream's first own-history send, or when NACK is off */
  guint history_mask;
  gboolean keeps_history; /* NACK negotiated: send_rtp / forward_rtp keep copies in @history */
  /* send_shared: the source's history (a video tier's), the ts offset we add to its packets, and our
   * first sequence number mapped onto it (older NACKs belong to a source we no longer follow) */
  McuRtpHistory *shared;
  guint32 shared_ts_offset;
  guint16 shared_since;
  guint16 resent_seq[RESENT_MEMORY];   /* shared packets resent lately (the slots are not ours) */
  gint64 resent_at[RESENT_MEMORY];
  guint resent_next;
  McuRtpSendStats stats;
} SendStream;

typedef struct {
  guint16 seq;
  guint retries;
  gint64 first_us;
  gint64 sent_us;   /* 0 = not asked yet */
} NackEntry;

typedef struct {
  guint32 ssrc, rtx_ssrc;
  guint8 pt, rtx_pt;
  guint clock;
  gboolean started;
  /* RFC 3550 A.1 / A.3 / A.8 */
  guint16 max_seq;
  guint32 cycles;
  guint64 base_seq;
  guint64 received, expected_prior, received_prior;
  guint64 received_rtx;   /* of received: arrived only through RTX (lost on the link, then recovered) */
  gboolean have_transit;
  gint64 transit;
  double jitter;          /* timestamp units */
  guint64 received_bits[RECEIVED_WINDOW / 64];
  /* the remote's last SR */
  gboolean have_sr;
  guint64 sr_ntp;
  guint32 sr_rtp;
  gint64 sr_received_us;
  /* NACK */
  NackEntry nacks[NACK_LIST_MAX];
  guint n_nacks;
  /* keyframe requests */
  gint64 last_keyframe_request_us;
  guint8 fir_seq;
  /* receive rate */
  guint64 window_bytes;
  McuRtpRecvStats stats;
} RecvStream;

typedef struct {
  gint64 arrival_us[TWCC_WINDOW];  /* by extended transport sequence & (TWCC_WINDOW - 1); -1 = lost */
  gboolean started;
  gint64 max_seq;                  /* highest extended sequence seen */
  gint64 next_report;              /* first sequence not yet fed back */
  guint8 fb_count;
} TwccWindow;

struct _McuRtpSession {
  McuRtpSessionConfig config;
  McuRtpSessionCallbacks callbacks;
  gpointer user_data;
  char mids[MCU_MEDIA_N_KINDS][MCU_RTP_SESSION_MID_MAX];
  char cname[MCU_RTP_SESSION_CNAME_MAX];
  guint32 rtcp_ssrc;      /* sender SSRC of our RTCP */
  gint64 ntp_offset_us;   /* wall clock - monotonic clock, at creation */

  SendStream send[MCU_MEDIA_N_KINDS];
  RecvStream recv[MCU_MEDIA_N_KINDS];
  TwccWindow twcc;
  guint16 next_twcc_seq;  /* what we stamp on outgoing packets */
  /* the size of each packet we stamped, by its transport-wide number, until the remote's feedback
   * says it arrived (then counted in stats.twcc_delivered_bytes and cleared) */
  guint16 twcc_sent_seq[TWCC_WINDOW];
  guint16 twcc_sent_len[TWCC_WINDOW];

  gint64 next_report_us, next_twcc_us;
  gint64 rate_window_start_us;
  guint64 window_bytes;
  guint32 remb_cap, remb_estimate;

  McuRtpStats stats;      /* session-wide counters; per-stream ones live in the streams */
  guint8 scratch[MCU_RTP_MAX_PACKET + MCU_RTP_SESSION_SEND_TAILROOM];
  guint8 rtx_source[MCU_RTP_MAX_PACKET + MCU_RTP_SESSION_SEND_TAILROOM];  /* a shared packet, restamped */
  guint8 rtcp_buf[RTCP_BUF_SIZE + MCU_RTP_SESSION_SEND_TAILROOM];
};

/* rtp-session.c */
SendStream *mcu_rtp_session_send_stream_by_ssrc (McuRtpSession *s, guint32 ssrc, McuMediaKind *kind);
void mcu_rtp_session_retransmit (McuRtpSession *s, SendStream *stream, guint16 seq, gint64 now_us);
void mcu_rtp_session_update_rates (McuRtpSession *s, gint64 now_us);
gint64 mcu_rtp_session_send_nacks (McuRtpSession *s, RecvStream *stream, gint64 now_us);
void mcu_rtp_session_report_block (RecvStream *stream, gint64 now_us, McuRtcpReportBlock *out);

/* rtp-session-rtcp.c */
guint64 mcu_rtp_session_ntp (const McuRtpSession *s, gint64 now_us);
void mcu_rtp_session_send_feedback (McuRtpSession *s, const guint8 *fb, gsize len);
void mcu_rtp_session_request_keyframe_internal (McuRtpSession *s, McuMediaKind kind, gint64 now_us);
