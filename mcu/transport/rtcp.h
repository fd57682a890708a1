/* SPDX-License-Identifier: MIT */
/*
 * RTCP (RFC 3550, RFC 4585 feedback, RFC 5104 FIR/TMMBR, RFC 5506 reduced-size, draft-alvestrand
 * goog-remb, draft-holmer transport-wide-cc-01): a compound parser that checks every length, and
 * builders for what the MCU sends.
 *
 * Parsing: mcu_rtcp_validate() walks a whole compound packet first (a single lying length makes the
 * whole datagram -EINVAL, as RFC 3550 asks); then an McuRtcpIter hands out one McuRtcpPacket per
 * sub-packet, with item accessors that only read what validation covered. Reduced-size packets (not
 * starting with SR/RR) are accepted. APP and unknown types are reported as MCU_RTCP_KIND_OTHER.
 *
 * Builders write into a caller buffer and return the bytes written or -ENOSPC/-EINVAL; callers
 * concatenate them into compounds.
 *
 * Nothing here allocates or logs. Threads: any (pure functions).
 */
#pragma once

#include <errno.h>
#include <glib.h>

G_BEGIN_DECLS

#define MCU_RTCP_SR 200
#define MCU_RTCP_RR 201
#define MCU_RTCP_SDES 202
#define MCU_RTCP_BYE 203
#define MCU_RTCP_APP 204
#define MCU_RTCP_RTPFB 205
#define MCU_RTCP_PSFB 206

#define MCU_RTCP_MAX_REPORT_BLOCKS 31
/* Most packet statuses one built TWCC feedback covers (the builder's stack arrays). */
#define MCU_RTCP_TWCC_MAX_STATUSES 1024

typedef enum {
  MCU_RTCP_KIND_OTHER,  /* APP, XR, unknown feedback: skipped */
  MCU_RTCP_KIND_SR,
  MCU_RTCP_KIND_RR,
  MCU_RTCP_KIND_SDES,
  MCU_RTCP_KIND_BYE,
  MCU_RTCP_KIND_NACK,   /* RTPFB 1 */
  MCU_RTCP_KIND_TMMBR,  /* RTPFB 3 */
  MCU_RTCP_KIND_TWCC,   /* RTPFB 15 */
  MCU_RTCP_KIND_PLI,    /* PSFB 1 */
  MCU_RTCP_KIND_FIR,    /* PSFB 4 */
  MCU_RTCP_KIND_REMB,   /* PSFB 15 "REMB" */
} McuRtcpKind;

typedef struct {
  McuRtcpKind kind;
  guint8 type;          /* packet type 192-223 */
  guint8 count;         /* the 5-bit count / FMT field */
  const guint8 *data;   /* the sub-packet, header included, padding excluded (transfer none) */
  gsize len;
  guint32 sender_ssrc;  /* SR/RR/feedback: the sender; SDES/BYE: the first SSRC (0 when none) */
  guint32 media_ssrc;   /* feedback: the media source field */
  guint n_items;        /* report blocks, NACK/TMMBR/FIR entries, SDES chunks, BYE SSRCs, REMB SSRCs,
                         * TWCC packet statuses */
  /* SR sender info */
  guint64 ntp;
  guint32 rtp_ts, packet_count, octet_count;
  /* REMB bitrate (bits per second, saturated to G_MAXUINT64 never reached in practice) */
  guint64 bitrate;
  /* SDES: the first chunk's CNAME (not NUL-terminated; NULL when absent) */
  const char *cname;
  guint8 cname_len;
} McuRtcpPacket;

typedef struct {
  guint32 ssrc;
  guint8 fraction_lost;     /* /256 */
  gint32 cumulative_lost;   /* 24-bit signed */
  guint32 ext_highest_seq;
  guint32 jitter;           /* RTP timestamp units */
  guint32 lsr;              /* middle 32 bits of the last SR's NTP time, 0 = none */
  guint32 dlsr;             /* 1/65536 s since that SR */
} McuRtcpReportBlock;

typedef struct {
  const guint8 *buf;
  gsize len;
  gsize pos;
} McuRtcpIter;

