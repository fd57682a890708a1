/* SPDX-License-Identifier: MIT */
/*
 * Layout geometry and seating. A layout is a square grid of cells; each tile covers a rectangle of cells
 * (the main tile of 1+N layouts covers several). Pixel rectangles are rounded to even numbers so that
 * tiles align with I420 chroma; tiles touch (see mcu_video_layout_tile_rect).
 * Seating order: the presenter's content (main tile), the main talker (main tile, or the first free tile),
 * pinned sites, then the other sites in a rotating window. Threads: pure code, called by the video thread.
 */
#define G_LOG_DOMAIN "mcu-video"

#include "video-layout.h"

#include <string.h>

typedef struct {
  guint8 x, y, w, h;
} Cell;

typedef struct {
  const char *name;
  guint grid;
  guint n_tiles;
  const Cell *cells; /* NULL: a plain grid x grid */
} LayoutDesc;

static const Cell cells_1p5[] = {
  { 0, 0, 2, 2 }, { 2, 0, 1, 1 }, { 2, 1, 1, 1 }, { 0, 2, 1, 1 }, { 1, 2, 1, 1 }, { 2, 2, 1, 1 },
};
static const Cell cells_1p7[] = {
  { 0, 0, 3, 3 }, { 3, 0, 1, 1 }, { 3, 1, 1, 1 }, { 3, 2, 1, 1 },
  { 0, 3, 1, 1 }, { 1, 3, 1, 1 }, { 2, 3, 1, 1 }, { 3, 3, 1, 1 },
};
static const Cell cells_1p12[] = {
  { 1, 1, 2, 2 }, { 0, 0, 1, 1 }, { 1, 0, 1, 1 }, { 2, 0, 1, 1 }, { 3, 0, 1, 1 }, { 0, 1, 1, 1 },
  { 3, 1, 1, 1 }, { 0, 2, 1, 1 }, { 3, 2, 1, 1 }, { 0, 3, 1, 1 }, { 1, 3, 1, 1 }, { 2, 3, 1, 1 },
  { 3, 3, 1, 1 },
};

static const LayoutDesc layouts[MCU_VIDEO_LAYOUT_N_KINDS] = {
  [MCU_VIDEO_LAYOUT_AUTO] = { "auto", 1, 1, NULL },
  [MCU_VIDEO_LAYOUT_1X1] = { "1x1", 1, 1, NULL },
  [MCU_VIDEO_LAYOUT_2X2] = { "2x2", 2, 4, NULL },
  [MCU_VIDEO_LAYOUT_3X3] = { "3x3", 3, 9, NULL },
  [MCU_VIDEO_LAYOUT_4X4] = { "4x4", 4, 16, NULL },
  [MCU_VIDEO_LAYOUT_5X5] = { "5x5", 5, 25, NULL },
  [MCU_VIDEO_LAYOUT_1P5] = { "1+5", 3, 6, cells_1p5 },
  [MCU_VIDEO_LAYOUT_1P7] = { "1+7", 4, 8, cells_1p7 },
  [MCU_VIDEO_LAYOUT_1P12] = { "1+12", 4, 13, cells_1p12 },
};

