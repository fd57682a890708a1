/* SPDX-License-Identifier: MIT */
/*
 * Echo rooms: each site receives its own audio and video back through the whole transport path
 * (ICE, DTLS-SRTP, RTP with NACK/RTX, RTCP). A site joins one before a meeting to check its camera,
 * microphone and link. Threads: the handlers run on the room's media thread.
 */
#pragma once

#include "conference/session.h"

const McuSessionMedia *mcu_echo_media (void);
