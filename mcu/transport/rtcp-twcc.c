/* SPDX-License-Identifier: MIT */
/*
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01,
 * RTPFB FMT 15): decoder with every chunk and delta bounds-checked, and the builder the receive side
 * uses so that the remote's send-side bandwidth estimator (Chromium's GCC) can ramp up.
 *
 * Layout after the feedback header: base seq (16), status count (16), reference time (24, 64 ms
 * units, signed), feedback packet count (8), packet chunks (16 bits each: run length, 1-bit vector
 * of 14, or 2-bit vector of 7 symbols), then one receive delta per received packet (8 bits unsigned
 * for "small", 16 bits signed for "large", both in 250 us units), zero-padded to 32 bits.
 *
 * No allocation (the builder uses bounded stack arrays), no logging. Threads: any.
 */
#include <string.h>

#include "rtcp-private.h"
#include "rtcp.h"
#include "rtp-bytes.h"

#define TICK_US 250
#define REF_US 64000

typedef struct {
  const guint8 *buf;  /* the FCI */
  gsize len;
  gsize pos;          /* next chunk */
  guint16 word;
  guint left;         /* symbols left in the current chunk */
  guint index;        /* next symbol in the current chunk */
} ChunkReader;

static int
load_chunk (ChunkReader *r, guint remaining)
{
  if (r->pos + 2 > r->len)
    return -EINVAL;
  r->word = mcu_be16 (r->buf + r->pos);
  r->pos += 2;
  r->index = 0;
  if ((r->word & 0x8000) == 0) {
    if (((r->word >> 13) & 3) == 3)
      return -EINVAL;
    r->left = MIN (r->word & 0x1FFFu, remaining);
  } else {
    r->left = MIN ((r->word & 0x4000) ? 7u : 14u, remaining);
  }
  return 0;
}

/* The next status symbol (0 not received, 1 small delta, 2 large delta) or -EINVAL. */
static int
next_symbol (ChunkReader *r, guint remaining)
{
  while (r->left == 0)
    if (load_chunk (r, remaining) < 0)
      return -EINVAL;
  r->left--;
  guint i = r->index++;
  if ((r->word & 0x8000) == 0)
    return (r->word >> 13) & 3;
  if ((r->word & 0x4000) == 0)
    return (r->word >> (13 - i)) & 1;
  int symbol = (r->word >> (12 - 2 * i)) & 3;
  return symbol == 3 ? -EINVAL : symbol;
}

int
mcu_rtcp_twcc_decode (const McuRtcpPacket *packet, McuRtcpTwccHeader *header,
                      McuRtcpTwccStatus *out, guint max)
{
  if (packet->len < 20)
    return -EINVAL;
  const guint8 *fci = packet->data + 12;
  gsize len = packet->len - 12;
  guint32 ref = mcu_be24 (fci + 4);

  header->base_seq = mcu_be16 (fci);
  header->status_count = mcu_be16 (fci + 2);
  header->reference_time = (ref & 0x800000) ? (gint32) (ref | 0xFF000000u) : (gint32) ref;
  header->fb_count = fci[7];

  /* First pass: the chunks, to find where the deltas start. */
  ChunkReader chunks = { .buf = fci, .len = len, .pos = 8 };
  guint count = header->status_count;
  for (guint i = 0; i < count; i++)
    if (next_symbol (&chunks, count - i) < 0)
      return -EINVAL;

  /* Second pass: symbols again, with their deltas. */
  gsize delta_pos = chunks.pos;
  gint64 time_us = (gint64) header->reference_time * REF_US;
  ChunkReader again = { .buf = fci, .len = len, .pos = 8 };
  for (guint i = 0; i < count; i++) {
    int symbol = next_symbol (&again, count - i);
    gint64 delta = 0;
    if (symbol == 1) {
      if (delta_pos + 1 > len)
        return -EINVAL;
      delta = fci[delta_pos++];
    } else if (symbol == 2) {
      if (delta_pos + 2 > len)
        return -EINVAL;
      delta = (gint16) mcu_be16 (fci + delta_pos);
      delta_pos += 2;
    }
    time_us += delta * TICK_US;
    if (out != NULL && i < max) {
      out[i].seq = (guint16) (header->base_seq + i);
      out[i].received = symbol != 0;
      out[i].arrival_us = symbol != 0 ? time_us : 0;
    }
  }
  return (int) count;
}

