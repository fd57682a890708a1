/* SPDX-License-Identifier: MIT */
/*
 * RTP header parsing and writing in place (RFC 3550, RFC 8285 header extensions, RFC 4588 RTX).
 * Pure functions on caller-owned buffers: no allocation, no logging; callers count failures.
 * Threads: any.
 */
#include "rtp.h"

#include <string.h>

#include "rtp-bytes.h"

gboolean
mcu_rtp_is_rtcp (const guint8 *packet, gsize len)
{
  return len >= 2 && packet[1] >= 192 && packet[1] <= 223;
}

static gboolean
is_two_byte_profile (guint16 profile)
{
  return (profile & 0xFFF0) == MCU_RTP_EXT_TWO_BYTE;
}

/* Steps over one element of an RFC 8285 block. 1 with the element, 0 at the end, -EINVAL when it
 * overruns the block. */
static int
next_element (const guint8 *ext, gsize ext_len, gboolean two_byte, gsize *pos, guint8 *id,
              const guint8 **data, gsize *len)
{
  while (*pos < ext_len && ext[*pos] == 0)
    (*pos)++;  /* padding bytes between elements */
  if (*pos >= ext_len)
    return 0;
  gsize p = *pos;
  gsize hdr = two_byte ? 2 : 1;
  if (two_byte) {
    if (p + 2 > ext_len)
      return -EINVAL;
    *id = ext[p];
    *len = ext[p + 1];
  } else {
    *id = ext[p] >> 4;
    *len = (ext[p] & 0x0F) + 1u;
    if (*id == 15)
      return 0;  /* RFC 8285 §4.2: id 15 stops processing */
  }
  if (p + hdr + *len > ext_len)
    return -EINVAL;
  *data = ext + p + hdr;
  *pos = p + hdr + *len;
  return 1;
}

static int
validate_elements (const guint8 *packet, const McuRtpHeader *h)
{
  gboolean two = is_two_byte_profile (h->ext_profile);
  gsize pos = 0, len;
  guint8 id;
  const guint8 *data;
  int r;

  if (h->ext_profile != MCU_RTP_EXT_ONE_BYTE && !two)
    return 0;  /* some other profile: opaque, skipped */
  while ((r = next_element (packet + h->ext_offset, h->ext_len, two, &pos, &id, &data, &len)) > 0)
    ;
  return r;
}

int
mcu_rtp_parse (const guint8 *packet, gsize len, McuRtpHeader *out)
{
  if (packet == NULL || len < MCU_RTP_HEADER_LEN || len > G_MAXUINT16 || (packet[0] >> 6) != 2)
    return -EINVAL;
  memset (out, 0, sizeof *out);
  out->marker = (packet[1] & 0x80) != 0;
  out->pt = packet[1] & 0x7F;
  out->seq = mcu_be16 (packet + 2);
  out->ts = mcu_be32 (packet + 4);
  out->ssrc = mcu_be32 (packet + 8);
  out->csrc_count = packet[0] & 0x0F;

  gsize pos = MCU_RTP_HEADER_LEN + 4u * out->csrc_count;
  if (pos > len)
    return -EINVAL;
  if (packet[0] & 0x10) {
    if (pos + 4 > len)
      return -EINVAL;
    gsize ext_len = 4u * mcu_be16 (packet + pos + 2);
    out->ext_profile = mcu_be16 (packet + pos);
    if (out->ext_profile == 0)
      out->ext_profile = 0xFFFF; /* a zero profile is legal but must still read as "has a block" */
    out->ext_offset = (guint16) (pos + 4);
    if (pos + 4 + ext_len > len)
      return -EINVAL;
    out->ext_len = (guint16) ext_len;
    pos += 4 + ext_len;
    if (validate_elements (packet, out) < 0)
      return -EINVAL;
  }
  gsize padding = 0;
  if (packet[0] & 0x20) {
    padding = packet[len - 1];
    if (padding == 0 || pos + padding > len)
      return -EINVAL;
  }
  out->header_len = (guint16) pos;
  out->padding_len = (guint8) padding;
  out->payload_len = (guint16) (len - pos - padding);
  return 0;
}

int
mcu_rtp_find_extension (const guint8 *packet, const McuRtpHeader *header, guint8 id,
                        const guint8 **data)
{
  gboolean two = is_two_byte_profile (header->ext_profile);
  gsize pos = 0, len;
  guint8 found;
  int r;

  if (id == 0 || (header->ext_profile != MCU_RTP_EXT_ONE_BYTE && !two))
    return -ENOENT;
  while ((r = next_element (packet + header->ext_offset, header->ext_len, two, &pos, &found, data,
                            &len)) > 0) {
    if (found == id)
      return (int) len;
  }
  return r < 0 ? r : -ENOENT;
}

int
mcu_rtp_get_audio_level (const guint8 *packet, const McuRtpHeader *header, guint8 id,
                         gboolean *voice)
{
  const guint8 *data;
  int len = mcu_rtp_find_extension (packet, header, id, &data);

  if (len < 0)
    return len;
  if (len < 1)
    return -EINVAL;
  if (voice != NULL)
    *voice = (data[0] & 0x80) != 0;
  return data[0] & 0x7F;
}

