/* SPDX-License-Identifier: MIT */
/*
 * Video layouts: tile geometry of each layout, the automatic choice by site count, and seating (which
 * site sits in which tile: main talker, pinned sites, presenter's content, rotation through the rest).
 * Pure functions and plain structs: no threads of their own; the mixer calls them on its video thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MCU_VIDEO_LAYOUT_AUTO = 0,
  MCU_VIDEO_LAYOUT_1X1,
  MCU_VIDEO_LAYOUT_2X2,
  MCU_VIDEO_LAYOUT_3X3,
  MCU_VIDEO_LAYOUT_4X4,
  MCU_VIDEO_LAYOUT_5X5,
  MCU_VIDEO_LAYOUT_1P5,  /* one large tile and 5 small ones */
  MCU_VIDEO_LAYOUT_1P7,
  MCU_VIDEO_LAYOUT_1P12,
  MCU_VIDEO_LAYOUT_N_KINDS,
} McuVideoLayoutKind;

#define MCU_VIDEO_MAX_TILES 25
#define MCU_VIDEO_MAX_PINS 8

typedef struct {
  gint x, y, width, height; /* pixels; even, so I420 chroma planes line up */
} McuVideoRect;

typedef struct {
  guint site_id;    /* 0: empty tile */
  gboolean content; /* shows the site's content stream (presentation) rather than its camera */
} McuVideoTile;

/* Input of mcu_video_layout_seat. */
typedef struct {
  McuVideoLayoutKind kind;   /* AUTO picks by site count */
  const guint *site_ids;     /* every site, in join order */
  guint n_sites;
  guint main_talker;         /* 0: none */
  const guint *pins;         /* pinned sites, in pin order */
  guint n_pins;
  guint presenter;           /* site whose content is shown, 0: none */
  guint rotation;            /* offset into the sites that are neither talker nor pinned */
} McuVideoSeating;

/* Output of mcu_video_layout_seat. */
typedef struct {
  McuVideoLayoutKind kind;   /* never AUTO */
  guint n_tiles;
  McuVideoTile tiles[MCU_VIDEO_MAX_TILES];
  guint n_rotating;          /* sites competing for the rotating tiles */
  guint n_rotating_tiles;    /* tiles left for them */
} McuVideoSeats;

/* Parses "auto", "1x1" ... "5x5", "1+5", "1+7", "1+12"; FALSE for anything else. Any thread. */
gboolean mcu_video_layout_parse (const char *name, McuVideoLayoutKind *kind);
/* (transfer none) The name mcu_video_layout_parse accepts. */
const char *mcu_video_layout_name (McuVideoLayoutKind kind);
guint mcu_video_layout_n_tiles (McuVideoLayoutKind kind);
/* TRUE for layouts whose tile 0 is larger than the others (the talker's or the content's). */
gboolean mcu_video_layout_has_main (McuVideoLayoutKind kind);
/* The layout AUTO stands for with @n_sites sites. */
McuVideoLayoutKind mcu_video_layout_auto (guint n_sites);
/* The pixel rectangle of tile @index on a @width x @height canvas; FALSE when @index is out of range. */
gboolean mcu_video_layout_tile_rect (McuVideoLayoutKind kind, guint index, gint width, gint height,
                                     McuVideoRect *rect);
/* Seats the sites into the tiles. With a presenter, the layout is the presentation one (1+7, content
 * in tile 0) whatever @seating->kind says. */
void mcu_video_layout_seat (const McuVideoSeating *seating, McuVideoSeats *seats);

/* The voice-activated main tile with a hold time: the main talker changes at most once per @hold_us. */
typedef struct {
  guint current;
  guint pending;
  gint64 since_us; /* when current took the tile */
} McuVideoTalker;

/* Asks for @site_id (0: nobody) as main talker at @now_us. Returns TRUE when the main talker changed. */
gboolean mcu_video_talker_request (McuVideoTalker *talker, guint site_id, gint64 now_us, gint64 hold_us);
/* Applies a pending request whose hold expired. Returns TRUE when the main talker changed. */
gboolean mcu_video_talker_tick (McuVideoTalker *talker, gint64 now_us, gint64 hold_us);

G_END_DECLS
