/* SPDX-License-Identifier: MIT */
/*
 * RTCP compound parser and builders (see rtcp.h). Every read is preceded by a bounds check against
 * the sub-packet length, which itself is checked against the datagram. The transport-wide-cc codec
 * lives in rtcp-twcc.c.
 * No allocation, no logging. Threads: any.
 */
#include "rtcp.h"

#include <string.h>

#include "rtcp-private.h"
#include "rtp-bytes.h"

void
mcu_rtcp_iter_init (McuRtcpIter *iter, const guint8 *buf, gsize len)
{
  iter->buf = buf;
  iter->len = len;
  iter->pos = 0;
}

static int
parse_report (McuRtcpPacket *p)
{
  gsize need = p->type == MCU_RTCP_SR ? 28 : 8;

  if (p->len < need || p->len < need + 24u * p->count)
    return -EINVAL;
  p->sender_ssrc = mcu_be32 (p->data + 4);
  p->n_items = p->count;
  if (p->type == MCU_RTCP_SR) {
    p->kind = MCU_RTCP_KIND_SR;
    p->ntp = ((guint64) mcu_be32 (p->data + 8) << 32) | mcu_be32 (p->data + 12);
    p->rtp_ts = mcu_be32 (p->data + 16);
    p->packet_count = mcu_be32 (p->data + 20);
    p->octet_count = mcu_be32 (p->data + 24);
  } else {
    p->kind = MCU_RTCP_KIND_RR;
  }
  return 0;
}

/* One SDES chunk at @pos: the SSRC, items up to the null item, then padding to 32 bits. */
static int
parse_sdes_chunk (McuRtcpPacket *p, gsize *pos, gboolean first)
{
  const guint8 *d = p->data;
  gsize at = *pos;

  if (at + 4 > p->len)
    return -EINVAL;
  if (first)
    p->sender_ssrc = mcu_be32 (d + at);
  at += 4;
  for (;;) {
    if (at >= p->len)
      return -EINVAL;  /* no terminating null item */
    if (d[at] == 0)
      break;
    if (at + 2 > p->len || at + 2 + d[at + 1] > p->len)
      return -EINVAL;
    if (first && d[at] == 1 && p->cname == NULL) {
      p->cname = (const char *) d + at + 2;
      p->cname_len = d[at + 1];
    }
    at += 2u + d[at + 1];
  }
  at = (at + 4) & ~(gsize) 3;  /* the null item, then pad to a word */
  if (at > p->len)
    return -EINVAL;
  *pos = at;
  return 0;
}

static int
parse_sdes (McuRtcpPacket *p)
{
  gsize pos = 4;

  p->kind = MCU_RTCP_KIND_SDES;
  p->n_items = p->count;
  for (guint i = 0; i < p->count; i++)
    if (parse_sdes_chunk (p, &pos, i == 0) < 0)
      return -EINVAL;
  return 0;
}

static int
parse_bye (McuRtcpPacket *p)
{
  gsize end = 4 + 4u * p->count;

  if (end > p->len)
    return -EINVAL;
  if (end < p->len && end + 1 + p->data[end] > p->len)
    return -EINVAL;  /* reason text overruns */
  p->kind = MCU_RTCP_KIND_BYE;
  p->n_items = p->count;
  p->sender_ssrc = p->count > 0 ? mcu_be32 (p->data + 4) : 0;
  return 0;
}

static int
parse_rtpfb (McuRtcpPacket *p)
{
  gsize fci = p->len - 12;

  switch (p->count) {
  case 1:
    if (fci < 4)
      return -EINVAL;  /* a NACK must name at least one packet */
    p->kind = MCU_RTCP_KIND_NACK;
    p->n_items = (guint) (fci / 4);
    return 0;
  case 3:
    if (fci < 8)
      return -EINVAL;
    p->kind = MCU_RTCP_KIND_TMMBR;
    p->n_items = (guint) (fci / 8);
    return 0;
  case 15: {
    McuRtcpTwccHeader header;
    p->kind = MCU_RTCP_KIND_TWCC;
    int n = mcu_rtcp_twcc_decode (p, &header, NULL, 0);
    if (n < 0)
      return -EINVAL;
    p->n_items = (guint) n;
    return 0;
  }
  default:
    return 0;
  }
}

static int
parse_remb (McuRtcpPacket *p)
{
  const guint8 *fci = p->data + 12;
  gsize len = p->len - 12;

  if (len < 4 || memcmp (fci, "REMB", 4) != 0)
    return 0;  /* some other application layer feedback: skipped */
  if (len < 8 || 8u + 4u * fci[4] > len)
    return -EINVAL;
  guint exp = fci[5] >> 2;
  guint64 mantissa = ((guint64) (fci[5] & 3) << 16) | mcu_be16 (fci + 6);
  p->kind = MCU_RTCP_KIND_REMB;
  p->n_items = fci[4];
  p->bitrate = exp > 45 && mantissa != 0 ? G_MAXUINT64 : mantissa << exp;
  return 0;
}