int
mcu_rtp_get_twcc_seq (const guint8 *packet, const McuRtpHeader *header, guint8 id)
{
  const guint8 *data;
  int len = mcu_rtp_find_extension (packet, header, id, &data);

  if (len < 0)
    return len;
  return len < 2 ? -EINVAL : mcu_be16 (data);
}

gint64
mcu_rtp_get_abs_send_time (const guint8 *packet, const McuRtpHeader *header, guint8 id)
{
  const guint8 *data;
  int len = mcu_rtp_find_extension (packet, header, id, &data);

  if (len < 0)
    return len;
  return len < 3 ? -EINVAL : (gint64) mcu_be24 (data);
}

int
mcu_rtp_get_mid (const guint8 *packet, const McuRtpHeader *header, guint8 id, char *buf, gsize size)
{
  const guint8 *data;
  int len = mcu_rtp_find_extension (packet, header, id, &data);

  if (len < 0)
    return len;
  if (len == 0)
    return -EINVAL;
  if ((gsize) len + 1 > size)
    return -ENOSPC;
  memcpy (buf, data, (gsize) len);
  buf[len] = '\0';
  return len;
}

guint32
mcu_rtp_abs_send_time_from_us (gint64 time_us)
{
  /* 6.18 fixed point seconds: (us << 18) / 1e6, kept to 24 bits */
  return (guint32) ((((guint64) time_us) << 18) / G_USEC_PER_SEC) & 0xFFFFFF;
}

typedef struct {
  guint8 id;
  guint8 len;
  guint8 data[255];
} Element;

typedef struct {
  Element elements[MCU_RTP_MAX_EXTENSIONS];
  guint n;
} ElementSet;

static int
collect_elements (const guint8 *packet, const McuRtpHeader *h, ElementSet *set)
{
  gboolean two = is_two_byte_profile (h->ext_profile);
  gsize pos = 0, len;
  guint8 id;
  const guint8 *data;
  int r;

  set->n = 0;
  if (h->ext_profile == 0)
    return 0;
  if (h->ext_profile != MCU_RTP_EXT_ONE_BYTE && !two)
    return -EINVAL;  /* an unknown profile we cannot merge into */
  while ((r = next_element (packet + h->ext_offset, h->ext_len, two, &pos, &id, &data, &len)) > 0) {
    if (set->n == MCU_RTP_MAX_EXTENSIONS)
      return -ENOSPC;
    Element *e = &set->elements[set->n++];
    e->id = id;
    e->len = (guint8) len;
    memcpy (e->data, data, len);
  }
  return r;
}

static int
put_element (ElementSet *set, guint8 id, const guint8 *data, gsize len)
{
  for (guint i = 0; i < set->n; i++) {
    if (set->elements[i].id == id) {
      set->elements[i].len = (guint8) len;
      memcpy (set->elements[i].data, data, len);
      return 0;
    }
  }
  if (set->n == MCU_RTP_MAX_EXTENSIONS)
    return -ENOSPC;
  Element *e = &set->elements[set->n++];
  e->id = id;
  e->len = (guint8) len;
  memcpy (e->data, data, len);
  return 0;
}

/* Serializes @set into @out (an extension block with its 4-byte header), padded to 32 bits. */
static gsize
write_block (const ElementSet *set, guint8 *out)
{
  gboolean one = TRUE;
  gsize pos = 4;

  for (guint i = 0; i < set->n; i++)
    if (set->elements[i].id > 14 || set->elements[i].len < 1 || set->elements[i].len > 16)
      one = FALSE;
  for (guint i = 0; i < set->n; i++) {
    const Element *e = &set->elements[i];
    if (one) {
      out[pos++] = (guint8) ((e->id << 4) | (e->len - 1));
    } else {
      out[pos++] = e->id;
      out[pos++] = e->len;
    }
    memcpy (out + pos, e->data, e->len);
    pos += e->len;
  }
  while ((pos & 3) != 0)
    out[pos++] = 0;
  mcu_put_be16 (out, one ? MCU_RTP_EXT_ONE_BYTE : MCU_RTP_EXT_TWO_BYTE);
  mcu_put_be16 (out + 2, (guint16) ((pos - 4) / 4));
  return pos;
}

static gboolean
overwrite_in_place (guint8 *packet, const McuRtpHeader *header, guint8 id, const guint8 *data,
                    gsize data_len)
{
  const guint8 *at;
  int len = mcu_rtp_find_extension (packet, header, id, &at);

  if (len < 0 || (gsize) len != data_len)
    return FALSE;
  memcpy (packet + (at - packet), data, data_len);
  return TRUE;
}

