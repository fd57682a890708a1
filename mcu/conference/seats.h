/* SPDX-License-Identifier: MIT */
/*
 * McuSeats: the seat table of one room and its rules — who may sit (site tokens, compared in constant
 * time; guests by name), seats held through a drop for a grace period, a locked room, and the
 * moderation state the mixers read (mute, raised hands in order, floor, pin, layout, talking). Every
 * change is announced to watchers as an event (name + JSON object) — the WebSocket stream and the
 * console are built on them.
 *
 * It depends on GLib and json-glib only and takes the time as an argument where time matters, so the
 * rules are tested without a network or a clock (tests/unit/test-room-seats.c).
 *
 * Threads: control thread only. Watchers are called synchronously, on that thread.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "conference/site.h"

G_BEGIN_DECLS

typedef struct _McuSeats McuSeats;

/* @data: the event's fields (transfer none; ref it to keep it). */
typedef void (*McuSeatsEventFunc) (const char *event, JsonObject *data, gpointer user_data);

#define MCU_TOKEN_DIGEST_LEN 32
#define MCU_GUEST_NAME_MAX 64

/* (transfer full). @grace_us: how long a dropped site's seat is held. */
McuSeats *mcu_seats_new (const char *room_id, gboolean guests, guint max_sites, gint64 grace_us);
void mcu_seats_free (McuSeats *seats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSeats, mcu_seats_free)

/* SHA-256 of a token: what the seat table (and the state file) keeps instead of the token. */
void mcu_token_digest (const char *token, guint8 out[MCU_TOKEN_DIGEST_LEN]);

/* A site that joins by token. @api_added: added through the admin API (persisted in the state file).
 * MCU_ROOM_ERROR_EXISTS when the id or the token is already used in this room. */
gboolean mcu_seats_add_token_site (McuSeats *seats, const char *id, const char *name,
                                   const guint8 digest[MCU_TOKEN_DIGEST_LEN], gboolean api_added,
                                   GError **error);
/* The API-added token sites, for the state file: calls @func for each. */
typedef void (*McuSeatsTokenFunc) (McuSite *site, const guint8 digest[MCU_TOKEN_DIGEST_LEN],
                                   gpointer user_data);
void mcu_seats_foreach_api_site (McuSeats *seats, McuSeatsTokenFunc func, gpointer user_data);

McuSite *mcu_seats_lookup (McuSeats *seats, const char *site_id);  /* (transfer none) */
GPtrArray *mcu_seats_list (McuSeats *seats);                       /* (transfer none), seat order */
guint mcu_seats_count_connected (McuSeats *seats);

/* Admission: a token (constant time), else a guest name. A locked room seats only sites that already
 * hold a seat (connected or held): a dropped site always gets back in. A site kicked less than its bar
 * ago is refused (FORBIDDEN). @now_us: monotonic time. (transfer full) */
McuSite *mcu_seats_admit (McuSeats *seats, const char *token, const char *guest_name, gint64 now_us,
                          GError **error);

/* Connection changes (emit "joined" / "left"). @now_us: monotonic time. */
void mcu_seats_connected (McuSeats *seats, McuSite *site, const char *session_id);
void mcu_seats_disconnected (McuSeats *seats, const char *site_id, const char *session_id,
                             const char *reason, gint64 now_us);
/* Releases the held seats whose grace ran out by @now_us: a token site becomes absent (still in the
 * roll-call), a guest's seat goes away. Emits "seat-released". Returns the next deadline, 0 = none. */
gint64 mcu_seats_expire (McuSeats *seats, gint64 now_us);
/* A kicked site loses its hold at once and may not join again before @barred_until_us (monotonic):
 * otherwise its own reconnect logic would bring it straight back. A guest is barred by name. */
void mcu_seats_release (McuSeats *seats, const char *site_id, gint64 barred_until_us);

/* Moderation; FALSE with MCU_ROOM_ERROR_NO_SITE / _INVALID. Each emits its event. */
gboolean mcu_seats_set_muted (McuSeats *seats, const char *site_id, gboolean muted, GError **error);
guint mcu_seats_mute_all (McuSeats *seats);   /* mutes every seat but the floor; returns how many changed */
gboolean mcu_seats_set_hand (McuSeats *seats, const char *site_id, gboolean raised, GError **error);
GPtrArray *mcu_seats_list_hands (McuSeats *seats);   /* (transfer container): raised, oldest first */
gboolean mcu_seats_give_floor (McuSeats *seats, const char *site_id, GError **error);  /* unmutes too */
gboolean mcu_seats_set_pin (McuSeats *seats, const char *site_id, GError **error);     /* NULL unpins */
gboolean mcu_seats_set_layout (McuSeats *seats, const char *layout, GError **error);
void mcu_seats_set_locked (McuSeats *seats, gboolean locked);
void mcu_seats_set_talking (McuSeats *seats, const char *site_id, gboolean talking);

const char *mcu_seats_get_floor (McuSeats *seats);   /* site id or NULL */
const char *mcu_seats_get_pin (McuSeats *seats);     /* site id or NULL */
const char *mcu_seats_get_layout (McuSeats *seats);  /* "auto", "2x2", ... */
gboolean mcu_seats_get_locked (McuSeats *seats);
gboolean mcu_seats_layout_valid (const char *layout);

/* Watchers. Returns an id for mcu_seats_unwatch. */
guint mcu_seats_watch (McuSeats *seats, McuSeatsEventFunc func, gpointer user_data);
void mcu_seats_unwatch (McuSeats *seats, guint id);
void mcu_seats_emit (McuSeats *seats, const char *event, JsonObject *data);  /* @data: transfer full */

/* A seat as the API shows it: (transfer full). */
JsonObject *mcu_seats_site_to_json (McuSeats *seats, McuSite *site);

G_END_DECLS
