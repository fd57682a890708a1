/* SPDX-License-Identifier: MIT */
/*
 * The seat table of a room: admission, grace holding, moderation state, events.
 *
 * Why a table of its own: the rules here (a dropped site keeps its seat, a locked room still lets a
 * dropped site back, the floor unmutes, hands keep their order) are what operators rely on in a
 * meeting, so they are kept apart from the media and driven by an explicit clock in the unit tests.
 *
 * Threads: control thread only; watchers are called synchronously on it.
 */
#define G_LOG_DOMAIN "mcu-seats"

#include "seats.h"

#include <string.h>

#include "conference/room-error.h"

typedef struct {
  char *site_id;
  guint8 digest[MCU_TOKEN_DIGEST_LEN];
  gboolean api_added;
} TokenEntry;

typedef struct {
  guint id;
  McuSeatsEventFunc func;
  gpointer user_data;
} Watcher;

struct _McuSeats {
  char *room_id;
  gboolean guests;
  guint max_sites;
  gint64 grace_us;

  GArray *tokens;        /* TokenEntry */
  GHashTable *seats;     /* site id → McuSite (owned) */
  GPtrArray *order;      /* McuSite, seat order (for the roll-call) */
  guint next_guest;
  guint64 next_hand;

  char *floor;
  char *pin;
  char *layout;
  gboolean locked;

  GHashTable *barred;    /* site id or "guest:" + name → monotonic µs until which it is refused */
  GArray *watchers;      /* Watcher */
  guint next_watcher;
};

static const char *const layouts[] = { "auto", "1x1", "2x2", "3x3", "4x4", "5x5", "1+5", "1+7", "1+12", NULL };

static void
token_entry_clear (gpointer data)
{
  TokenEntry *entry = data;

  g_free (entry->site_id);
  memset (entry->digest, 0, sizeof entry->digest);
}

McuSeats *
mcu_seats_new (const char *room_id, gboolean guests, guint max_sites, gint64 grace_us)
{
  McuSeats *seats = g_new0 (McuSeats, 1);

  seats->room_id = g_strdup (room_id);
  seats->guests = guests;
  seats->max_sites = max_sites;
  seats->grace_us = grace_us;
  seats->tokens = g_array_new (FALSE, TRUE, sizeof (TokenEntry));
  g_array_set_clear_func (seats->tokens, token_entry_clear);
  seats->seats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) mcu_site_unref);
  seats->order = g_ptr_array_new ();
  seats->layout = g_strdup ("auto");
  seats->watchers = g_array_new (FALSE, TRUE, sizeof (Watcher));
  seats->barred = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return seats;
}

void
mcu_seats_free (McuSeats *seats)
{
  g_ptr_array_unref (seats->order);
  g_hash_table_unref (seats->seats);
  g_array_unref (seats->tokens);
  g_array_unref (seats->watchers);
  g_hash_table_unref (seats->barred);
  g_free (seats->floor);
  g_free (seats->pin);
  g_free (seats->layout);
  g_free (seats->room_id);
  g_free (seats);
}

void
mcu_token_digest (const char *token, guint8 out[MCU_TOKEN_DIGEST_LEN])
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = MCU_TOKEN_DIGEST_LEN;

  g_checksum_update (sum, (const guchar *) token, strlen (token));
  g_checksum_get_digest (sum, out, &len);
}