static gint64
floor_div (gint64 a, gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Symbols and deltas for up to @n statuses; returns how many fit the delta ranges. */
static guint
classify (const McuRtcpTwccStatus *st, guint n, gint64 ref, guint8 *symbols, gint16 *deltas)
{
  gint64 prev = ref * (REF_US / TICK_US);

  for (guint i = 0; i < n; i++) {
    symbols[i] = 0;
    deltas[i] = 0;
    if (!st[i].received)
      continue;
    gint64 ticks = floor_div (st[i].arrival_us, TICK_US);
    gint64 delta = ticks - prev;
    if (delta < G_MININT16 || delta > G_MAXINT16)
      return i;
    symbols[i] = delta >= 0 && delta <= 255 ? 1 : 2;
    deltas[i] = (gint16) delta;
    prev = ticks;
  }
  return n;
}

static guint
run_length (const guint8 *symbols, guint from, guint n)
{
  guint run = 1;

  while (from + run < n && symbols[from + run] == symbols[from] && run < 0x1FFF)
    run++;
  return run;
}

/* One chunk for the statuses at @from; returns how many it covers. */
static guint
encode_chunk (const guint8 *symbols, guint from, guint n, guint16 *word)
{
  guint run = run_length (symbols, from, n);
  guint k = MIN (14u, n - from);
  gboolean small = TRUE;

  if (run >= 7) {
    *word = (guint16) ((symbols[from] << 13) | run);
    return run;
  }
  for (guint i = 0; i < k; i++)
    small = small && symbols[from + i] <= 1;
  if (small) {
    *word = 0x8000;
    for (guint i = 0; i < k; i++)
      *word |= (guint16) (symbols[from + i] << (13 - i));
    return k;
  }
  k = MIN (7u, n - from);
  *word = 0xC000;
  for (guint i = 0; i < k; i++)
    *word |= (guint16) (symbols[from + i] << (12 - 2 * i));
  return k;
}

/* Writes chunks and deltas for @n statuses from offset 20; the packet length, or -ENOSPC. */
static int
encode_body (guint8 *buf, gsize size, const guint8 *symbols, const gint16 *deltas, guint n)
{
  gsize pos = 20;
  guint16 word;

  for (guint i = 0; i < n;) {
    if (pos + 2 > size)
      return -ENOSPC;
    i += encode_chunk (symbols, i, n, &word);
    mcu_put_be16 (buf + pos, word);
    pos += 2;
  }
  for (guint i = 0; i < n; i++) {
    gsize need = symbols[i] == 0 ? 0 : symbols[i] == 1 ? 1 : 2;
    if (pos + need > size)
      return -ENOSPC;
    if (need == 1)
      buf[pos] = (guint8) deltas[i];
    else if (need == 2)
      mcu_put_be16 (buf + pos, (guint16) deltas[i]);
    pos += need;
  }
  while ((pos & 3) != 0) {
    if (pos + 1 > size)
      return -ENOSPC;
    buf[pos++] = 0;
  }
  return (int) pos;
}

int
mcu_rtcp_build_twcc (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc,
                     guint8 fb_count, const McuRtcpTwccStatus *statuses, guint n_statuses,
                     guint *n_used)
{
  guint8 symbols[MCU_RTCP_TWCC_MAX_STATUSES];
  gint16 deltas[MCU_RTCP_TWCC_MAX_STATUSES];
  guint first = 0;
  guint n = MIN (n_statuses, (guint) MCU_RTCP_TWCC_MAX_STATUSES);

  while (first < n && !statuses[first].received)
    first++;
  if (first == n)
    return -EINVAL;  /* the reference time comes from a received packet */
  gint64 ref = floor_div (statuses[first].arrival_us, REF_US);
  n = classify (statuses, n, ref, symbols, deltas);

  int len = -ENOSPC;
  while (n > 0 && (len = encode_body (buf, size, symbols, deltas, n)) == -ENOSPC)
    n = n > 1 ? n * 2 / 3 : 0;
  if (len < 0 || n <= first)
    return len < 0 ? len : -ENOSPC;
  mcu_rtcp_write_header (buf, FALSE, 15, MCU_RTCP_RTPFB, (gsize) len);
  mcu_put_be32 (buf + 4, sender_ssrc);
  mcu_put_be32 (buf + 8, media_ssrc);
  mcu_put_be16 (buf + 12, statuses[0].seq);
  mcu_put_be16 (buf + 14, (guint16) n);
  mcu_put_be24 (buf + 16, (guint32) ref & 0xFFFFFF);
  buf[19] = fb_count;
  *n_used = n;
  return len;
}
