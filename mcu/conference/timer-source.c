/* SPDX-License-Identifier: MIT */
/*
 * A timer GSource driven by its ready time (see timer-source.h). Cheaper than g_timeout_source for
 * timers that move every time they fire: re-arming is one g_source_set_ready_time, no new source.
 * Threads: the context owner's.
 */
#include "timer-source.h"

static gboolean
dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

/* Never written: g_source_new takes a non-const pointer and keeps it for the source's life. */
static GSourceFuncs ready_time_funcs = { .dispatch = dispatch };

GSource *
mcu_timer_source_attach (GMainContext *context, gint64 ready_time, gint priority, GSourceFunc func,
                         gpointer data)
{
  GSource *source = g_source_new (&ready_time_funcs, sizeof (GSource));

  g_source_set_callback (source, func, data, NULL);
  g_source_set_priority (source, priority);
  g_source_set_ready_time (source, ready_time);
  g_source_attach (source, context);
  return source;
}