/* Equal digests, in time independent of where they differ. */
static gboolean
digest_equal (const guint8 *a, const guint8 *b)
{
  guint8 diff = 0;

  for (guint i = 0; i < MCU_TOKEN_DIGEST_LEN; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

/* The entry of @digest, comparing against every entry so the time does not tell which one matched. */
static TokenEntry *
find_token (McuSeats *seats, const guint8 *digest)
{
  TokenEntry *match = NULL;

  for (guint i = 0; i < seats->tokens->len; i++) {
    TokenEntry *entry = &g_array_index (seats->tokens, TokenEntry, i);
    if (digest_equal (entry->digest, digest))
      match = entry;
  }
  return match;
}

static void
add_seat (McuSeats *seats, McuSite *site)
{
  g_hash_table_insert (seats->seats, g_strdup (mcu_site_get_id (site)), site);
  g_ptr_array_add (seats->order, site);
}

gboolean
mcu_seats_add_token_site (McuSeats *seats, const char *id, const char *name,
                          const guint8 digest[MCU_TOKEN_DIGEST_LEN], gboolean api_added, GError **error)
{
  if (g_hash_table_contains (seats->seats, id)) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS, "room '%s' already has a site '%s'",
                 seats->room_id, id);
    return FALSE;
  }
  if (find_token (seats, digest) != NULL) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS,
                 "another site of room '%s' already uses that token", seats->room_id);
    return FALSE;
  }
  TokenEntry entry = { .site_id = g_strdup (id), .api_added = api_added };
  memcpy (entry.digest, digest, MCU_TOKEN_DIGEST_LEN);
  g_array_append_val (seats->tokens, entry);
  add_seat (seats, mcu_site_new (id, name && *name ? name : id, TRUE));
  return TRUE;
}

void
mcu_seats_foreach_api_site (McuSeats *seats, McuSeatsTokenFunc func, gpointer user_data)
{
  for (guint i = 0; i < seats->tokens->len; i++) {
    TokenEntry *entry = &g_array_index (seats->tokens, TokenEntry, i);
    McuSite *site = g_hash_table_lookup (seats->seats, entry->site_id);
    if (entry->api_added && site != NULL)
      func (site, entry->digest, user_data);
  }
}

McuSite *
mcu_seats_lookup (McuSeats *seats, const char *site_id)
{
  return site_id ? g_hash_table_lookup (seats->seats, site_id) : NULL;
}

GPtrArray *
mcu_seats_list (McuSeats *seats)
{
  return seats->order;
}

guint
mcu_seats_count_connected (McuSeats *seats)
{
  guint n = 0;

  for (guint i = 0; i < seats->order->len; i++)
    n += mcu_site_is_connected (g_ptr_array_index (seats->order, i));
  return n;
}

/* ---- admission ------------------------------------------------------------------------------------ */

static gboolean
has_seat (McuSite *site)
{
  return mcu_site_get_state (site) != MCU_SITE_ABSENT;
}

static McuSite *
guest_seat (McuSeats *seats, const char *name, GError **error)
{
  if (!seats->guests) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_UNAUTHORIZED,
                 "room '%s' needs a site token (Authorization: Bearer ...)", seats->room_id);
    return NULL;
  }
  if (name == NULL || *name == '\0' || strlen (name) > MCU_GUEST_NAME_MAX ||
      !g_utf8_validate (name, -1, NULL)) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_BAD_NAME,
                 "a guest joins with ?name= (1 to %d characters)", MCU_GUEST_NAME_MAX);
    return NULL;
  }
  /* A guest who drops and comes back under the same name inside the grace period takes the seat back. */
  for (guint i = 0; i < seats->order->len; i++) {
    McuSite *site = g_ptr_array_index (seats->order, i);
    if (mcu_site_is_guest (site) && mcu_site_get_state (site) == MCU_SITE_HELD &&
        g_str_equal (mcu_site_get_name (site), name))
      return site;
  }
  if (seats->locked) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_LOCKED, "room '%s' is locked", seats->room_id);
    return NULL;
  }
  g_autofree char *id = g_strdup_printf ("guest-%u", ++seats->next_guest);
  McuSite *site = mcu_site_new (id, name, FALSE);
  add_seat (seats, site);
  return site;
}

static McuSite *
token_seat (McuSeats *seats, const char *token, GError **error)
{
  guint8 digest[MCU_TOKEN_DIGEST_LEN];

  mcu_token_digest (token, digest);
  TokenEntry *entry = find_token (seats, digest);
  McuSite *site = entry ? g_hash_table_lookup (seats->seats, entry->site_id) : NULL;
  if (site == NULL) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FORBIDDEN, "the token is not valid for room '%s'",
                 seats->room_id);
    return NULL;
  }
  if (seats->locked && !has_seat (site)) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_LOCKED, "room '%s' is locked", seats->room_id);
    return NULL;
  }
  return site;
}

