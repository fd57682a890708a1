/* SPDX-License-Identifier: MIT */
/*
 * Event stream: a WebSocket per room at /api/rooms/{room}/events (admin token as Bearer or ?token=,
 * since a browser's WebSocket cannot set headers). Each text message is one JSON event:
 *
 *   {"event": "roster", ...}  first, the whole roster (as GET /api/rooms/{room})
 *   joined, left, seat-released, kicked, muted, hand-raised, hand-lowered, floor, pin, layout, locked,
 *   talking, closed — as emitted by the room's seat table (conference/seats.h)
 *   {"event": "stats", "sites": [{"id", "link": {...}}]} every 2 s
 *
 * Threads: control thread.
 */
#pragma once

#include "api/http.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;
typedef struct _McuApiEvents McuApiEvents;

/* (transfer full): registers the route and the WebSocket handler on @http. */
McuApiEvents *mcu_api_events_new (McuHttp *http, McuServer *server);
void mcu_api_events_free (McuApiEvents *events);   /* closes every stream */
guint mcu_api_events_count_clients (McuApiEvents *events);

G_END_DECLS
