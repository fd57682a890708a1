/* SPDX-License-Identifier: MIT */
/*
 * McuRtpHistory: a bounded ring of recently sent RTP packets, keyed by sequence number, that many
 * outgoing streams share. A video tier is encoded and packetized once for all its receivers; its
 * packets are kept here once, and each receiver's McuRtpSession answers that receiver's NACKs from it
 * (see mcu_rtp_session_send_shared) instead of keeping a copy per receiver.
 *
 * Threads: any; put and copy take the history's lock (one packet copy long). Reference counted so a
 * session that still points at a tier's history after the tier went keeps it valid.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _McuRtpHistory McuRtpHistory;

/* (transfer full). @packets is rounded up to a power of two, 32–8192. Allocates all slots now. */
McuRtpHistory *mcu_rtp_history_new (guint packets);
McuRtpHistory *mcu_rtp_history_ref (McuRtpHistory *history);
void mcu_rtp_history_unref (McuRtpHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuRtpHistory, mcu_rtp_history_unref)

/* Keeps a copy of RTP @packet under its own sequence number, replacing the oldest. -EINVAL when it
 * is not RTP, -ENOSPC when longer than MCU_RTP_MAX_PACKET. */
int mcu_rtp_history_put (McuRtpHistory *history, const guint8 *packet, gsize len);
/* Copies the packet with sequence number @seq into @out; its length, or -ENOENT when it is no longer
 * (or never was) kept, -ENOSPC when @size is too small. */
int mcu_rtp_history_copy (McuRtpHistory *history, guint16 seq, guint8 *out, gsize size);
guint mcu_rtp_history_get_capacity (McuRtpHistory *history);

G_END_DECLS
