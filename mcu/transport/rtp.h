/* SPDX-License-Identifier: MIT */
/*
 * RTP packets (RFC 3550) read and written in place: header validation, CSRCs, one-byte and two-byte
 * header extensions (RFC 8285), the extensions WebRTC uses (ssrc-audio-level RFC 6464, abs-send-time,
 * transport-wide-cc-01, sdes:mid), and RTX wrap/unwrap (RFC 4588).
 *
 * Nothing here allocates or logs: these run on the per-packet path. Every length is checked against the
 * buffer; a bad packet gives -EINVAL (or -ENOSPC when a write does not fit), never an out-of-bounds read.
 * Threads: any (pure functions on caller-owned buffers).
 */
#pragma once

#include <errno.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MCU_MEDIA_AUDIO,
  MCU_MEDIA_VIDEO,
  MCU_MEDIA_CONTENT, /* a second video stream (shared screen / document camera) */
  MCU_MEDIA_N_KINDS,
} McuMediaKind;

#define MCU_RTP_HEADER_LEN 12
/* Largest RTP packet the transport keeps or builds (before the SRTP tag). */
#define MCU_RTP_MAX_PACKET 1500
/* Most extension elements read from one packet. */
#define MCU_RTP_MAX_EXTENSIONS 16

/* RFC 8285 profiles */
#define MCU_RTP_EXT_ONE_BYTE 0xBEDE
#define MCU_RTP_EXT_TWO_BYTE 0x1000

typedef struct {
  gboolean marker;
  guint8 pt;
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  guint8 csrc_count;
  guint16 ext_profile;  /* 0 when the packet has no extension block */
  guint16 ext_offset;   /* first byte of the extension elements (after the 4-byte block header) */
  guint16 ext_len;      /* bytes of extension elements */
  guint16 header_len;   /* = payload offset */
  guint16 payload_len;  /* without padding */
  guint8 padding_len;
} McuRtpHeader;

/* RFC 7983 / RFC 5761: TRUE when a datagram (already known to be RTP or RTCP) is RTCP (PT 192-223). */
gboolean mcu_rtp_is_rtcp (const guint8 *packet, gsize len);

/* Validates @packet and fills @out. 0, or -EINVAL (version, lengths, padding, extension block). */
int mcu_rtp_parse (const guint8 *packet, gsize len, McuRtpHeader *out);

/* Finds extension element @id (1-14 one-byte, 1-255 two-byte). Returns its length (>= 0) and sets
 * *@data (pointing into @packet, transfer none), -ENOENT when absent, -EINVAL when the block is bad. */
int mcu_rtp_find_extension (const guint8 *packet, const McuRtpHeader *header, guint8 id,
                            const guint8 **data);

/* RFC 6464: the level (0-127, -dBov) and voice flag; -ENOENT/-EINVAL as above. */
int mcu_rtp_get_audio_level (const guint8 *packet, const McuRtpHeader *header, guint8 id,
                             gboolean *voice);
/* transport-wide-cc-01 sequence number (0-65535), or negative. */
int mcu_rtp_get_twcc_seq (const guint8 *packet, const McuRtpHeader *header, guint8 id);
/* abs-send-time, 24-bit 6.18 fixed-point seconds, or negative. */
gint64 mcu_rtp_get_abs_send_time (const guint8 *packet, const McuRtpHeader *header, guint8 id);
/* sdes:mid copied into @buf NUL-terminated; returns its length or negative (-ENOSPC when too long). */
int mcu_rtp_get_mid (const guint8 *packet, const McuRtpHeader *header, guint8 id, char *buf,
                     gsize size);

/* abs-send-time value for a time in microseconds. */
guint32 mcu_rtp_abs_send_time_from_us (gint64 time_us);

/* Sets extension element @id to @data (1-255 bytes) in @packet of @len bytes held in a buffer of
 * @capacity bytes. Overwrites in place when an element of that id and length is there, else rebuilds
 * the extension block (one-byte form when every element allows it, else two-byte) and moves the
 * payload. @header is updated. Returns the new packet length, -ENOSPC, or -EINVAL. */
int mcu_rtp_set_extension (guint8 *packet, gsize len, gsize capacity, McuRtpHeader *header, guint8 id,
                           const guint8 *data, gsize data_len);

typedef struct {
  guint8 id;
  guint8 len;           /* 1-255 */
  const guint8 *data;   /* (transfer none) */
} McuRtpExtension;

/* The same for several elements at once, with at most one rebuild of the block. */
int mcu_rtp_set_extensions (guint8 *packet, gsize len, gsize capacity, McuRtpHeader *header,
                            const McuRtpExtension *extensions, guint n);

/* Writes a 12-byte fixed header (no CSRC, no extension, no padding) from @header's marker, pt, seq, ts
 * and ssrc. Returns 12 or -ENOSPC. */
int mcu_rtp_write_header (guint8 *buf, gsize size, const McuRtpHeader *header);
/* Rewrites sequence number / SSRC / payload type / timestamp of a valid packet in place. */
void mcu_rtp_set_seq (guint8 *packet, guint16 seq);
void mcu_rtp_set_ts (guint8 *packet, guint32 ts);
void mcu_rtp_set_ssrc (guint8 *packet, guint32 ssrc);
void mcu_rtp_set_pt (guint8 *packet, guint8 pt);

/* RFC 4588: builds the RTX packet for @src (valid, described by @header) into @dst: the same header
 * with @rtx_pt, @rtx_seq, @rtx_ssrc, then the original sequence number, then the payload (padding is
 * dropped). Returns the RTX length or -ENOSPC. */
int mcu_rtp_rtx_wrap (guint8 *dst, gsize dst_size, const guint8 *src, const McuRtpHeader *header,
                      guint8 rtx_pt, guint32 rtx_ssrc, guint16 rtx_seq);
/* Turns an RTX packet back into the original in place: sequence = OSN, @pt, @ssrc. @header describes
 * the RTX packet on entry and the original on return. Returns the new length or -EINVAL (no OSN). */
int mcu_rtp_rtx_unwrap (guint8 *packet, gsize len, McuRtpHeader *header, guint8 pt, guint32 ssrc);

G_END_DECLS
