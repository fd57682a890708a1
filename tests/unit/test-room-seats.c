/* SPDX-License-Identifier: MIT */
/* Unit tests for the seat table (conference/seats.c) — admission by token and guest name, a locked
 * room, seats held through a drop and released after the grace period (driven by an explicit clock),
 * moderation (mute, mute-all, hands in order, floor, pin, layout) and the events they emit — and for
 * the state file (conference/store.c) through a whole McuServer: API rooms and token sites survive a
 * restart, tokens are stored only as digests, and a broken file stops the start with a clear error. */
#include <glib/gstdio.h>
#include <string.h>

#include "conference/room-error.h"
#include "conference/room.h"
#include "conference/seats.h"
#include "conference/store.h"
#include "server.h"

#define GRACE (60 * G_USEC_PER_SEC)
#define T0 (1000 * G_USEC_PER_SEC)

typedef struct {
  GPtrArray *events;   /* "name" or "name:site" */
} Log;

static void
on_event (const char *event, JsonObject *data, gpointer user_data)
{
  Log *log = user_data;
  const char *site = json_object_has_member (data, "site_id") && !json_object_get_null_member (data, "site_id")
                         ? json_object_get_string_member (data, "site_id")
                     : json_object_has_member (data, "site")
                         ? json_object_get_string_member (json_object_get_object_member (data, "site"), "id")
                         : NULL;

  g_assert_cmpstr (json_object_get_string_member (data, "event"), ==, event);
  g_ptr_array_add (log->events, site ? g_strdup_printf ("%s:%s", event, site) : g_strdup (event));
}

static McuSeats *
make_seats (Log *log)
{
  McuSeats *seats = mcu_seats_new ("r", TRUE, 3, GRACE);
  guint8 digest[MCU_TOKEN_DIGEST_LEN];

  mcu_token_digest ("token-of-a-123", digest);
  g_assert_true (mcu_seats_add_token_site (seats, "a", "Xã A", digest, FALSE, NULL));
  mcu_token_digest ("token-of-b-456", digest);
  g_assert_true (mcu_seats_add_token_site (seats, "b", NULL, digest, TRUE, NULL));
  log->events = g_ptr_array_new_with_free_func (g_free);
  mcu_seats_watch (seats, on_event, log);
  return seats;
}

static void
log_clear (Log *log)
{
  g_ptr_array_unref (log->events);
}

static gboolean
logged (Log *log, const char *what)
{
  for (guint i = 0; i < log->events->len; i++)
    if (g_str_equal (log->events->pdata[i], what))
      return TRUE;
  return FALSE;
}