/* 0 when every sub-packet of the compound is well formed, -EINVAL otherwise (empty, lying length,
 * padding not last or too large, truncated items, NACK without items, bad TWCC chunks...). */
int mcu_rtcp_validate (const guint8 *buf, gsize len);

void mcu_rtcp_iter_init (McuRtcpIter *iter, const guint8 *buf, gsize len);
/* 1 with the next sub-packet in @out, 0 at the end, -EINVAL on a malformed one (iteration stops). */
int mcu_rtcp_iter_next (McuRtcpIter *iter, McuRtcpPacket *out);

/* Item accessors; @index < packet->n_items, on a packet from a successful iteration. */
void mcu_rtcp_get_report_block (const McuRtcpPacket *packet, guint index, McuRtcpReportBlock *out);
void mcu_rtcp_get_nack (const McuRtcpPacket *packet, guint index, guint16 *pid, guint16 *blp);
void mcu_rtcp_get_fir (const McuRtcpPacket *packet, guint index, guint32 *ssrc, guint8 *seq_nr);
void mcu_rtcp_get_tmmbr (const McuRtcpPacket *packet, guint index, guint32 *ssrc, guint64 *bps);
guint32 mcu_rtcp_get_remb_ssrc (const McuRtcpPacket *packet, guint index);
guint32 mcu_rtcp_get_bye_ssrc (const McuRtcpPacket *packet, guint index);

/* Transport-wide congestion control feedback. */
typedef struct {
  guint16 seq;
  gboolean received;
  gint64 arrival_us;  /* builder: the arrival time; parser: reference time + deltas (same clock
                       * origin as the sender's reference time, so only differences mean much) */
} McuRtcpTwccStatus;

typedef struct {
  guint16 base_seq;
  guint16 status_count;
  gint32 reference_time;  /* 24-bit signed, 64 ms units */
  guint8 fb_count;
} McuRtcpTwccHeader;

/* Decodes a TWCC packet: fills @header and up to @max statuses (@out may be NULL to count).
 * Returns the status count or -EINVAL. */
int mcu_rtcp_twcc_decode (const McuRtcpPacket *packet, McuRtcpTwccHeader *header,
                          McuRtcpTwccStatus *out, guint max);

/* Builders. Each returns the bytes written (a multiple of 4) or -ENOSPC / -EINVAL. */
int mcu_rtcp_build_sr (guint8 *buf, gsize size, guint32 ssrc, guint64 ntp, guint32 rtp_ts,
                       guint32 packet_count, guint32 octet_count, const McuRtcpReportBlock *blocks,
                       guint n_blocks);
int mcu_rtcp_build_rr (guint8 *buf, gsize size, guint32 ssrc, const McuRtcpReportBlock *blocks,
                       guint n_blocks);
/* One SDES chunk per SSRC, each with the same CNAME (1-255 bytes). */
int mcu_rtcp_build_sdes_cname (guint8 *buf, gsize size, const guint32 *ssrcs, guint n_ssrcs,
                               const char *cname);
int mcu_rtcp_build_bye (guint8 *buf, gsize size, const guint32 *ssrcs, guint n_ssrcs);
/* Packs @seqs (best in ascending order) into PID/BLP entries; n_seqs >= 1. */
int mcu_rtcp_build_nack (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                         const guint16 *seqs, guint n_seqs);
int mcu_rtcp_build_pli (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc);
int mcu_rtcp_build_fir (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                        guint8 seq_nr);
int mcu_rtcp_build_remb (guint8 *buf, gsize size, guint32 sender_ssrc, guint64 bps,
                         const guint32 *ssrcs, guint n_ssrcs);
int mcu_rtcp_build_tmmbr (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                          guint64 bps, guint16 overhead);
/* Feedback for @statuses (consecutive sequence numbers starting at statuses[0].seq; at least one
 * received). Stops early when a delta does not fit or the buffer is full: *@n_used tells how many
 * statuses the packet covers (>= 1). */
int mcu_rtcp_build_twcc (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                         guint8 fb_count, const McuRtcpTwccStatus *statuses, guint n_statuses,
                         guint *n_used);

G_END_DECLS
