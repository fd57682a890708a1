/* SPDX-License-Identifier: MIT */
/*
 * Private: big-endian reads and writes for the RTP/RTCP code. Callers check bounds first.
 * Threads: any (pure functions).
 */
#pragma once

#include <glib.h>

static inline guint16
mcu_be16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
mcu_be24 (const guint8 *p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

static inline guint32
mcu_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
mcu_put_be16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
mcu_put_be24 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 16);
  p[1] = (guint8) (v >> 8);
  p[2] = (guint8) v;
}

static inline void
mcu_put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}
