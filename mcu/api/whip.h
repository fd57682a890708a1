/* SPDX-License-Identifier: MIT */
/*
 * WHIP signalling (RFC 9725): POST /whip/{room} (join with an SDP offer), PATCH /whip/{room}/{session}
 * (trickle ICE, ICE restart), DELETE /whip/{room}/{session} (leave), with CORS for browser clients on
 * other origins. Threads: control thread.
 */
#pragma once

#include "http.h"

typedef struct _McuServer McuServer;

void mcu_api_whip_register (McuHttp *http, McuServer *server);