static char *
bar_key (McuSite *site)
{
  return mcu_site_is_guest (site) ? g_strconcat ("guest:", mcu_site_get_name (site), NULL)
                                  : g_strdup (mcu_site_get_id (site));
}

static gboolean
is_barred (McuSeats *seats, const char *key, gint64 now_us)
{
  gint64 *until = g_hash_table_lookup (seats->barred, key);

  if (until != NULL && *until <= now_us)
    g_hash_table_remove (seats->barred, key);
  else if (until != NULL)
    return TRUE;
  return FALSE;
}

McuSite *
mcu_seats_admit (McuSeats *seats, const char *token, const char *guest_name, gint64 now_us, GError **error)
{
  McuSite *site;
  gboolean guest = token == NULL || *token == '\0';

  if (guest && guest_name != NULL) {
    g_autofree char *key = g_strconcat ("guest:", guest_name, NULL);
    if (is_barred (seats, key, now_us)) {
      g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FORBIDDEN,
                   "'%s' was removed from room '%s' by the operator; try again later", guest_name, seats->room_id);
      return NULL;
    }
  }
  site = guest ? guest_seat (seats, guest_name, error) : token_seat (seats, token, error);
  if (site == NULL)
    return NULL;
  if (!guest && is_barred (seats, mcu_site_get_id (site), now_us)) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FORBIDDEN,
                 "site '%s' was removed from room '%s' by the operator; try again later", mcu_site_get_id (site),
                 seats->room_id);
    return NULL;
  }
  if (!mcu_site_is_connected (site) && mcu_seats_count_connected (seats) >= seats->max_sites) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FULL, "room '%s' is full (%u sites)", seats->room_id,
                 seats->max_sites);
    return NULL;
  }
  return mcu_site_ref (site);
}

/* ---- connection changes --------------------------------------------------------------------------- */

static JsonObject *
site_event (McuSeats *seats, McuSite *site)
{
  JsonObject *data = json_object_new ();

  json_object_set_object_member (data, "site", mcu_seats_site_to_json (seats, site));
  return data;
}

void
mcu_seats_connected (McuSeats *seats, McuSite *site, const char *session_id)
{
  gboolean back = mcu_site_get_state (site) == MCU_SITE_HELD;

  mcu_site_set_connected (site, session_id);
  JsonObject *data = site_event (seats, site);
  json_object_set_boolean_member (data, "seat_kept", back);
  mcu_seats_emit (seats, "joined", data);
}

void
mcu_seats_disconnected (McuSeats *seats, const char *site_id, const char *session_id, const char *reason,
                        gint64 now_us)
{
  McuSite *site = mcu_seats_lookup (seats, site_id);

  if (site == NULL || g_strcmp0 (mcu_site_get_session_id (site), session_id) != 0)
    return;
  mcu_site_set_disconnected (site, session_id);
  mcu_site_hold (site, now_us + seats->grace_us);
  JsonObject *data = site_event (seats, site);
  json_object_set_string_member (data, "reason", reason ? reason : "");
  json_object_set_int_member (data, "grace_s", seats->grace_us / G_USEC_PER_SEC);
  mcu_seats_emit (seats, "left", data);
}

static void
release_seat (McuSeats *seats, McuSite *site)
{
  mcu_site_ref (site);   /* a guest's seat is dropped from the table below; the event still shows it */
  mcu_site_hold (site, 0);
  mcu_site_set_hand (site, 0, 0);
  if (g_strcmp0 (seats->floor, mcu_site_get_id (site)) == 0)
    g_clear_pointer (&seats->floor, g_free);
  if (g_strcmp0 (seats->pin, mcu_site_get_id (site)) == 0)
    g_clear_pointer (&seats->pin, g_free);
  JsonObject *data = site_event (seats, site);
  if (mcu_site_is_guest (site)) {
    g_ptr_array_remove (seats->order, site);
    g_hash_table_remove (seats->seats, mcu_site_get_id (site));
    json_object_set_boolean_member (data, "removed", TRUE);
  }
  mcu_seats_emit (seats, "seat-released", data);
  mcu_site_unref (site);
}

