/* SPDX-License-Identifier: MIT */
/*
 * BridgeWhip: the WHIP client (RFC 9725) the agent joins with, over libsoup-3.
 *
 *   join   POST {server}/whip/{room}[?name=N]   Content-Type: application/sdp, Authorization: Bearer T
 *          → 201 Created, Location: session URL (may be relative), body: the SDP answer
 *   patch  PATCH {session}  Content-Type: application/trickle-ice-sdpfrag (ICE restart / trickle)
 *          → 200 with the server's fragment (new ufrag/pwd, candidates), or 204
 *   leave  DELETE {session}
 * Errors: the server's JSON {"error","detail"} becomes "HTTP 409 room-full: detail" in the GError
 * (BRIDGE_WHIP_ERROR, code = the HTTP status, or 0 for a network failure).
 *
 * The pure helpers (URL building, Location resolution, error text, sdpfrag build/parse) are exposed for
 * the unit tests.
 *
 * Threads: the agent's main loop; callbacks run there.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BRIDGE_WHIP_ERROR (bridge_whip_error_quark ())
GQuark bridge_whip_error_quark (void);

typedef struct _BridgeWhip BridgeWhip;

/* (transfer full). @token or @name may be NULL/empty. Each request has two phases: until it is written
 * (connecting included) it may take @timeout_s ("cannot reach the server"); then its answer may take
 * @answer_timeout_s for a join (the mcu has our offer; its answer is on its way over a long, lossy
 * round trip) and @timeout_s for the others. */
BridgeWhip *bridge_whip_new (const char *server, const char *room, const char *token, const char *name,
                             guint timeout_s, guint answer_timeout_s);
void bridge_whip_free (BridgeWhip *whip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeWhip, bridge_whip_free)

/* The async calls complete with a NULL source object; pass @whip to the _finish functions.
 * POSTs @offer. On success the session URL is remembered (bridge_whip_get_session_url). */
void bridge_whip_join_async (BridgeWhip *whip, const char *offer, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
/* (transfer full): the SDP answer. */
char *bridge_whip_join_finish (BridgeWhip *whip, GAsyncResult *result, GError **error);

/* PATCHes @sdpfrag to the session. */
void bridge_whip_patch_async (BridgeWhip *whip, const char *sdpfrag, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
/* (transfer full): the server's fragment ("" for 204). */
char *bridge_whip_patch_finish (BridgeWhip *whip, GAsyncResult *result, GError **error);

/* DELETEs the session, if any, without waiting for the answer; forgets it. */
void bridge_whip_leave (BridgeWhip *whip);
/* Raises or lowers the site's hand on the mcu (POST /api/rooms/ROOM/hand with the session URL); FALSE
 * when not joined. Fire and forget: the mcu's console shows it, the seat keeps it through a drop. */
gboolean bridge_whip_set_hand (BridgeWhip *whip, gboolean raised);

/* DELETEs still on their way (the agent waits for them, bounded, when it stops). */
guint bridge_whip_get_pending (BridgeWhip *whip);

/* (transfer none) or NULL */
const char *bridge_whip_get_session_url (BridgeWhip *whip);

/* The limit (s) of a request's running phase: a join's answer once it is @written gets
 * @answer_timeout_s, everything else @timeout_s. Pure. */
guint bridge_whip_phase_timeout (gboolean join, gboolean written, guint timeout_s, guint answer_timeout_s);
/* (transfer full) The error text of a phase that ran out after @seconds. */
char *bridge_whip_timeout_text (gboolean written, guint seconds);

/* Pure helpers. All (transfer full). */
char *bridge_whip_join_url (const char *server, const char *room, const char *name);
char *bridge_whip_resolve (const char *base, const char *location);
char *bridge_whip_error_text (guint status, const char *body, gsize len);

typedef struct {
  char *ufrag;
  char *pwd;
  char *mid;
  GPtrArray *candidates; /* char*: "candidate:..." without "a=" */
} BridgeIceFragment;

/* (transfer full): @offer with "a=rtcp-fb:PT goog-remb" added for every VP8 payload type of its video
 * sections that lacks it. Why: webrtcbin 1.22 cannot offer goog-remb (GstSDP's caps→SDP conversion
 * writes only nack, nack pli, ccm fir and transport-cc), and without it the mcu never sends the REMB
 * that says what bitrate the site's tile is worth. webrtcbin still reports every REMB it receives
 * (rtpsession's on-feedback-rtcp), negotiated or not. Text that is not SDP comes back unchanged. */
char *bridge_sdp_add_goog_remb (const char *offer);

void bridge_ice_fragment_clear (BridgeIceFragment *fragment);
char *bridge_ice_fragment_build (const BridgeIceFragment *fragment);
gboolean bridge_ice_fragment_parse (const char *text, BridgeIceFragment *fragment, GError **error);

G_END_DECLS
