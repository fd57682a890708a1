/* SPDX-License-Identifier: MIT */
/*
 * Meeting report (admin token): the attendance record and the per-site link history of a room.
 *
 *   GET /api/rooms/{room}/report.csv     text/csv: an "attendance" section (a row per site that came),
 *                                        a blank line, then the "link history" section (a row per
 *                                        site per second: RTT, loss each way, bitrate each way, tier,
 *                                        connected, stalled, outages so far)
 *
 * The history is sampled once a second on the control thread from the roster's link refresh
 * (mcu_room_refresh_links), for every room, whether or not anyone is watching; a room's history is
 * forgotten when the room is deleted. Per site at most [server] link-history-seconds samples are kept
 * (default three hours); older ones are overwritten.
 *
 * Threads: control thread.
 */
#pragma once

#include "api/http.h"
#include "conference/link-history.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;
typedef struct _McuRoom McuRoom;


/* Adds the route and starts the one-second sampler. The report state lives as long as @http's
 * SoupServer (it is attached to it and freed with it). */
void mcu_api_report_register (McuHttp *http, McuServer *server);

/* The whole CSV document for @room from @history (NULL: attendance only). (transfer full) */
GString *mcu_api_report_csv (McuRoom *room, McuLinkHistory *history);

G_END_DECLS