gboolean
mcu_video_layout_parse (const char *name, McuVideoLayoutKind *kind)
{
  for (guint i = 0; name != NULL && i < MCU_VIDEO_LAYOUT_N_KINDS; i++) {
    if (g_ascii_strcasecmp (name, layouts[i].name) == 0) {
      *kind = (McuVideoLayoutKind) i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
mcu_video_layout_name (McuVideoLayoutKind kind)
{
  return kind < MCU_VIDEO_LAYOUT_N_KINDS ? layouts[kind].name : "?";
}

guint
mcu_video_layout_n_tiles (McuVideoLayoutKind kind)
{
  return kind < MCU_VIDEO_LAYOUT_N_KINDS ? layouts[kind].n_tiles : 0;
}

gboolean
mcu_video_layout_has_main (McuVideoLayoutKind kind)
{
  return kind < MCU_VIDEO_LAYOUT_N_KINDS && layouts[kind].cells != NULL;
}

/* Past 25 sites, 1+12 with rotation: the speaker large matters more than seeing a quarter of the room. */
McuVideoLayoutKind
mcu_video_layout_auto (guint n_sites)
{
  static const struct {
    guint max_sites;
    McuVideoLayoutKind kind;
  } table[] = {
    { 1, MCU_VIDEO_LAYOUT_1X1 },  { 4, MCU_VIDEO_LAYOUT_2X2 },   { 6, MCU_VIDEO_LAYOUT_1P5 },
    { 8, MCU_VIDEO_LAYOUT_1P7 },  { 9, MCU_VIDEO_LAYOUT_3X3 },   { 13, MCU_VIDEO_LAYOUT_1P12 },
    { 16, MCU_VIDEO_LAYOUT_4X4 }, { 25, MCU_VIDEO_LAYOUT_5X5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (n_sites <= table[i].max_sites)
      return table[i].kind;
  return MCU_VIDEO_LAYOUT_1P12;
}

static gint
even_floor (gint64 v)
{
  return (gint) (v & ~(gint64) 1);
}

gboolean
mcu_video_layout_tile_rect (McuVideoLayoutKind kind, guint index, gint width, gint height,
                            McuVideoRect *rect)
{
  if (kind == MCU_VIDEO_LAYOUT_AUTO || kind >= MCU_VIDEO_LAYOUT_N_KINDS || index >= layouts[kind].n_tiles)
    return FALSE;
  const LayoutDesc *desc = &layouts[kind];
  guint g = desc->grid;
  Cell c = desc->cells ? desc->cells[index] : (Cell) { index % g, index / g, 1, 1 };
  gint x0 = even_floor ((gint64) width * c.x / g), x1 = even_floor ((gint64) width * (c.x + c.w) / g);
  gint y0 = even_floor ((gint64) height * c.y / g), y1 = even_floor ((gint64) height * (c.y + c.h) / g);
  /* No gap between tiles: 1280x720 in 4x4 gives 320x180 tiles, an exact 2:1 of 640x360 cameras
   * (libyuv's fast path). The compositor draws a thin separator instead. */
  rect->x = x0;
  rect->y = y0;
  rect->width = x1 - x0;
  rect->height = y1 - y0;
  return rect->width > 0 && rect->height > 0;
}

static gboolean
is_seated (const McuVideoSeats *seats, guint site_id)
{
  for (guint i = 0; i < seats->n_tiles; i++)
    if (seats->tiles[i].site_id == site_id && !seats->tiles[i].content)
      return TRUE;
  return FALSE;
}

static gboolean
site_exists (const McuVideoSeating *s, guint site_id)
{
  for (guint i = 0; site_id != 0 && i < s->n_sites; i++)
    if (s->site_ids[i] == site_id)
      return TRUE;
  return FALSE;
}

/* Puts @site_id in the first empty tile at or after @from; FALSE when there is none. */
static gboolean
seat_at (McuVideoSeats *seats, guint from, guint site_id)
{
  for (guint i = from; i < seats->n_tiles; i++) {
    if (seats->tiles[i].site_id == 0) {
      seats->tiles[i].site_id = site_id;
      return TRUE;
    }
  }
  return FALSE;
}

static guint
count_empty (const McuVideoSeats *seats)
{
  guint n = 0;

  for (guint i = 0; i < seats->n_tiles; i++)
    n += seats->tiles[i].site_id == 0;
  return n;
}

/* The @k-th site (join order) that no tile holds yet. */
static guint
nth_unseated (const McuVideoSeating *s, const McuVideoSeats *seated, guint k)
{
  for (guint i = 0; i < s->n_sites; i++)
    if (s->site_ids[i] != 0 && !is_seated (seated, s->site_ids[i]) && k-- == 0)
      return s->site_ids[i];
  return 0;
}

/* The sites that are neither presenter-content, talker nor pinned share the remaining tiles in turn. */
static void
seat_rotating (const McuVideoSeating *s, McuVideoSeats *seats)
{
  McuVideoSeats fixed = *seats;
  guint n = 0;

  for (guint i = 0; i < s->n_sites; i++)
    n += s->site_ids[i] != 0 && !is_seated (&fixed, s->site_ids[i]);
  seats->n_rotating = n;
  seats->n_rotating_tiles = count_empty (seats);
  for (guint k = 0; k < n && k < seats->n_rotating_tiles; k++)
    seat_at (seats, 0, nth_unseated (s, &fixed, (s->rotation + k) % n));
}

void
mcu_video_layout_seat (const McuVideoSeating *s, McuVideoSeats *seats)
{
  memset (seats, 0, sizeof *seats);
  gboolean presenting = site_exists (s, s->presenter);
  McuVideoLayoutKind kind = presenting ? MCU_VIDEO_LAYOUT_1P7 : s->kind;

  if (kind == MCU_VIDEO_LAYOUT_AUTO || kind >= MCU_VIDEO_LAYOUT_N_KINDS)
    kind = mcu_video_layout_auto (s->n_sites);
  seats->kind = kind;
  seats->n_tiles = layouts[kind].n_tiles;
  if (presenting) {
    seats->tiles[0].site_id = s->presenter;
    seats->tiles[0].content = TRUE;
  }
  guint talker = site_exists (s, s->main_talker) ? s->main_talker : 0;
  if (talker != 0)
    seat_at (seats, 0, talker);
  for (guint i = 0; i < s->n_pins; i++)
    if (site_exists (s, s->pins[i]) && !is_seated (seats, s->pins[i]))
      seat_at (seats, 0, s->pins[i]);
  seat_rotating (s, seats);
}

gboolean
mcu_video_talker_request (McuVideoTalker *talker, guint site_id, gint64 now_us, gint64 hold_us)
{
  if (site_id == talker->current) {
    talker->pending = site_id;
    return FALSE;
  }
  talker->pending = site_id;
  if (site_id == 0)
    return FALSE; /* silence keeps the last talker on the main tile */
  return mcu_video_talker_tick (talker, now_us, hold_us);
}

gboolean
mcu_video_talker_tick (McuVideoTalker *talker, gint64 now_us, gint64 hold_us)
{
  if (talker->pending == 0 || talker->pending == talker->current)
    return FALSE;
  if (talker->current != 0 && now_us - talker->since_us < hold_us)
    return FALSE;
  talker->current = talker->pending;
  talker->since_us = now_us;
  return TRUE;
}
