/* SPDX-License-Identifier: MIT */
/*
 * A timer GSource driven by g_source_set_ready_time: the one kind the media thread's timers use
 * (session RTCP/watchdog timers, the mix's audio tick and wake-up), re-armed by the callback itself.
 * Threads: made and attached by the context's owner; set_ready_time from that thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Attaches to @context a source that calls @func (@data) once its ready time (@ready_time, in
 * g_get_monotonic_time's clock; -1 = never, 0 = at once) has come; @func re-arms it with
 * g_source_set_ready_time or returns G_SOURCE_REMOVE. (transfer full): destroy and unref it. */
GSource *mcu_timer_source_attach (GMainContext *context, gint64 ready_time, gint priority,
                                  GSourceFunc func, gpointer data);

G_END_DECLS
