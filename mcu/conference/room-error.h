/* SPDX-License-Identifier: MIT */
/* Errors of rooms and sessions, mapped to HTTP statuses by the API. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_ROOM_ERROR (mcu_room_error_quark ())
GQuark mcu_room_error_quark (void);

typedef enum {
  MCU_ROOM_ERROR_UNAUTHORIZED,  /* 401: no token and the room takes no guests */
  MCU_ROOM_ERROR_FORBIDDEN,     /* 403: a token that is not valid here */
  MCU_ROOM_ERROR_BAD_NAME,      /* 400: guest name missing or too long */
  MCU_ROOM_ERROR_FULL,          /* 503: max-sites reached */
  MCU_ROOM_ERROR_NO_SESSION,    /* 404: unknown session */
  MCU_ROOM_ERROR_MEDIA,         /* 500: the transport could not be set up */
  MCU_ROOM_ERROR_TIMEOUT,       /* 504: the transport did not answer in time */
  MCU_ROOM_ERROR_LOCKED,        /* 423: the room is locked to new sites */
  MCU_ROOM_ERROR_NO_SITE,       /* 404: unknown site */
  MCU_ROOM_ERROR_INVALID,       /* 400: a value out of range (layout name, ...) */
  MCU_ROOM_ERROR_EXISTS,        /* 409: a room or site id (or token) already in use */
} McuRoomError;

G_END_DECLS