static int
parse_psfb (McuRtcpPacket *p)
{
  switch (p->count) {
  case 1:
    p->kind = MCU_RTCP_KIND_PLI;
    return 0;
  case 4:
    if (p->len < 12 + 8)
      return -EINVAL;
    p->kind = MCU_RTCP_KIND_FIR;
    p->n_items = (guint) ((p->len - 12) / 8);
    return 0;
  case 15:
    return parse_remb (p);
  default:
    return 0;
  }
}

static int
parse_feedback (McuRtcpPacket *p)
{
  if (p->len < 12)
    return -EINVAL;
  p->sender_ssrc = mcu_be32 (p->data + 4);
  p->media_ssrc = mcu_be32 (p->data + 8);
  return p->type == MCU_RTCP_RTPFB ? parse_rtpfb (p) : parse_psfb (p);
}

static int
parse_body (McuRtcpPacket *p)
{
  switch (p->type) {
  case MCU_RTCP_SR:
  case MCU_RTCP_RR:
    return parse_report (p);
  case MCU_RTCP_SDES:
    return parse_sdes (p);
  case MCU_RTCP_BYE:
    return parse_bye (p);
  case MCU_RTCP_APP:
    return p->len >= 12 ? 0 : -EINVAL;
  case MCU_RTCP_RTPFB:
  case MCU_RTCP_PSFB:
    return parse_feedback (p);
  default:
    return 0;
  }
}

/* The common header: version, type range, length within the datagram, padding only at the end. */
static int
parse_header (const McuRtcpIter *iter, McuRtcpPacket *p, gsize *total)
{
  const guint8 *d = iter->buf + iter->pos;
  gsize left = iter->len - iter->pos;

  if (left < 4 || (d[0] >> 6) != 2 || d[1] < 192 || d[1] > 223)
    return -EINVAL;
  *total = 4u * ((gsize) mcu_be16 (d + 2) + 1);
  if (*total > left)
    return -EINVAL;
  p->type = d[1];
  p->count = d[0] & 0x1F;
  p->data = d;
  p->len = *total;
  if (d[0] & 0x20) {
    guint8 pad = d[*total - 1];
    if (*total != left || pad == 0 || pad > *total - 4)
      return -EINVAL;  /* padding is only allowed on the last sub-packet */
    p->len -= pad;
  }
  return 0;
}

int
mcu_rtcp_iter_next (McuRtcpIter *iter, McuRtcpPacket *out)
{
  gsize total = 0;

  if (iter->pos >= iter->len)
    return 0;
  memset (out, 0, sizeof *out);
  if (parse_header (iter, out, &total) < 0 || parse_body (out) < 0) {
    iter->pos = iter->len;
    return -EINVAL;
  }
  iter->pos += total;
  return 1;
}

int
mcu_rtcp_validate (const guint8 *buf, gsize len)
{
  McuRtcpIter iter;
  McuRtcpPacket packet;
  int r;

  if (buf == NULL || len < 4 || (len & 3) != 0)
    return -EINVAL;
  mcu_rtcp_iter_init (&iter, buf, len);
  while ((r = mcu_rtcp_iter_next (&iter, &packet)) > 0)
    ;
  return r;
}

void
mcu_rtcp_get_report_block (const McuRtcpPacket *packet, guint index, McuRtcpReportBlock *out)
{
  g_return_if_fail (index < packet->n_items);
  const guint8 *b = packet->data + (packet->type == MCU_RTCP_SR ? 28 : 8) + 24u * index;
  guint32 lost = mcu_be24 (b + 5);

  out->ssrc = mcu_be32 (b);
  out->fraction_lost = b[4];
  out->cumulative_lost = (lost & 0x800000) ? (gint32) (lost | 0xFF000000u) : (gint32) lost;
  out->ext_highest_seq = mcu_be32 (b + 8);
  out->jitter = mcu_be32 (b + 12);
  out->lsr = mcu_be32 (b + 16);
  out->dlsr = mcu_be32 (b + 20);
}

void
mcu_rtcp_get_nack (const McuRtcpPacket *packet, guint index, guint16 *pid, guint16 *blp)
{
  g_return_if_fail (index < packet->n_items);
  *pid = mcu_be16 (packet->data + 12 + 4u * index);
  *blp = mcu_be16 (packet->data + 14 + 4u * index);
}

void
mcu_rtcp_get_fir (const McuRtcpPacket *packet, guint index, guint32 *ssrc, guint8 *seq_nr)
{
  g_return_if_fail (index < packet->n_items);
  *ssrc = mcu_be32 (packet->data + 12 + 8u * index);
  *seq_nr = packet->data[16 + 8u * index];
}

