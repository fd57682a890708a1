/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics in the Prometheus text format (0.0.4): process uptime, rooms, seats by state, sessions,
 * per-site link counters and gauges labelled {room, site}, and HTTP requests by status. No token: it
 * carries no secret (site ids and link figures only); restrict it at the network if needed.
 *
 * Threads: control thread.
 */
#pragma once

#include "api/http.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;

/* Registers the route and starts counting requests (the counters live on @http's SoupServer). */
void mcu_api_metrics_register (McuHttp *http, McuServer *server);

G_END_DECLS