gint64
mcu_seats_expire (McuSeats *seats, gint64 now_us)
{
  gint64 next = 0;

  for (guint i = seats->order->len; i-- > 0;) {
    McuSite *site = g_ptr_array_index (seats->order, i);
    gint64 deadline = mcu_site_get_hold_deadline (site);
    if (mcu_site_get_state (site) != MCU_SITE_HELD)
      continue;
    if (deadline <= now_us)
      release_seat (seats, site);
    else if (next == 0 || deadline < next)
      next = deadline;
  }
  return next;
}

void
mcu_seats_release (McuSeats *seats, const char *site_id, gint64 barred_until_us)
{
  McuSite *site = mcu_seats_lookup (seats, site_id);

  if (site == NULL)
    return;
  if (barred_until_us > 0)
    g_hash_table_replace (seats->barred, bar_key (site), g_memdup2 (&barred_until_us, sizeof barred_until_us));
  if (mcu_site_get_state (site) == MCU_SITE_HELD)
    release_seat (seats, site);
}

/* ---- moderation ----------------------------------------------------------------------------------- */

static McuSite *
find_site (McuSeats *seats, const char *site_id, GError **error)
{
  McuSite *site = mcu_seats_lookup (seats, site_id);

  if (site == NULL)
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NO_SITE, "room '%s' has no site '%s'", seats->room_id,
                 site_id ? site_id : "");
  return site;
}

static void
emit_muted (McuSeats *seats, McuSite *site)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "site_id", mcu_site_get_id (site));
  json_object_set_boolean_member (data, "muted", mcu_site_get_muted (site));
  mcu_seats_emit (seats, "muted", data);
}

gboolean
mcu_seats_set_muted (McuSeats *seats, const char *site_id, gboolean muted, GError **error)
{
  McuSite *site = find_site (seats, site_id, error);

  if (site == NULL)
    return FALSE;
  mcu_site_set_muted (site, muted);
  emit_muted (seats, site);
  return TRUE;
}

guint
mcu_seats_mute_all (McuSeats *seats)
{
  guint n = 0;

  for (guint i = 0; i < seats->order->len; i++) {
    McuSite *site = g_ptr_array_index (seats->order, i);
    if (mcu_site_get_muted (site) || g_strcmp0 (seats->floor, mcu_site_get_id (site)) == 0)
      continue;
    mcu_site_set_muted (site, TRUE);
    emit_muted (seats, site);
    n++;
  }
  return n;
}

static gint
compare_hands (gconstpointer a, gconstpointer b)
{
  guint64 x = mcu_site_get_hand_order (*(McuSite **) a), y = mcu_site_get_hand_order (*(McuSite **) b);

  return x < y ? -1 : x > y;
}

GPtrArray *
mcu_seats_list_hands (McuSeats *seats)
{
  GPtrArray *hands = g_ptr_array_new ();

  for (guint i = 0; i < seats->order->len; i++) {
    McuSite *site = g_ptr_array_index (seats->order, i);
    if (mcu_site_get_hand_raised (site) != 0)
      g_ptr_array_add (hands, site);
  }
  g_ptr_array_sort (hands, compare_hands);
  return hands;
}

static JsonArray *
hands_json (McuSeats *seats)
{
  g_autoptr (GPtrArray) hands = mcu_seats_list_hands (seats);
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < hands->len; i++)
    json_array_add_string_element (array, mcu_site_get_id (g_ptr_array_index (hands, i)));
  return array;
}

gboolean
mcu_seats_set_hand (McuSeats *seats, const char *site_id, gboolean raised, GError **error)
{
  McuSite *site = find_site (seats, site_id, error);

  if (site == NULL)
    return FALSE;
  if (raised && mcu_site_get_hand_raised (site) == 0)
    mcu_site_set_hand (site, g_get_real_time (), ++seats->next_hand);
  else if (!raised)
    mcu_site_set_hand (site, 0, 0);
  JsonObject *data = json_object_new ();
  json_object_set_string_member (data, "site_id", site_id);
  json_object_set_boolean_member (data, "raised", raised);
  json_object_set_array_member (data, "hands", hands_json (seats));
  mcu_seats_emit (seats, raised ? "hand-raised" : "hand-lowered", data);
  return TRUE;
}