void
mcu_rtcp_get_tmmbr (const McuRtcpPacket *packet, guint index, guint32 *ssrc, guint64 *bps)
{
  g_return_if_fail (index < packet->n_items);
  const guint8 *e = packet->data + 12 + 8u * index;
  guint32 word = mcu_be32 (e + 4);
  guint exp = word >> 26;
  guint64 mantissa = (word >> 9) & 0x1FFFF;
  *ssrc = mcu_be32 (e);
  *bps = exp > 46 && mantissa != 0 ? G_MAXUINT64 : mantissa << exp;
}

guint32
mcu_rtcp_get_remb_ssrc (const McuRtcpPacket *packet, guint index)
{
  g_return_val_if_fail (index < packet->n_items, 0);
  return mcu_be32 (packet->data + 20 + 4u * index);
}

guint32
mcu_rtcp_get_bye_ssrc (const McuRtcpPacket *packet, guint index)
{
  g_return_val_if_fail (index < packet->n_items, 0);
  return mcu_be32 (packet->data + 4 + 4u * index);
}

/* ---- builders ---- */

void
mcu_rtcp_write_header (guint8 *buf, gboolean padding, guint8 count, guint8 type, gsize len)
{
  buf[0] = (guint8) (0x80 | (padding ? 0x20 : 0) | (count & 0x1F));
  buf[1] = type;
  mcu_put_be16 (buf + 2, (guint16) (len / 4 - 1));
}

static void
write_report_block (guint8 *b, const McuRtcpReportBlock *block)
{
  gint32 lost = CLAMP (block->cumulative_lost, -0x800000, 0x7FFFFF);

  mcu_put_be32 (b, block->ssrc);
  b[4] = block->fraction_lost;
  mcu_put_be24 (b + 5, (guint32) lost & 0xFFFFFF);
  mcu_put_be32 (b + 8, block->ext_highest_seq);
  mcu_put_be32 (b + 12, block->jitter);
  mcu_put_be32 (b + 16, block->lsr);
  mcu_put_be32 (b + 20, block->dlsr);
}

int
mcu_rtcp_build_sr (guint8 *buf, gsize size, guint32 ssrc, guint64 ntp, guint32 rtp_ts,
                   guint32 packet_count, guint32 octet_count, const McuRtcpReportBlock *blocks,
                   guint n_blocks)
{
  gsize len = 28 + 24u * n_blocks;

  if (n_blocks > MCU_RTCP_MAX_REPORT_BLOCKS)
    return -EINVAL;
  if (len > size)
    return -ENOSPC;
  mcu_rtcp_write_header (buf, FALSE, (guint8) n_blocks, MCU_RTCP_SR, len);
  mcu_put_be32 (buf + 4, ssrc);
  mcu_put_be32 (buf + 8, (guint32) (ntp >> 32));
  mcu_put_be32 (buf + 12, (guint32) ntp);
  mcu_put_be32 (buf + 16, rtp_ts);
  mcu_put_be32 (buf + 20, packet_count);
  mcu_put_be32 (buf + 24, octet_count);
  for (guint i = 0; i < n_blocks; i++)
    write_report_block (buf + 28 + 24 * i, &blocks[i]);
  return (int) len;
}

int
mcu_rtcp_build_rr (guint8 *buf, gsize size, guint32 ssrc, const McuRtcpReportBlock *blocks,
                   guint n_blocks)
{
  gsize len = 8 + 24u * n_blocks;

  if (n_blocks > MCU_RTCP_MAX_REPORT_BLOCKS)
    return -EINVAL;
  if (len > size)
    return -ENOSPC;
  mcu_rtcp_write_header (buf, FALSE, (guint8) n_blocks, MCU_RTCP_RR, len);
  mcu_put_be32 (buf + 4, ssrc);
  for (guint i = 0; i < n_blocks; i++)
    write_report_block (buf + 8 + 24 * i, &blocks[i]);
  return (int) len;
}

int
mcu_rtcp_build_sdes_cname (guint8 *buf, gsize size, const guint32 *ssrcs, guint n_ssrcs,
                           const char *cname)
{
  gsize cname_len = cname ? strlen (cname) : 0;
  gsize chunk = (4 + 2 + cname_len + 1 + 3) & ~(gsize) 3;
  gsize len = 4 + chunk * n_ssrcs;

  if (cname_len == 0 || cname_len > 255 || n_ssrcs > 31)
    return -EINVAL;
  if (len > size)
    return -ENOSPC;
  memset (buf, 0, len);
  mcu_rtcp_write_header (buf, FALSE, (guint8) n_ssrcs, MCU_RTCP_SDES, len);
  for (guint i = 0; i < n_ssrcs; i++) {
    guint8 *c = buf + 4 + chunk * i;
    mcu_put_be32 (c, ssrcs[i]);
    c[4] = 1; /* CNAME */
    c[5] = (guint8) cname_len;
    memcpy (c + 6, cname, cname_len);
  }
  return (int) len;
}

