#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Admin API, event stream, metrics and web pages against a real mcu: every endpoint and each of its
error cases (401, 403, 404, 405, 400, 409, 413, 423) with the JSON error body; seats held through a
drop and released after the grace period (waited for through the event stream, not a sleep); rooms
and tokens created through the API surviving a restart."""
import base64
import json
import os
import socket
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

ADMIN = "admin-secret-42"
CONFIG = f"""
[server]
admin-token = {ADMIN}
seat-grace = 2
[room open]
title = Phòng mở
guests = true
max-sites = 3
[room closed]
[site school-1]
room = closed
name = Trường THCS Mạo Khê II
token = secret-token-1
[site school-2]
room = closed
name = Trường Tiểu học
token = secret-token-2
"""
AUTH = {"Authorization": "Bearer " + ADMIN}
JSON = {"Content-Type": "application/json"}
SDP = {"Content-Type": "application/sdp"}


def request(url, method="GET", body=None, headers=None):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def expect_error(result, status, error, what):
    code, _, body = result
    mcutest.expect(code == status, f"{what}: status {code}, wanted {status}: {body}")
    parsed = json.loads(body)
    mcutest.expect(parsed.get("error") == error and parsed.get("detail"), f"{what}: body {parsed}")
    return parsed


def expect_ok(result, status, what):
    code, _, body = result
    mcutest.expect(code == status, f"{what}: status {code}, wanted {status}: {body}")
    return json.loads(body) if body else None


class Events:
    """A minimal WebSocket client (RFC 6455, text frames) for the event stream."""

    def __init__(self, base, room, token, query_token=True):
        url = urllib.parse.urlparse(base)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        path = f"/api/rooms/{room}/events" + (f"?token={token}" if query_token else "")
        auth = "" if query_token else f"Authorization: Bearer {token}\r\n"
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n{auth}\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ")[1]) if head else 0
        self.seen = []

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("websocket closed")
            data += chunk
        return data

    def next(self):
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            if b0 & 0x0F == 1:
                event = json.loads(payload)
                self.seen.append(event)
                return event
            if b0 & 0x0F == 8:
                raise EOFError("websocket closed by the server")

    def wait(self, predicate, what, timeout=10, start=0):
        deadline = time.monotonic() + timeout
        for event in self.seen[start:]:
            if predicate(event):
                return event
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                event = self.next()
            except socket.timeout:
                break
            if predicate(event):
                return event
        mcutest.expect(False, f"no event: {what} (saw {[e['event'] for e in self.seen]})")
        return None

    def close(self):
        self.sock.close()


def check_auth(base):
    expect_error(request(base + "api/rooms"), 401, "unauthorized", "no token")
    expect_error(request(base + "api/rooms", headers={"Authorization": "Bearer wrong"}), 403, "forbidden",
                 "wrong token")
    expect_error(request(base + "api/rooms/open", headers={"Authorization": "Basic eDp5"}), 401,
                 "unauthorized", "not a Bearer token")
    expect_error(request(base + "api/rooms/open/sites/x/mute", "POST"), 401, "unauthorized", "action, no token")
    expect_error(request(base + "api/rooms", "PUT", headers=AUTH), 405, "method-not-allowed", "PUT /api/rooms")
    expect_error(request(base + "api/rooms/open/mute-all", "GET", headers=AUTH), 405, "method-not-allowed",
                 "GET on an action")
    expect_error(request(base + "api/rooms/nowhere", headers=AUTH), 404, "unknown-room", "unknown room")
    expect_error(request(base + "api/rooms/nowhere/lock", "POST", headers=AUTH), 404, "unknown-room",
                 "action on an unknown room")
    expect_error(request(base + "api/rooms/open/sites/nobody/mute", "POST", headers=AUTH), 404, "unknown-site",
                 "unknown site")
    expect_error(request(base + "api/rooms/open/dance", "POST", headers=AUTH), 404, "not-found", "unknown action")


def check_create(base):
    rooms = expect_ok(request(base + "api/rooms", headers=AUTH), 200, "list rooms")
    mcutest.expect([r["id"] for r in rooms["rooms"]] == ["closed", "open"], f"rooms: {rooms}")
    h = dict(AUTH, **JSON)
    expect_error(request(base + "api/rooms", "POST", b"{not json", h), 400, "bad-json", "bad JSON")
    expect_error(request(base + "api/rooms", "POST", b"[1, 2]", h), 400, "bad-json", "JSON not an object")
    expect_error(request(base + "api/rooms", "POST", {"id": "a/b"}, h), 400, "bad-value", "bad room id")
    expect_error(request(base + "api/rooms", "POST", {"title": "no id"}, h), 400, "bad-value", "no room id")
    expect_error(request(base + "api/rooms", "POST", {"id": "x", "mode": "karaoke"}, h), 400, "bad-value", "mode")
    expect_error(request(base + "api/rooms", "POST", {"id": "x", "max_sites": 0}, h), 400, "bad-value",
                 "max_sites")
    expect_error(request(base + "api/rooms", "POST", {"id": "x", "guests": "yes"}, h), 400, "bad-value", "guests")
    expect_error(request(base + "api/rooms", "POST", {"id": "x", "layout": "9x9"}, h), 400, "bad-value", "layout")
    expect_error(request(base + "api/rooms", "POST", b"{" + b" " * 20000 + b"}", h), 413, "too-large",
                 "oversize body")
    expect_error(request(base + "api/rooms", "POST", {"id": "open"}, h), 409, "exists", "room id taken")
    room = expect_ok(request(base + "api/rooms", "POST", {"id": "hop-thang-12", "title": "Họp tháng 12",
                                                          "max_sites": 20, "layout": "2x2"}, h), 201, "create")
    mcutest.expect(room["title"] == "Họp tháng 12" and room["layout"] == "2x2" and not room["from_config"],
                   f"created room: {room}")
    expect_error(request(base + "api/rooms/hop-thang-12/sites", "POST", {"id": "xa-a", "token": "short"}, h), 400,
                 "bad-value", "short site token")
    added = expect_ok(request(base + "api/rooms/hop-thang-12/sites", "POST", {"id": "xa-a", "name": "UBND xã A"}, h),
                      201, "add a site with a generated token")
    mcutest.expect(len(added["token"]) >= 20 and added["site"]["state"] == "absent", f"added site: {added}")
    expect_error(request(base + "api/rooms/hop-thang-12/sites", "POST", {"id": "xa-a"}, h), 409, "exists",
                 "site id taken")
    expect_error(request(base + "api/rooms/hop-thang-12/sites", "POST", {"id": "xa-b", "token": added["token"]}, h),
                 409, "exists", "token already used")
    expect_ok(request(base + "api/rooms/hop-thang-12/sites", "POST",
                      {"id": "xa-b", "name": "UBND xã B", "token": "chosen-token-b"}, h), 201, "add with a token")
    expect_error(request(base + "api/rooms/closed", "DELETE", headers=AUTH), 409, "config-room",
                 "deleting a config room")
    expect_ok(request(base + "api/rooms", "POST", {"id": "scratch"}, h), 201, "create scratch")
    expect_ok(request(base + "api/rooms/scratch", "DELETE", headers=AUTH), 200, "delete scratch")
    expect_error(request(base + "api/rooms/scratch", headers=AUTH), 404, "unknown-room", "deleted room")
    return added["token"]


def join(base, room, offer, token=None, name=None):
    headers = dict(SDP)
    if token:
        headers["Authorization"] = "Bearer " + token
    query = "?name=" + urllib.parse.quote(name) if name else ""
    return request(base + f"whip/{room}{query}", "POST", offer, headers)


def site_of(base, room, site_id):
    roster = expect_ok(request(base + f"api/rooms/{room}", headers=AUTH), 200, "roster")
    return next(s for s in roster["sites"] if s["id"] == site_id), roster


def check_moderation(base, offer, events):
    code, headers, answer = join(base, "closed", offer, token="secret-token-1")
    mcutest.expect(code == 201 and answer.startswith("v=0"), f"join school-1 gets an SDP answer: {code} {answer}")
    location = headers["Location"]
    events.wait(lambda e: e["event"] == "joined" and e["site"]["id"] == "school-1", "joined school-1")
    site, roster = site_of(base, "closed", "school-1")
    mcutest.expect(site["connected"] and site["state"] == "connected" and site["since"] and "rtt_ms" in site["link"]
                   and "tier" in site["link"], f"roster entry: {site}")
    never = next(s for s in roster["sites"] if s["id"] == "school-2")
    mcutest.expect(never["first_joined"] is None and never["state"] == "absent", f"roll-call: {never}")

    act = lambda path, body=None: request(base + "api/rooms/closed/" + path, "POST", body,  # noqa: E731
                                          dict(AUTH, **JSON))
    r = expect_ok(act("sites/school-1/mute"), 200, "mute")
    mcutest.expect(r["site"]["muted"], f"mute: {r}")
    events.wait(lambda e: e["event"] == "muted" and e["site_id"] == "school-1" and e["muted"], "muted event")
    expect_ok(act("sites/school-2/mute"), 200, "mute an absent site")
    r = expect_ok(act("sites/school-2/unmute"), 200, "unmute")
    mcutest.expect(not r["site"]["muted"], f"unmute: {r}")
    expect_ok(act("sites/school-1/pin"), 200, "pin")
    events.wait(lambda e: e["event"] == "pin" and e["site_id"] == "school-1", "pin event")
    expect_ok(act("sites/school-1/unpin"), 200, "unpin")
    expect_error(act("layout", {"layout": "7x7"}), 400, "bad-value", "unknown layout")
    expect_error(act("layout", {"layout": 4}), 400, "bad-value", "layout not a string")
    expect_error(act("layout", b"{oops"), 400, "bad-json", "layout bad JSON")
    r = expect_ok(act("layout", {"layout": "1+7"}), 200, "layout")
    mcutest.expect(r["layout"] == "1+7", f"layout: {r}")
    events.wait(lambda e: e["event"] == "layout" and e["layout"] == "1+7", "layout event")

    # The site raises its hand with its session URL; a made-up session is refused.
    expect_error(request(base + "api/rooms/closed/hand", "POST", {"session": "/whip/closed/deadbeef"}, JSON), 404,
                 "unknown-session", "hand with an unknown session")
    expect_error(request(base + "api/rooms/closed/hand", "POST", b"nope", JSON), 400, "bad-json", "hand bad JSON")
    expect_ok(request(base + "api/rooms/closed/hand", "POST", {"session": location}, JSON), 200, "raise hand")
    events.wait(lambda e: e["event"] == "hand-raised" and e["hands"] == ["school-1"], "hand-raised event")
    site, roster = site_of(base, "closed", "school-1")
    mcutest.expect(site["hand_raised"] and roster["hands"] == ["school-1"], f"hand in roster: {roster['hands']}")
    expect_ok(act("sites/school-1/lower-hand"), 200, "lower hand")
    events.wait(lambda e: e["event"] == "hand-lowered", "hand-lowered event")
    r = expect_ok(act("sites/school-1/floor"), 200, "floor")
    mcutest.expect(r["site"]["floor"] and not r["site"]["muted"], f"floor unmutes: {r}")
    events.wait(lambda e: e["event"] == "floor" and e["site_id"] == "school-1", "floor event")
    r = expect_ok(act("mute-all"), 200, "mute-all")
    muted = {s["id"]: s["muted"] for s in r["sites"]}
    mcutest.expect(muted == {"school-1": False, "school-2": True}, f"mute-all spares the floor: {muted}")
    return location


def check_lock_and_grace(base, offer, events, location):
    act = lambda path: request(base + "api/rooms/closed/" + path, "POST", None, AUTH)  # noqa: E731
    r = expect_ok(act("lock"), 200, "lock")
    mcutest.expect(r["locked"], f"lock: {r}")
    expect_error(join(base, "closed", offer, token="secret-token-2"), 423, "room-locked", "new site, locked room")
    # school-1 drops: its seat is held and it may come back even though the room is locked.
    code, _, _ = request(base + location.lstrip("/"), "DELETE")
    mcutest.expect(code == 200, f"DELETE: {code}")
    events.wait(lambda e: e["event"] == "left" and e["site"]["id"] == "school-1", "left event")
    site, _ = site_of(base, "closed", "school-1")
    mcutest.expect(site["state"] == "held" and not site["connected"], f"held seat: {site}")
    code, headers, _ = join(base, "closed", offer, token="secret-token-1")
    mcutest.expect(code == 201, f"re-join inside the grace period, locked room: {code}")
    events.wait(lambda e: e["event"] == "joined" and e["site"]["id"] == "school-1" and e["seat_kept"],
                "joined with seat_kept")
    site, roster = site_of(base, "closed", "school-1")
    mcutest.expect(site["reconnects"] == 1 and site["floor"] and roster["floor"] == "school-1",
                   f"seat back with its state: {site}")
    expect_ok(act("unlock"), 200, "unlock")
    # Kick releases the seat at once; then a drop past the grace period releases it through the timer.
    r = expect_ok(act("sites/school-1/kick"), 200, "kick")
    mcutest.expect(r["site"]["state"] == "absent", f"kicked: {r}")
    events.wait(lambda e: e["event"] == "kicked", "kicked event")
    # A kicked site is refused for the grace period (its reconnect logic would bring it straight back).
    r = expect_error(join(base, "closed", offer, token="secret-token-1"), 403, "forbidden", "join after kick")
    mcutest.expect("removed" in r["detail"], f"says why: {r}")
    mark = len(events.seen)
    code, headers, _ = join(base, "closed", offer, token="secret-token-2")
    mcutest.expect(code == 201, f"join of school-2: {code}")
    events.wait(lambda e: e["event"] == "joined" and e["site"]["id"] == "school-2", "school-2 joined", start=mark)
    mark = len(events.seen)
    code, _, _ = request(base + headers["Location"].lstrip("/"), "DELETE")
    t0 = time.monotonic()
    released = events.wait(lambda e: e["event"] == "seat-released" and e["site"]["id"] == "school-2",
                           "seat released after the grace period", timeout=10, start=mark)
    waited = time.monotonic() - t0
    mcutest.expect(1.5 <= waited <= 4, f"released after about 2 s of grace: {waited:.2f} s")
    mcutest.expect(released["site"]["state"] == "absent", f"released: {released}")


def check_events_auth(base):
    e = Events(base, "closed", "wrong")
    mcutest.expect(e.status == 403, f"event stream with a wrong token: {e.status}")
    e.close()
    e = Events(base, "nowhere", ADMIN)
    mcutest.expect(e.status == 404, f"event stream of an unknown room: {e.status}")
    e.close()
    e = Events(base, "open", ADMIN, query_token=False)
    mcutest.expect(e.status == 101, f"event stream with a Bearer header: {e.status}")
    first = e.next()
    mcutest.expect(first["event"] == "roster" and first["room"] == "open", f"first event: {first}")
    e.close()
    expect_error(request(base + "api/rooms/open/events", headers=AUTH), 400, "not-websocket", "plain GET")


def check_metrics_and_pages(base):
    code, headers, text = request(base + "metrics")
    mcutest.expect(code == 200 and headers["Content-Type"].startswith("text/plain"), f"metrics: {code}")
    for needle in ["mcu_uptime_seconds ", "mcu_rooms 3", 'mcu_room_seats{room="closed",state="absent"}',
                   "mcu_sessions ", 'mcu_http_requests_total{status="401"}', 'mcu_http_requests_total{status="201"}',
                   "# TYPE mcu_site_rtt_seconds gauge"]:
        mcutest.expect(needle in text, f"metrics has {needle!r}:\n{text}")
    for path, marker in [("", "console.js"), ("join/open", "join.js"), ("web/console.js", "roster"),
                         ("web/i18n.js", "Điểm danh"), ("web/console.css", ".tile")]:
        code, _, body = request(base + path)
        mcutest.expect(code == 200 and marker in body, f"GET /{path}: {code}")
    expect_error(request(base + "join/nowhere"), 404, "unknown-room", "join page of an unknown room")
    expect_error(request(base + "web/missing.js"), 404, "not-found", "missing web file")
    expect_error(request(base + "web/.hidden"), 404, "not-found", "a dot file")
    code, _, _ = request(base + "web/..%2Fconfigs%2Fmcu.conf")
    mcutest.expect(code in (400, 404), f"path outside the web folder refused: {code}")


def main():
    with open(os.path.join(mcutest.SOURCE, "tests", "data", "chromium-av.sdp"), "rb") as f:
        offer = f.read()
    tmp = tempfile.mkdtemp(prefix="test-api-")
    config = os.path.join(tmp, "mcu.conf")
    with open(config, "w") as f:
        f.write(CONFIG)
    off = os.path.join(tmp, "off.conf")
    with open(off, "w") as f:
        f.write("[server]\n[room a]\n")
    try:
        with mcutest.Mcu(config=off) as mcu:
            r = expect_error(request(mcu.url + "api/rooms", headers=AUTH), 403, "admin-disabled", "admin API off")
            mcutest.expect("admin-token" in r["detail"], f"says how to enable it: {r}")
        with mcutest.Mcu(config=config) as mcu:
            base = mcu.url
            check_auth(base)
            token = check_create(base)
            events = Events(base, "closed", ADMIN)
            mcutest.expect(events.status == 101, f"event stream: {events.status}")
            events.wait(lambda e: e["event"] == "roster", "roster first")
            location = check_moderation(base, offer, events)
            check_lock_and_grace(base, offer, events, location)
            events.close()
            check_events_auth(base)
            check_metrics_and_pages(base)
            mcutest.expect(mcu.stop() == 0, "clean stop")
        state = os.path.join(tmp, "mcu.state.json")
        mcutest.expect(os.path.exists(state), "state file next to the config")
        with open(state) as f:
            text = f.read()
        mcutest.expect(token not in text and "chosen-token-b" not in text, "no token in the state file")
        # After a restart the API room and its sites are back, and their tokens still admit them.
        with mcutest.Mcu(config=config) as mcu:
            base = mcu.url
            room = expect_ok(request(base + "api/rooms/hop-thang-12", headers=AUTH), 200, "room after restart")
            mcutest.expect(room["title"] == "Họp tháng 12" and [s["id"] for s in room["sites"]] == ["xa-a", "xa-b"]
                           and room["sites"][0]["name"] == "UBND xã A", f"room after restart: {room}")
            for t in (token, "chosen-token-b"):
                code, headers, body = join(base, "hop-thang-12", offer, token=t)
                mcutest.expect(code == 201, f"token admitted after restart: {code} {body}")
            expect_error(join(base, "hop-thang-12", offer, token="not-a-token-at-all"), 403, "forbidden",
                         "wrong token after restart")
            mcutest.expect(mcu.stop() == 0, "clean stop")
    finally:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    print("ok")


if __name__ == "__main__":
    main()
