/* SPDX-License-Identifier: MIT */
/*
 * Admin API (Bearer admin token, [server] admin-token): rooms, roster with link figures, moderation;
 * and the one call a joined site makes itself: raising its hand, authenticated by its session id.
 *
 *   GET    /api/rooms                         rooms
 *   POST   /api/rooms                         create {"id", "title", "mode", "guests", "max_sites", "layout"}
 *   GET    /api/rooms/{room}                  roster: seats with state, moderation and link figures
 *   DELETE /api/rooms/{room}                  delete (API-created rooms only: 409 for config rooms)
 *   POST   /api/rooms/{room}/sites            add a token site {"id", "name", "token"?} → 201 + token
 *   POST   /api/rooms/{room}/mute-all | lock | unlock | layout {"layout": "2x2"}
 *   POST   /api/rooms/{room}/hand             {"session": URL or id, "raised": bool} (no admin token)
 *   POST   /api/rooms/{room}/sites/{site}/mute | unmute | pin | unpin | floor | lower-hand | kick
 *
 * Errors: 401 no token, 403 wrong token (or admin API disabled), 404 unknown room/site/session, 405
 * wrong method, 400 bad JSON or value, 409 id in use, 413 body over 16 KiB; all with the JSON error body.
 *
 * Threads: control thread.
 */
#pragma once

#include "api/http.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;

void mcu_api_admin_register (McuHttp *http, McuServer *server);

/* TRUE when @msg carries the admin token (Authorization: Bearer, or ?token= when @allow_query, for
 * WebSockets from a browser). Otherwise replies 401/403 with the JSON error and returns FALSE. */
gboolean mcu_api_check_admin (McuServer *server, SoupServerMessage *msg, gboolean allow_query);

/* The roster document of GET /api/rooms/{room} (transfer full); refreshes the link figures first. */
typedef struct _McuRoom McuRoom;
JsonObject *mcu_api_room_roster (McuRoom *room);

/* Replies with the status and error name of an McuRoomError (or 400 for any other domain). */
void mcu_api_reply_error (SoupServerMessage *msg, const GError *error);

G_END_DECLS
