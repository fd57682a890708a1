#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The WHIP endpoint's contract without media: every refusal has its status and a JSON error, CORS
preflight works, and a good offer gets 201 + Location + an SDP answer that DELETE then ends."""
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

DATA = os.path.join(mcutest.SOURCE, "tests", "data")
CONFIG = """
[server]
[room open]
guests = true
[room closed]
guests = false
max-sites = 1
[site school-1]
room = closed
name = Trường THCS Mạo Khê II
token = secret-token-1
"""


def request(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def expect_error(result, status, error, what):
    code, headers, body = result
    mcutest.expect(code == status, f"{what}: status {code}, wanted {status}: {body}")
    parsed = json.loads(body)
    mcutest.expect(parsed["error"] == error and parsed["detail"], f"{what}: body {parsed}")
    return parsed


def main():
    with open(os.path.join(DATA, "chromium-av.sdp"), "rb") as f:
        offer = f.read()
    sdp = {"Content-Type": "application/sdp"}
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(CONFIG)
    try:
        with mcutest.Mcu(config=f.name) as mcu:
            base = mcu.url
            expect_error(request(base + "whip/nowhere", "POST", offer, sdp), 404, "unknown-room", "unknown room")
            expect_error(request(base + "whip/open", "POST", offer, {"Content-Type": "text/plain"}), 415,
                         "unsupported-media-type", "wrong content type")
            expect_error(request(base + "whip/open?name=x", "POST", b"v=0\r\n" * 20000, sdp), 413, "too-large",
                         "oversize body")
            expect_error(request(base + "whip/open", "POST", offer, sdp), 400, "bad-name", "guest without a name")
            r = expect_error(request(base + "whip/closed?name=x", "POST", offer, sdp), 401, "unauthorized",
                             "guest in a token room")
            bad_token = dict(sdp, Authorization="Bearer not-the-token")
            expect_error(request(base + "whip/closed", "POST", offer, bad_token), 403, "forbidden", "wrong token")
            r = expect_error(request(base + "whip/open?name=x", "POST", b"v=0\r\nthis is not sdp\r\n", sdp), 400,
                             "bad-sdp", "garbage offer")
            mcutest.expect("line" in r["detail"], f"the SDP error names the line: {r['detail']}")
            expect_error(request(base + "whip/open/deadbeef", "PATCH", b"a=end-of-candidates\r\n",
                                 {"Content-Type": "application/trickle-ice-sdpfrag"}), 404, "unknown-session",
                         "PATCH of an unknown session")
            expect_error(request(base + "whip/open/deadbeef", "DELETE"), 404, "unknown-session",
                         "DELETE of an unknown session")
            expect_error(request(base + "whip/open", "GET"), 405, "method-not-allowed", "GET on the endpoint")

            code, headers, _ = request(base + "whip/open", "OPTIONS")
            mcutest.expect(code == 204 and headers.get("Access-Control-Allow-Origin") == "*"
                           and "POST" in headers.get("Access-Control-Allow-Methods", "")
                           and "Authorization" in headers.get("Access-Control-Allow-Headers", ""),
                           f"CORS preflight: {code} {headers}")

            # A good join by token: 201, Location, an SDP answer; the room is then full (max-sites 1)
            # for anyone else, but the same site joining again replaces its session.
            good = dict(sdp, Authorization="Bearer secret-token-1")
            code, headers, answer = request(base + "whip/closed", "POST", offer, good)
            mcutest.expect(code == 201, f"join by token: {code} {answer}")
            mcutest.expect(headers.get("Content-Type", "").startswith("application/sdp"), f"answer type {headers}")
            mcutest.expect(answer.startswith("v=0") and "a=fingerprint:sha-256" in answer
                           and "a=setup:passive" in answer and "a=candidate:" in answer, f"answer: {answer}")
            mcutest.expect(headers.get("Access-Control-Expose-Headers", "").find("Location") >= 0, "CORS expose")
            location = headers["Location"]
            mcutest.expect(location.startswith("/whip/closed/"), f"Location {location}")
            # Trickled candidates the server cannot use (an mDNS name; TCP, which the ICE-lite server
            # does not take) are skipped, not refused: the PATCH succeeds. A malformed one is refused.
            frag = {"Content-Type": "application/trickle-ice-sdpfrag"}
            unusable = (b"a=mid:0\r\n"
                        b"a=candidate:1 1 udp 2122260223 0c1d2e3f-1111-2222-3333-444455556666.local 54321 typ host\r\n"
                        b"a=candidate:2 1 tcp 1518280447 192.0.2.7 9 typ host tcptype active\r\n")
            code, _, body = request(base + location.lstrip("/"), "PATCH", unusable, frag)
            mcutest.expect(code == 204, f"PATCH with unusable candidates: {code} {body}")
            expect_error(request(base + location.lstrip("/"), "PATCH",
                                 b"a=mid:0\r\na=candidate:3 1 udp 2122260223 192.0.2.7 99999 typ host\r\n", frag),
                         400, "bad-fragment", "PATCH with a malformed candidate")
            code, headers2, _ = request(base + "whip/closed", "POST", offer, good)
            mcutest.expect(code == 201 and headers2["Location"] != location, "a re-join replaces the session")
            code, _, _ = request(base + location.lstrip("/"), "DELETE")
            mcutest.expect(code == 404, f"the replaced session is gone: {code}")
            code, _, _ = request(base + headers2["Location"].lstrip("/"), "DELETE")
            mcutest.expect(code == 200, f"DELETE of the live session: {code}")
            code, _, _ = request(base + headers2["Location"].lstrip("/"), "DELETE")
            mcutest.expect(code == 404, f"a second DELETE: {code}")
            mcutest.expect(mcu.stop() == 0, "clean stop with sessions opened and closed")
    finally:
        os.unlink(f.name)
    print("ok")


if __name__ == "__main__":
    main()
