/* SPDX-License-Identifier: MIT */
/* Private to the RTCP code: shared between rtcp.c and rtcp-twcc.c. Threads: any. */
#pragma once

#include <glib.h>

/* The 4-byte common header for a sub-packet of @len bytes (a multiple of 4). */
void mcu_rtcp_write_header (guint8 *buf, gboolean padding, guint8 count, guint8 type, gsize len);
