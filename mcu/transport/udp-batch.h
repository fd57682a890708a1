/* SPDX-License-Identifier: MIT */
/*
 * McuUdpBatch: sends a peer's SRTP packets straight on the selected ICE pair's UDP socket, one
 * packet at a time or many in one system call (sendmmsg, with UDP segmentation offload for runs of
 * equal-sized packets such as a video frame's). See udp-batch.c. Threads: the owner's only.
 */
#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

#define MCU_UDP_BATCH_MAX_PACKETS 64      /* the kernel's limit on segments in one GSO send */
#define MCU_UDP_BATCH_MAX_BYTES   60000   /* under the 64 KiB of one UDP send */

typedef struct _McuUdpBatch McuUdpBatch;

typedef struct {
  guint64 syscalls;        /* sendmsg/sendmmsg calls made */
  guint64 packets;         /* packets the kernel took */
  guint64 failures;        /* packets the kernel refused (buffer full, unreachable ...) */
  gboolean gso;            /* segmentation offload in use (off after the kernel refused it) */
} McuUdpBatchStats;

/* (transfer full) */
McuUdpBatch *mcu_udp_batch_new (void);
void mcu_udp_batch_free (McuUdpBatch *batch);

/* Where packets go: @fd (not owned; the ICE agent's socket) and @addr. @fd < 0 clears the target;
 * queued packets are dropped. */
void mcu_udp_batch_set_target (McuUdpBatch *batch, int fd, const struct sockaddr *addr,
                               socklen_t addr_len);
gboolean mcu_udp_batch_has_target (const McuUdpBatch *batch);

/* Between begin and flush, mcu_udp_batch_send queues instead of sending. */
void mcu_udp_batch_begin (McuUdpBatch *batch);
gboolean mcu_udp_batch_is_open (const McuUdpBatch *batch);

/* Sends (or queues, in a batch) one datagram. Returns @len, or a negative errno (-ENOTCONN without
 * a target, -EMSGSIZE, or the socket's error). A full batch is flushed first. */
int mcu_udp_batch_send (McuUdpBatch *batch, const guint8 *data, gsize len);

/* Sends what is queued and ends the batch. Returns the packets the kernel refused (0: all went). */
guint mcu_udp_batch_flush (McuUdpBatch *batch);

void mcu_udp_batch_get_stats (const McuUdpBatch *batch, McuUdpBatchStats *stats);

G_END_DECLS
