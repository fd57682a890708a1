/* SPDX-License-Identifier: MIT */
/*
 * Joining a Janus AudioBridge room over Janus's HTTP API instead of WHIP, so tools/bench can put the
 * same simulated sites on Janus: create a session, attach janus.plugin.audiobridge, "join" with the
 * offer as JSEP, then long-poll the session until the event with the answer arrives.
 *
 * Threads: the GMainContext of the SoupSession (the loadgen's main thread).
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* @base_url: http://host:port/janus; @room: the numeric AudioBridge room id. */
void loadgen_janus_join (SoupSession *http, const char *base_url, const char *room, const char *display,
                         const char *offer, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data);
/* The answer SDP (transfer full); @session_url (transfer full) is what to destroy on leaving. */
char *loadgen_janus_join_finish (GAsyncResult *result, char **session_url, GError **error);
/* Fire-and-forget: POST {"janus":"destroy"} to @session_url; @callback as soup_session_send_and_read_async. */
void loadgen_janus_leave (SoupSession *http, const char *session_url, GAsyncReadyCallback callback,
                          gpointer user_data);

G_END_DECLS