/* Rebuilds the extension block of @packet with @set and moves the payload after it. */
static int
rewrite_block (guint8 *packet, gsize len, gsize capacity, McuRtpHeader *header, const ElementSet *set)
{
  guint8 block[4 + MCU_RTP_MAX_EXTENSIONS * 257 + 3];
  gsize block_len = write_block (set, block);
  gsize old_block = header->ext_profile ? header->ext_len + 4u : 0;
  gsize start = MCU_RTP_HEADER_LEN + 4u * header->csrc_count;
  gsize tail = len - header->header_len;  /* payload + padding */
  gsize new_len = start + block_len + tail;

  if (start + old_block != header->header_len || tail > len)
    return -EINVAL;  /* @header does not describe @packet */
  if (new_len > capacity || new_len > G_MAXUINT16)
    return -ENOSPC;
  memmove (packet + start + block_len, packet + header->header_len, tail);
  memcpy (packet + start, block, block_len);
  packet[0] |= 0x10;
  return mcu_rtp_parse (packet, new_len, header) < 0 ? -EINVAL : (int) new_len;
}

int
mcu_rtp_set_extensions (guint8 *packet, gsize len, gsize capacity, McuRtpHeader *header,
                        const McuRtpExtension *extensions, guint n)
{
  ElementSet set;
  gboolean missing[MCU_RTP_MAX_EXTENSIONS] = { FALSE };
  gboolean any = FALSE;
  int r;

  if (n > MCU_RTP_MAX_EXTENSIONS)
    return -EINVAL;
  for (guint i = 0; i < n; i++) {
    const McuRtpExtension *e = &extensions[i];
    if (e->id == 0 || e->len == 0 || e->data == NULL)
      return -EINVAL;
    missing[i] = !overwrite_in_place (packet, header, e->id, e->data, e->len);
    any = any || missing[i];
  }
  if (!any)
    return (int) len;
  if ((r = collect_elements (packet, header, &set)) < 0)
    return r;
  for (guint i = 0; i < n; i++)
    if (missing[i] && (r = put_element (&set, extensions[i].id, extensions[i].data, extensions[i].len)) < 0)
      return r;
  return rewrite_block (packet, len, capacity, header, &set);
}

int
mcu_rtp_set_extension (guint8 *packet, gsize len, gsize capacity, McuRtpHeader *header, guint8 id,
                       const guint8 *data, gsize data_len)
{
  if (data_len == 0 || data_len > 255)
    return -EINVAL;
  McuRtpExtension one = { id, (guint8) data_len, data };
  return mcu_rtp_set_extensions (packet, len, capacity, header, &one, 1);
}

int
mcu_rtp_write_header (guint8 *buf, gsize size, const McuRtpHeader *header)
{
  if (size < MCU_RTP_HEADER_LEN)
    return -ENOSPC;
  buf[0] = 0x80;
  buf[1] = (guint8) ((header->marker ? 0x80 : 0) | (header->pt & 0x7F));
  mcu_put_be16 (buf + 2, header->seq);
  mcu_put_be32 (buf + 4, header->ts);
  mcu_put_be32 (buf + 8, header->ssrc);
  return MCU_RTP_HEADER_LEN;
}

void
mcu_rtp_set_seq (guint8 *packet, guint16 seq)
{
  mcu_put_be16 (packet + 2, seq);
}

void
mcu_rtp_set_ts (guint8 *packet, guint32 ts)
{
  mcu_put_be32 (packet + 4, ts);
}

void
mcu_rtp_set_ssrc (guint8 *packet, guint32 ssrc)
{
  mcu_put_be32 (packet + 8, ssrc);
}

void
mcu_rtp_set_pt (guint8 *packet, guint8 pt)
{
  packet[1] = (guint8) ((packet[1] & 0x80) | (pt & 0x7F));
}

int
mcu_rtp_rtx_wrap (guint8 *dst, gsize dst_size, const guint8 *src, const McuRtpHeader *header,
                  guint8 rtx_pt, guint32 rtx_ssrc, guint16 rtx_seq)
{
  gsize total = (gsize) header->header_len + 2 + header->payload_len;

  if (total > dst_size)
    return -ENOSPC;
  memcpy (dst, src, header->header_len);
  dst[0] &= ~0x20;  /* padding is not carried over */
  mcu_rtp_set_pt (dst, rtx_pt);
  mcu_rtp_set_seq (dst, rtx_seq);
  mcu_rtp_set_ssrc (dst, rtx_ssrc);
  mcu_put_be16 (dst + header->header_len, header->seq);
  memcpy (dst + header->header_len + 2, src + header->header_len, header->payload_len);
  return (int) total;
}

int
mcu_rtp_rtx_unwrap (guint8 *packet, gsize len, McuRtpHeader *header, guint8 pt, guint32 ssrc)
{
  if (header->payload_len < 2)
    return -EINVAL;
  guint16 osn = mcu_be16 (packet + header->header_len);
  memmove (packet + header->header_len, packet + header->header_len + 2,
           len - header->header_len - 2);
  mcu_rtp_set_seq (packet, osn);
  mcu_rtp_set_pt (packet, pt);
  mcu_rtp_set_ssrc (packet, ssrc);
  header->seq = osn;
  header->pt = pt;
  header->ssrc = ssrc;
  header->payload_len -= 2;
  return (int) len - 2;
}
