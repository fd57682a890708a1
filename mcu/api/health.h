/* SPDX-License-Identifier: MIT */
/* GET /health: liveness for operators, monitoring and tests. Threads: control thread. */
#pragma once

#include "http.h"

typedef struct _McuServer McuServer;

void mcu_api_health_register (McuHttp *http, McuServer *server);