gboolean
mcu_seats_give_floor (McuSeats *seats, const char *site_id, GError **error)
{
  McuSite *site = find_site (seats, site_id, error);

  if (site == NULL)
    return FALSE;
  g_free (seats->floor);
  seats->floor = g_strdup (site_id);
  if (mcu_site_get_muted (site)) {
    mcu_site_set_muted (site, FALSE);
    emit_muted (seats, site);
  }
  if (mcu_site_get_hand_raised (site) != 0)
    mcu_seats_set_hand (seats, site_id, FALSE, NULL);
  JsonObject *data = json_object_new ();
  json_object_set_string_member (data, "site_id", site_id);
  mcu_seats_emit (seats, "floor", data);
  return TRUE;
}

gboolean
mcu_seats_set_pin (McuSeats *seats, const char *site_id, GError **error)
{
  if (site_id != NULL && find_site (seats, site_id, error) == NULL)
    return FALSE;
  g_free (seats->pin);
  seats->pin = g_strdup (site_id);
  JsonObject *data = json_object_new ();
  if (site_id != NULL)
    json_object_set_string_member (data, "site_id", site_id);
  else
    json_object_set_null_member (data, "site_id");
  mcu_seats_emit (seats, "pin", data);
  return TRUE;
}

gboolean
mcu_seats_layout_valid (const char *layout)
{
  for (guint i = 0; layout != NULL && layouts[i] != NULL; i++)
    if (g_str_equal (layouts[i], layout))
      return TRUE;
  return FALSE;
}

gboolean
mcu_seats_set_layout (McuSeats *seats, const char *layout, GError **error)
{
  if (!mcu_seats_layout_valid (layout)) {
    g_autofree char *known = g_strjoinv (", ", (char **) layouts);
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_INVALID, "unknown layout '%s' (known: %s)",
                 layout ? layout : "", known);
    return FALSE;
  }
  g_free (seats->layout);
  seats->layout = g_strdup (layout);
  JsonObject *data = json_object_new ();
  json_object_set_string_member (data, "layout", layout);
  mcu_seats_emit (seats, "layout", data);
  return TRUE;
}

void
mcu_seats_set_locked (McuSeats *seats, gboolean locked)
{
  seats->locked = locked;
  JsonObject *data = json_object_new ();
  json_object_set_boolean_member (data, "locked", locked);
  mcu_seats_emit (seats, "locked", data);
}

void
mcu_seats_set_talking (McuSeats *seats, const char *site_id, gboolean talking)
{
  McuSite *site = mcu_seats_lookup (seats, site_id);

  if (site == NULL || mcu_site_get_talking (site) == talking)
    return;
  mcu_site_set_talking (site, talking);
  JsonObject *data = json_object_new ();
  json_object_set_string_member (data, "site_id", site_id);
  json_object_set_boolean_member (data, "talking", talking);
  mcu_seats_emit (seats, "talking", data);
}

const char *
mcu_seats_get_floor (McuSeats *seats)
{
  return seats->floor;
}

const char *
mcu_seats_get_pin (McuSeats *seats)
{
  return seats->pin;
}

const char *
mcu_seats_get_layout (McuSeats *seats)
{
  return seats->layout;
}

gboolean
mcu_seats_get_locked (McuSeats *seats)
{
  return seats->locked;
}

/* ---- events --------------------------------------------------------------------------------------- */

guint
mcu_seats_watch (McuSeats *seats, McuSeatsEventFunc func, gpointer user_data)
{
  Watcher watcher = { ++seats->next_watcher, func, user_data };

  g_array_append_val (seats->watchers, watcher);
  return watcher.id;
}