static void
test_admit (void)
{
  Log log;
  g_autoptr (McuSeats) seats = make_seats (&log);
  g_autoptr (GError) error = NULL;
  guint8 digest[MCU_TOKEN_DIGEST_LEN];

  g_autoptr (McuSite) a = mcu_seats_admit (seats, "token-of-a-123", NULL, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_site_get_id (a), ==, "a");
  g_assert_cmpstr (mcu_site_get_name (mcu_seats_lookup (seats, "b")), ==, "b");   /* name defaults to id */
  g_assert_null (mcu_seats_admit (seats, "token-of-a-12", NULL, T0, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_assert_null (mcu_seats_admit (seats, NULL, "", T0, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_autofree char *long_name = g_strnfill (MCU_GUEST_NAME_MAX + 1, 'x');
  g_assert_null (mcu_seats_admit (seats, NULL, long_name, T0, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_autoptr (McuSite) guest = mcu_seats_admit (seats, NULL, "Trường Tiểu học", T0, &error);
  g_assert_no_error (error);
  g_assert_true (mcu_site_is_guest (guest));
  g_assert_true (g_str_has_prefix (mcu_site_get_id (guest), "guest-"));

  /* Duplicates are refused: the same id, or the same token under another id. */
  mcu_token_digest ("token-of-a-123", digest);
  g_assert_false (mcu_seats_add_token_site (seats, "c", "C", digest, TRUE, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS);
  g_clear_error (&error);
  mcu_token_digest ("fresh-token-789", digest);
  g_assert_false (mcu_seats_add_token_site (seats, "a", "A", digest, TRUE, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS);
  log_clear (&log);
}

static void
test_full (void)
{
  Log log;
  g_autoptr (McuSeats) seats = make_seats (&log);
  g_autoptr (GError) error = NULL;
  const char *names[] = { "g1", "g2", "g3" };

  for (guint i = 0; i < 3; i++) {
    g_autoptr (McuSite) site = mcu_seats_admit (seats, NULL, names[i], T0, &error);
    g_assert_no_error (error);
    g_autofree char *session = g_strdup_printf ("s%u", i);
    mcu_seats_connected (seats, site, session);
  }
  g_assert_cmpuint (mcu_seats_count_connected (seats), ==, 3);
  g_assert_null (mcu_seats_admit (seats, "token-of-a-123", NULL, T0, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FULL);
  log_clear (&log);
}

static void
test_lock (void)
{
  Log log;
  g_autoptr (McuSeats) seats = make_seats (&log);
  g_autoptr (GError) error = NULL;

  g_autoptr (McuSite) a = mcu_seats_admit (seats, "token-of-a-123", NULL, T0, NULL);
  mcu_seats_connected (seats, a, "s-a");
  mcu_seats_disconnected (seats, "a", "s-a", "ICE failed", T0);
  mcu_seats_set_locked (seats, TRUE);
  g_assert_true (logged (&log, "locked"));
  /* New sites and new guests are refused with LOCKED ... */
  g_assert_null (mcu_seats_admit (seats, "token-of-b-456", NULL, T0, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_null (mcu_seats_admit (seats, NULL, "late guest", T0, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_LOCKED);
  g_clear_error (&error);
  /* ... but a site whose seat is held (it dropped) gets back in. */
  g_autoptr (McuSite) back = mcu_seats_admit (seats, "token-of-a-123", NULL, T0, &error);
  g_assert_no_error (error);
  g_assert_true (back == a);
  mcu_seats_set_locked (seats, FALSE);
  g_autoptr (McuSite) b = mcu_seats_admit (seats, "token-of-b-456", NULL, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_site_get_id (b), ==, "b");
  log_clear (&log);
}

static void
test_grace (void)
{
  Log log;
  g_autoptr (McuSeats) seats = make_seats (&log);

  g_autoptr (McuSite) a = mcu_seats_admit (seats, "token-of-a-123", NULL, T0, NULL);
  mcu_seats_connected (seats, a, "s1");
  g_assert_cmpint (mcu_site_get_state (a), ==, MCU_SITE_CONNECTED);
  g_assert_true (mcu_seats_set_muted (seats, "a", TRUE, NULL));
  g_assert_true (mcu_seats_set_hand (seats, "a", TRUE, NULL));
  g_assert_true (mcu_seats_set_pin (seats, "a", NULL));

  /* A stale session id does not drop the site. */
  mcu_seats_disconnected (seats, "a", "old", "late close", T0);
  g_assert_cmpint (mcu_site_get_state (a), ==, MCU_SITE_CONNECTED);

  mcu_seats_disconnected (seats, "a", "s1", "ICE failed", T0);
  g_assert_true (logged (&log, "left:a"));
  g_assert_cmpint (mcu_site_get_state (a), ==, MCU_SITE_HELD);
  g_assert_cmpint (mcu_seats_expire (seats, T0 + GRACE - 1), ==, T0 + GRACE);
  g_assert_cmpint (mcu_site_get_state (a), ==, MCU_SITE_HELD);

  /* Re-join inside the grace period: same seat, mute, hand and pin kept, counted as a reconnect. */
  g_autoptr (McuSite) back = mcu_seats_admit (seats, "token-of-a-123", NULL, T0, NULL);
  g_assert_true (back == a);
  mcu_seats_connected (seats, back, "s2");
  g_assert_true (logged (&log, "joined:a"));
  g_assert_true (mcu_site_get_muted (a));
  g_assert_cmpint (mcu_site_get_hand_raised (a), !=, 0);
  g_assert_cmpstr (mcu_seats_get_pin (seats), ==, "a");
  g_assert_cmpuint (mcu_site_get_reconnects (a), ==, 1);
  g_assert_cmpint (mcu_seats_expire (seats, T0 + 2 * GRACE), ==, 0);   /* nothing held now */
  g_assert_cmpint (mcu_site_get_state (a), ==, MCU_SITE_CONNECTED);

  /* Past the grace period the token site is absent (still listed), its hand and pin are gone. */
  mcu_seats_disconnected (seats, "a", "s2", "ICE failed", T0 + 3 * GRACE);
  g_assert_cmpint (mcu_seats_expire (seats, T0 + 4 * GRACE), ==, 0);
  g_assert_cmpint (mcu_site_get_state (a), ==, MCU_SITE_ABSENT);
  g_assert_true (logged (&log, "seat-released:a"));
  g_assert_cmpint (mcu_site_get_hand_raised (a), ==, 0);
  g_assert_null (mcu_seats_get_pin (seats));
  g_assert_true (mcu_seats_lookup (seats, "a") == a);
  g_assert_cmpint (mcu_site_get_first_joined (a), !=, 0);
  log_clear (&log);
}

static void
test_guest_grace (void)
{
  Log log;
  g_autoptr (McuSeats) seats = make_seats (&log);

  g_autoptr (McuSite) g = mcu_seats_admit (seats, NULL, "Trường A", T0, NULL);
  g_autofree char *id = g_strdup (mcu_site_get_id (g));
  mcu_seats_connected (seats, g, "s1");
  mcu_seats_disconnected (seats, id, "s1", "gone", T0);
  /* The same name inside the grace period takes the seat back; another name gets a new seat. */
  g_autoptr (McuSite) back = mcu_seats_admit (seats, NULL, "Trường A", T0, NULL);
  g_assert_true (back == g);
  g_autoptr (McuSite) other = mcu_seats_admit (seats, NULL, "Trường B", T0, NULL);
  g_assert_true (other != g);
  /* After it, a guest's seat goes away. */
  mcu_seats_expire (seats, T0 + GRACE);
  g_assert_null (mcu_seats_lookup (seats, id));
  g_autoptr (McuSite) fresh = mcu_seats_admit (seats, NULL, "Trường A", T0, NULL);
  g_assert_cmpstr (mcu_site_get_id (fresh), !=, id);
  log_clear (&log);
}

static void
test_kick_bar (void)
{
  Log log;
  g_autoptr (McuSeats) seats = make_seats (&log);
  g_autoptr (GError) error = NULL;

  g_autoptr (McuSite) a = mcu_seats_admit (seats, "token-of-a-123", NULL, T0, NULL);
  mcu_seats_connected (seats, a, "s1");
  mcu_seats_disconnected (seats, "a", "s1", "kicked", T0);
  mcu_seats_release (seats, "a", T0 + GRACE);
  g_assert_cmpint (mcu_site_get_state (a), ==, MCU_SITE_ABSENT);
  g_assert_null (mcu_seats_admit (seats, "token-of-a-123", NULL, T0 + GRACE - 1, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_autoptr (McuSite) back = mcu_seats_admit (seats, "token-of-a-123", NULL, T0 + GRACE, &error);
  g_assert_no_error (error);
  g_assert_true (back == a);

  /* A guest is barred by name (its seat itself is gone). */
  g_autoptr (McuSite) g = mcu_seats_admit (seats, NULL, "Khách", T0, NULL);
  g_autofree char *id = g_strdup (mcu_site_get_id (g));
  mcu_seats_connected (seats, g, "s2");
  mcu_seats_disconnected (seats, id, "s2", "kicked", T0);
  mcu_seats_release (seats, id, T0 + GRACE);
  g_assert_null (mcu_seats_lookup (seats, id));
  g_assert_null (mcu_seats_admit (seats, NULL, "Khách", T0 + 1, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_autoptr (McuSite) other = mcu_seats_admit (seats, NULL, "Khách khác", T0 + 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (other);
  log_clear (&log);
}

static void
test_moderation (void)
{
  Log log;
  g_autoptr (McuSeats) seats = make_seats (&log);
  g_autoptr (GError) error = NULL;

  g_assert_false (mcu_seats_set_muted (seats, "nobody", TRUE, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NO_SITE);
  g_clear_error (&error);

  /* Hands keep the order they were raised in; raising twice keeps the first place. */
  g_assert_true (mcu_seats_set_hand (seats, "b", TRUE, NULL));
  g_assert_true (mcu_seats_set_hand (seats, "a", TRUE, NULL));
  g_assert_true (mcu_seats_set_hand (seats, "b", TRUE, NULL));
  g_autoptr (GPtrArray) hands = mcu_seats_list_hands (seats);
  g_assert_cmpuint (hands->len, ==, 2);
  g_assert_cmpstr (mcu_site_get_id (hands->pdata[0]), ==, "b");
  g_assert_cmpstr (mcu_site_get_id (hands->pdata[1]), ==, "a");

  /* The floor unmutes the site and lowers its hand; mute-all spares the floor. */
  g_assert_true (mcu_seats_set_muted (seats, "b", TRUE, NULL));
  g_assert_true (mcu_seats_give_floor (seats, "b", NULL));
  g_assert_cmpstr (mcu_seats_get_floor (seats), ==, "b");
  g_assert_false (mcu_site_get_muted (mcu_seats_lookup (seats, "b")));
  g_assert_cmpint (mcu_site_get_hand_raised (mcu_seats_lookup (seats, "b")), ==, 0);
  g_assert_true (logged (&log, "floor:b"));
  g_assert_true (logged (&log, "hand-lowered:b"));
  g_assert_cmpuint (mcu_seats_mute_all (seats), ==, 1);
  g_assert_true (mcu_site_get_muted (mcu_seats_lookup (seats, "a")));
  g_assert_false (mcu_site_get_muted (mcu_seats_lookup (seats, "b")));

  g_assert_false (mcu_seats_set_layout (seats, "7x7", &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (mcu_seats_set_layout (seats, NULL, &error));
  g_clear_error (&error);
  g_assert_true (mcu_seats_set_layout (seats, "1+7", NULL));
  g_assert_cmpstr (mcu_seats_get_layout (seats), ==, "1+7");
  g_assert_true (logged (&log, "layout"));

  mcu_seats_set_talking (seats, "a", TRUE);
  mcu_seats_set_talking (seats, "a", TRUE);   /* no change, no second event */
  guint talking = 0;
  for (guint i = 0; i < log.events->len; i++)
    talking += g_str_equal (log.events->pdata[i], "talking:a");
  g_assert_cmpuint (talking, ==, 1);

  g_autoptr (JsonObject) json = mcu_seats_site_to_json (seats, mcu_seats_lookup (seats, "b"));
  g_assert_true (json_object_get_boolean_member (json, "floor"));
  g_assert_cmpstr (json_object_get_string_member (json, "state"), ==, "absent");
  g_assert_true (json_object_get_null_member (json_object_get_object_member (json, "link"), "tier"));
  log_clear (&log);
}

/* ---- the state file, through whole servers -------------------------------------------------------- */

static McuServer *
start_server (const char *state_path, GError **error)
{
  g_autofree char *text = g_strdup_printf ("[server]\nstate-file = %s\nseat-grace = 5\n"
                                           "[room cfg]\n[site s1]\nroom = cfg\ntoken = config-token-1\n",
                                           state_path);
  g_autoptr (McuConfig) config = mcu_config_load_data (text, strlen (text), "test.conf", error);

  return config ? mcu_server_new (config, "127.0.0.1:0", error) : NULL;
}

static void
test_store_restart (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-room-store-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "state.json", NULL);
  g_autoptr (GError) error = NULL;
  guint8 digest[MCU_TOKEN_DIGEST_LEN];

  {
    g_autoptr (McuServer) server = start_server (path, &error);
    g_assert_no_error (error);
    McuRoomSettings settings = { .id = "hop", .title = "Họp tháng", .mode = MCU_ROOM_MIX, .guests = TRUE,
                                 .max_sites = 12, .layout = "2x2", .grace_us = GRACE };
    McuRoom *room = mcu_room_new_with_settings (&settings, &error);
    g_assert_no_error (error);
    g_assert_true (mcu_server_add_room (server, room, &error));
    mcu_token_digest ("api-site-token", digest);
    g_assert_true (mcu_room_add_token_site (room, "xa-a", "UBND xã A", digest, TRUE, NULL));
    mcu_token_digest ("added-to-config-room", digest);
    g_assert_true (mcu_room_add_token_site (mcu_server_lookup_room (server, "cfg"), "s2", "S2", digest, TRUE, NULL));
    g_assert_true (mcu_server_save_state (server, &error));
  }
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, "api-site-token"));        /* only digests are stored */
  g_assert_null (strstr (text, "config-token-1"));        /* config sites stay in the config */
  {
    g_autoptr (McuServer) server = start_server (path, &error);
    g_assert_no_error (error);
    McuRoom *room = mcu_server_lookup_room (server, "hop");
    g_assert_nonnull (room);
    g_assert_false (mcu_room_is_from_config (room));
    g_assert_cmpstr (mcu_room_get_title (room), ==, "Họp tháng");
    g_assert_cmpuint (mcu_room_get_max_sites (room), ==, 12);
    g_assert_cmpstr (mcu_seats_get_layout (mcu_room_get_seats (room)), ==, "2x2");
    g_autoptr (McuSite) site = mcu_room_admit (room, "api-site-token", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (mcu_site_get_name (site), ==, "UBND xã A");
    McuRoom *cfg = mcu_server_lookup_room (server, "cfg");
    g_autoptr (McuSite) s2 = mcu_room_admit (cfg, "added-to-config-room", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (mcu_site_get_id (s2), ==, "s2");
    g_autoptr (McuSite) s1 = mcu_room_admit (cfg, "config-token-1", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (mcu_site_get_id (s1), ==, "s1");
    g_assert_true (mcu_server_remove_room (server, "hop"));
    g_assert_true (mcu_server_save_state (server, &error));
  }
  {
    g_autoptr (McuServer) server = start_server (path, &error);
    g_assert_no_error (error);
    g_assert_null (mcu_server_lookup_room (server, "hop"));
  }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_store_broken (void)
{
  static const char *broken[] = {
    "{not json", "[]", "{\"version\": 2, \"rooms\": []}", "{\"version\": 1, \"rooms\": [1]}",
    "{\"version\": 1, \"rooms\": [{\"title\": \"no id\"}]}",
    "{\"version\": 1, \"rooms\": [{\"id\": \"x\", \"mode\": \"karaoke\"}]}",
    "{\"version\": 1, \"rooms\": [{\"id\": \"x\", \"mode\": \"mix\", \"layout\": \"9x9\"}]}",
    "{\"version\": 1, \"rooms\": [{\"id\": \"x\", \"mode\": \"mix\", \"sites\": [{\"id\": \"s\", \"token_sha256\": \"zz\"}]}]}",
  };
  g_autofree char *dir = g_dir_make_tmp ("test-room-store-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "state.json", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (broken); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_true (g_file_set_contents (path, broken[i], -1, NULL));
    g_autoptr (McuServer) server = start_server (path, &error);
    g_assert_null (server);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "state file"));
  }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_store_path (void)
{
  g_autoptr (McuConfig) builtin = mcu_config_load_data ("[server]\n", 9, "built-in mcu.conf", NULL);
  g_autoptr (McuConfig) set = mcu_config_load_data ("[server]\nstate-file = /x/y.json\n", 31, "z", NULL);
  g_autofree char *none = mcu_store_path_for (builtin);
  g_autofree char *given = mcu_store_path_for (set);

  g_assert_null (none);
  g_assert_cmpstr (given, ==, "/x/y.json");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/room/seats/admit", test_admit);
  g_test_add_func ("/room/seats/full", test_full);
  g_test_add_func ("/room/seats/lock", test_lock);
  g_test_add_func ("/room/seats/grace", test_grace);
  g_test_add_func ("/room/seats/guest-grace", test_guest_grace);
  g_test_add_func ("/room/seats/kick-bar", test_kick_bar);
  g_test_add_func ("/room/seats/moderation", test_moderation);
  g_test_add_func ("/room/store/restart", test_store_restart);
  g_test_add_func ("/room/store/broken", test_store_broken);
  g_test_add_func ("/room/store/path", test_store_path);
  return g_test_run ();
}