int
mcu_rtcp_build_bye (guint8 *buf, gsize size, const guint32 *ssrcs, guint n_ssrcs)
{
  gsize len = 4 + 4u * n_ssrcs;

  if (n_ssrcs > 31)
    return -EINVAL;
  if (len > size)
    return -ENOSPC;
  mcu_rtcp_write_header (buf, FALSE, (guint8) n_ssrcs, MCU_RTCP_BYE, len);
  for (guint i = 0; i < n_ssrcs; i++)
    mcu_put_be32 (buf + 4 + 4 * i, ssrcs[i]);
  return (int) len;
}

static int
build_fb_header (guint8 *buf, gsize size, gsize len, guint8 fmt, guint8 type, guint32 sender,
                 guint32 media)
{
  if (len > size)
    return -ENOSPC;
  mcu_rtcp_write_header (buf, FALSE, fmt, type, len);
  mcu_put_be32 (buf + 4, sender);
  mcu_put_be32 (buf + 8, media);
  return (int) len;
}

int
mcu_rtcp_build_nack (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                     const guint16 *seqs, guint n_seqs)
{
  gsize pos = 12;

  if (n_seqs == 0)
    return -EINVAL;
  for (guint i = 0; i < n_seqs;) {
    guint16 pid = seqs[i++], blp = 0;
    while (i < n_seqs) {
      guint16 diff = (guint16) (seqs[i] - pid);
      if (diff < 1 || diff > 16)
        break;
      blp |= (guint16) (1u << (diff - 1));
      i++;
    }
    if (pos + 4 > size || pos + 4 > 4 * 65536)
      return -ENOSPC;
    mcu_put_be16 (buf + pos, pid);
    mcu_put_be16 (buf + pos + 2, blp);
    pos += 4;
  }
  return build_fb_header (buf, size, pos, 1, MCU_RTCP_RTPFB, sender_ssrc, media_ssrc);
}

int
mcu_rtcp_build_pli (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc)
{
  return build_fb_header (buf, size, 12, 1, MCU_RTCP_PSFB, sender_ssrc, media_ssrc);
}

int
mcu_rtcp_build_fir (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc, guint8 seq_nr)
{
  int r = build_fb_header (buf, size, 20, 4, MCU_RTCP_PSFB, sender_ssrc, 0);

  if (r < 0)
    return r;
  mcu_put_be32 (buf + 12, media_ssrc);  /* RFC 5104: the media source goes in the FCI */
  mcu_put_be32 (buf + 16, (guint32) seq_nr << 24);
  return r;
}

/* Splits @value into mantissa << exp with the mantissa below 2^@bits. */
static void
split_exponent (guint64 value, guint bits, guint *exp, guint32 *mantissa)
{
  *exp = 0;
  while ((value >> *exp) >= ((guint64) 1 << bits))
    (*exp)++;
  *mantissa = (guint32) (value >> *exp);
}

int
mcu_rtcp_build_remb (guint8 *buf, gsize size, guint32 sender_ssrc, guint64 bps,
                     const guint32 *ssrcs, guint n_ssrcs)
{
  gsize len = 20 + 4u * n_ssrcs;
  guint exp;
  guint32 mantissa;

  if (n_ssrcs > 255)
    return -EINVAL;
  int r = build_fb_header (buf, size, len, 15, MCU_RTCP_PSFB, sender_ssrc, 0);
  if (r < 0)
    return r;
  split_exponent (bps, 18, &exp, &mantissa);
  memcpy (buf + 12, "REMB", 4);
  buf[16] = (guint8) n_ssrcs;
  buf[17] = (guint8) ((exp << 2) | (mantissa >> 16));
  mcu_put_be16 (buf + 18, (guint16) mantissa);
  for (guint i = 0; i < n_ssrcs; i++)
    mcu_put_be32 (buf + 20 + 4 * i, ssrcs[i]);
  return r;
}

int
mcu_rtcp_build_tmmbr (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                      guint64 bps, guint16 overhead)
{
  guint exp;
  guint32 mantissa;
  int r = build_fb_header (buf, size, 20, 3, MCU_RTCP_RTPFB, sender_ssrc, 0);

  if (r < 0)
    return r;
  split_exponent (bps, 17, &exp, &mantissa);
  mcu_put_be32 (buf + 12, media_ssrc);
  mcu_put_be32 (buf + 16, ((guint32) exp << 26) | (mantissa << 9) | (overhead & 0x1FF));
  return r;
}