void
mcu_seats_unwatch (McuSeats *seats, guint id)
{
  for (guint i = 0; i < seats->watchers->len; i++)
    if (g_array_index (seats->watchers, Watcher, i).id == id) {
      g_array_remove_index (seats->watchers, i);
      return;
    }
}

void
mcu_seats_emit (McuSeats *seats, const char *event, JsonObject *data)
{
  /* A copy: a watcher may unwatch (or watch) from its callback. */
  g_autoptr (GArray) watchers = g_array_copy (seats->watchers);

  json_object_set_string_member (data, "event", event);
  json_object_set_string_member (data, "room", seats->room_id);
  for (guint i = 0; i < watchers->len; i++) {
    Watcher *watcher = &g_array_index (watchers, Watcher, i);
    watcher->func (event, data, watcher->user_data);
  }
  json_object_unref (data);
}

/* ---- JSON ----------------------------------------------------------------------------------------- */

static void
set_time_ms (JsonObject *object, const char *name, gint64 real_us)
{
  if (real_us != 0)
    json_object_set_int_member (object, name, real_us / 1000);
  else
    json_object_set_null_member (object, name);
}

static JsonObject *
link_to_json (const McuSiteLink *link)
{
  JsonObject *object = json_object_new ();

  if (!link->valid) {
    json_object_set_null_member (object, "rtt_ms");
    json_object_set_null_member (object, "loss");
    json_object_set_null_member (object, "loss_out");
    json_object_set_null_member (object, "jitter_ms");
    json_object_set_null_member (object, "bitrate_in");
    json_object_set_null_member (object, "bitrate_out");
  } else {
    if (link->rtt_ms >= 0)
      json_object_set_double_member (object, "rtt_ms", link->rtt_ms);
    else
      json_object_set_null_member (object, "rtt_ms");
    json_object_set_double_member (object, "loss", link->loss_in);
    json_object_set_double_member (object, "loss_out", link->loss_out);
    json_object_set_double_member (object, "jitter_ms", link->jitter_ms);
    json_object_set_int_member (object, "bitrate_in", link->bitrate_in_bps);
    json_object_set_int_member (object, "bitrate_out", link->bitrate_out_bps);
  }
  if (link->valid && link->tier >= 0)
    json_object_set_int_member (object, "tier", link->tier);
  else
    json_object_set_null_member (object, "tier");
  json_object_set_boolean_member (object, "video_decoded", link->valid && link->video_decoded);
  json_object_set_int_member (object, "video_tile", link->valid && link->tier >= 0 ? link->video_tile : -1);
  return object;
}

JsonObject *
mcu_seats_site_to_json (McuSeats *seats, McuSite *site)
{
  JsonObject *object = json_object_new ();
  const char *id = mcu_site_get_id (site);

  json_object_set_string_member (object, "id", id);
  json_object_set_string_member (object, "name", mcu_site_get_name (site));
  json_object_set_boolean_member (object, "guest", mcu_site_is_guest (site));
  json_object_set_string_member (object, "state", mcu_site_state_name (mcu_site_get_state (site)));
  json_object_set_boolean_member (object, "connected", mcu_site_is_connected (site));
  set_time_ms (object, "since", mcu_site_get_connected_since (site));
  set_time_ms (object, "first_joined", mcu_site_get_first_joined (site));
  set_time_ms (object, "left_at", mcu_site_get_left_at (site));
  json_object_set_int_member (object, "reconnects", mcu_site_get_reconnects (site));
  json_object_set_boolean_member (object, "muted", mcu_site_get_muted (site));
  json_object_set_boolean_member (object, "hand_raised", mcu_site_get_hand_raised (site) != 0);
  set_time_ms (object, "hand_raised_at", mcu_site_get_hand_raised (site));
  json_object_set_boolean_member (object, "talking", mcu_site_get_talking (site));
  json_object_set_boolean_member (object, "floor", g_strcmp0 (seats->floor, id) == 0);
  json_object_set_boolean_member (object, "pinned", g_strcmp0 (seats->pin, id) == 0);
  json_object_set_object_member (object, "link", link_to_json (mcu_site_get_link (site)));
  return object;
}
