/* SPDX-License-Identifier: MIT */
/*
 * McuRtpHistory (see rtp-history.h): slot = sequence number modulo the capacity; a slot whose stored
 * sequence number differs from the one asked for has been overwritten (or never filled).
 *
 * Threads: the tier's packets are put on the room's media thread; NACKs are answered on whichever
 * thread runs the receiver's session. The lock is held for one memcpy.
 */
#define G_LOG_DOMAIN "mcu-rtp"

#include "rtp-history.h"

#include <errno.h>
#include <string.h>

#include "rtp.h"

typedef struct {
  guint16 seq;
  guint16 len;   /* 0 = empty */
  guint8 data[MCU_RTP_MAX_PACKET];
} Slot;

struct _McuRtpHistory {
  gint refs;
  GMutex lock;
  guint mask;
  Slot *slots;
};

McuRtpHistory *
mcu_rtp_history_new (guint packets)
{
  McuRtpHistory *history = g_new0 (McuRtpHistory, 1);
  guint n = 32;

  while (n < packets && n < 8192)
    n <<= 1;
  history->refs = 1;
  g_mutex_init (&history->lock);
  history->mask = n - 1;
  history->slots = g_new0 (Slot, n);
  return history;
}

McuRtpHistory *
mcu_rtp_history_ref (McuRtpHistory *history)
{
  g_atomic_int_inc (&history->refs);
  return history;
}

void
mcu_rtp_history_unref (McuRtpHistory *history)
{
  if (history == NULL || !g_atomic_int_dec_and_test (&history->refs))
    return;
  g_mutex_clear (&history->lock);
  g_free (history->slots);
  g_free (history);
}

int
mcu_rtp_history_put (McuRtpHistory *history, const guint8 *packet, gsize len)
{
  McuRtpHeader h;

  if (len > MCU_RTP_MAX_PACKET)
    return -ENOSPC;
  if (mcu_rtp_parse (packet, len, &h) < 0)
    return -EINVAL;
  g_mutex_lock (&history->lock);
  Slot *slot = &history->slots[h.seq & history->mask];
  slot->seq = h.seq;
  slot->len = (guint16) len;
  memcpy (slot->data, packet, len);
  g_mutex_unlock (&history->lock);
  return 0;
}

int
mcu_rtp_history_copy (McuRtpHistory *history, guint16 seq, guint8 *out, gsize size)
{
  int r;

  g_mutex_lock (&history->lock);
  Slot *slot = &history->slots[seq & history->mask];
  if (slot->len == 0 || slot->seq != seq) {
    r = -ENOENT;
  } else if (slot->len > size) {
    r = -ENOSPC;
  } else {
    memcpy (out, slot->data, slot->len);
    r = slot->len;
  }
  g_mutex_unlock (&history->lock);
  return r;
}

guint
mcu_rtp_history_get_capacity (McuRtpHistory *history)
{
  return history->mask + 1;
}
