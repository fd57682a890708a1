/* SPDX-License-Identifier: MIT */
/*
 * The web pages, served from the GResource built into the binary (so the mcu works from any
 * directory): the operator console at / and the browser join page at /join/{room}, with their
 * scripts and styles under /web/.
 *
 * Threads: control thread.
 */
#pragma once

#include "api/http.h"

G_BEGIN_DECLS

typedef struct _McuServer McuServer;

void mcu_api_static_register (McuHttp *http, McuServer *server);

G_END_DECLS
