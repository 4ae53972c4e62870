"""The review server's API: session token and origin checks, 4xx for unknown ids, decisions, bulk, undo, blind
mode and escaping."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from theme_assist.codebook import parse_codebook
from theme_assist.documents import Document, Turn
from theme_assist.project import DecisionRequest, ProjectStore
from theme_assist.review.app import STATIC, create_app
from theme_assist.segment import segment_documents

from theme_assist.project.testing import CODEBOOK, HOSTILE, make_codebook_named_project, make_project

HOST = "127.0.0.1:8765"


@pytest.fixture()
def project(tmp_path):
    path = tmp_path / "study.taproj"
    make_project(path).close()
    return path


def client_for(project, blind=False, no_suggestions=False) -> tuple[TestClient, str]:
    app = create_app(project, host="127.0.0.1", port=8765, blind=blind, no_suggestions=no_suggestions)
    client = TestClient(app, base_url=f"http://{HOST}")
    return client, client.get("/api/session").json()["token"]


@pytest.fixture()
def api(project):
    client, token = client_for(project)
    client.headers["X-Session-Token"] = token
    return client


def decision(segment="interview_a:1", action="add", code="work", coder="ana", **extra):
    return {"segment_id": segment, "action": action, "code": code, "coder": coder, **extra}


# ------------------------------------------------------------------ the guard
def test_writes_need_the_session_token(project):
    client, token = client_for(project)
    assert client.post("/api/decisions", json=decision()).status_code == 403
    assert client.post("/api/decisions", json=decision(), headers={"X-Session-Token": "guess"}).status_code == 403
    assert client.post("/api/decisions", json=decision(), headers={"X-Session-Token": token}).status_code == 201
    assert len(ProjectStore(project).decisions()) == 1


def test_each_server_run_has_its_own_token(project):
    assert client_for(project)[1] != client_for(project)[1]


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "http://127.0.0.1:9999"},
                                     {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}])
def test_cross_origin_writes_are_refused_even_with_the_token(api, project, headers):
    response = api.post("/api/decisions", json=decision(), headers=headers)
    assert response.status_code == 403 and "refused" in response.json()["detail"]
    assert ProjectStore(project).decisions().empty


def test_same_origin_writes_pass(api):
    headers = {"Origin": f"http://{HOST}", "Sec-Fetch-Site": "same-origin"}
    assert api.post("/api/decisions", json=decision(), headers=headers).status_code == 201


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1:9999"])
def test_requests_for_another_host_are_refused(api, host):
    """DNS rebinding: a page on another name that resolves to 127.0.0.1 cannot read or write."""
    assert api.get("/api/session", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("bound, named, answered", [
    ("0.0.0.0", "192.0.2.7:8765", True), ("0.0.0.0", "127.0.0.1:8765", True), ("0.0.0.0", "[::1]:8765", True),
    ("::", "[2001:db8::7]:8765", True), ("0.0.0.0", "evil.example:8765", False), ("0.0.0.0", "192.0.2.7:9999", False),
    ("0.0.0.0", "192.0.2.7", False), ("2001:db8::7", "[2001:db8::7]:8765", True),
    ("192.0.2.7", "192.0.2.8:8765", False),
])
def test_a_server_on_every_address_answers_its_ip_addresses_not_names(project, bound, named, answered):
    """Bound to 0.0.0.0, the server said other computers could open the page, and refused every request they (and
    this computer, at 127.0.0.1) made: only "0.0.0.0:PORT" was its own address. An IPv6 address was expected
    without the brackets a browser puts around it."""
    client = TestClient(create_app(project, host=bound, port=8765), base_url=f"http://{named}")
    session = client.get("/api/session")
    assert (session.status_code == 200) is answered
    if answered:
        headers = {"X-Session-Token": session.json()["token"], "Origin": f"http://{named}"}
        assert client.post("/api/decisions", json=decision(), headers=headers).status_code == 201
        headers["Origin"] = "http://192.0.2.99:8765"  # another address of the same server is another origin
        assert client.post("/api/decisions", json=decision(), headers=headers).status_code == 403


@pytest.mark.parametrize("bound, named, answered", [
    ("127.0.0.1", "127.0.0.1", True), ("127.0.0.1", "127.0.0.1:80", True), ("127.0.0.1", "localhost", True),
    ("127.0.0.1", "[::1]", True), ("0.0.0.0", "192.0.2.7", True), ("0.0.0.0", "192.0.2.7:80", True),
    ("127.0.0.1", "evil.example", False), ("127.0.0.1", "evil.example:80", False), ("0.0.0.0", "evil.example", False),
    ("127.0.0.1", "127.0.0.1:8765", False),
])
def test_a_server_on_port_80_answers_its_host_with_or_without_the_port(project, bound, named, answered):
    """On port 80 the server refused every request of its page: a browser leaves http's default port out of the
    Host header and the origin (``127.0.0.1``, ``http://127.0.0.1``), and the server knew only ``127.0.0.1:80``."""
    client = TestClient(create_app(project, host=bound, port=80), base_url="http://127.0.0.1")
    session = client.get("/api/session", headers={"Host": named})
    assert (session.status_code == 200) is answered
    if answered:
        for origin in {f"http://{named}", f"http://{named.removesuffix(':80')}"}:
            headers = {"Host": named, "X-Session-Token": session.json()["token"], "Origin": origin}
            assert client.post("/api/decisions", json=decision(), headers=headers).status_code == 201


@pytest.mark.parametrize("named", ["127.0.0.1", "127.0.0.1:80", "localhost"])
def test_a_server_on_another_port_refuses_port_80(api, named):
    assert api.get("/api/session", headers={"Host": named}).status_code == 403


def test_the_page_of_a_server_on_every_address_is_opened_at_a_loopback_address():
    from theme_assist.cli.review import page_url

    assert page_url("0.0.0.0", 8765) == "http://127.0.0.1:8765/"
    assert page_url("::", 8765) == "http://[::1]:8765/"
    assert page_url("192.0.2.7", 8765) == "http://192.0.2.7:8765/"
    assert page_url("2001:db8::7", 8765) == "http://[2001:db8::7]:8765/"


def test_pages_carry_a_strict_content_security_policy(api):
    response = api.get("/")
    policy = response.headers["content-security-policy"]
    assert response.status_code == 200 and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/", "/api/session", "/api/queue?coder=ana", "/static/app.js"])
def test_head_is_answered_as_get_without_the_body(api, path):
    """``HEAD /`` (a link checker, ``curl -I``, a proxy's health check) got 405 Method Not Allowed."""
    got, head = api.get(path), api.head(path)
    assert head.status_code == got.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_head_where_get_is_not_allowed_is_still_405(api):
    assert api.head("/api/decisions").status_code == 405


def test_the_page_never_parses_data_as_html():
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", script)
    assert not re.search(r"https?://", (STATIC / "index.html").read_text(encoding="utf-8"))  # nothing remote


def test_hostile_transcript_text_is_returned_as_data(api):
    segment = api.get("/api/segments/interview_b:2", params={"coder": "ana"}).json()
    assert segment["text"] == HOSTILE
    assert api.get("/api/segments/interview_b:2", params={"coder": "ana"}).headers["content-type"] == "application/json"


# ------------------------------------------------------------------ 4xx for unknown things
@pytest.mark.parametrize("method, path, body, status, message", [
    ("get", "/api/segments/nope?coder=ana", None, 404, "segment 'nope'"),
    ("get", "/api/bulk?code=nope&coder=ana", None, 404, "code 'nope'"),
    ("get", "/api/queue?coder=ana&document=nope", None, 404, "document 'nope'"),
    ("get", "/api/queue?coder=ana&code=nope", None, 404, "code 'nope'"),
    ("get", "/api/queue?coder=ana&status=maybe", None, 422, ""),
    ("post", "/api/decisions", decision(segment="nope"), 404, "segment 'nope'"),
    ("post", "/api/decisions", decision(code="nope"), 404, "code 'nope'"),
    ("post", "/api/decisions", decision(code="relations"), 201, ""),  # a parent code is still a code
    ("post", "/api/decisions", decision(action="shrug"), 422, ""),
    ("post", "/api/decisions", decision(coder=""), 422, ""),
    ("post", "/api/decisions", decision(suggestion_id=10**9), 404, "suggestion"),
    ("post", "/api/decisions/bulk", {"coder": "ana", "action": "accept", "code": "nope",
                                     "items": [{"segment_id": "interview_a:1", "suggestion_id": 1}]}, 404, "code"),
    ("get", "/api/segments/interview_a:1", None, 422, ""),  # no coder
])
def test_unknown_ids_get_a_clear_4xx(api, method, path, body, status, message):
    response = api.post(path, json=body) if method == "post" else api.get(path)
    assert response.status_code == status
    if message:
        assert message in response.json()["detail"]


# ------------------------------------------------------------------ reviewing
def test_accept_reject_replace_add_then_the_segment_shows_them(api):
    segment = api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()
    first, second = segment["suggestions"][:2]
    assert [s["rank"] for s in segment["suggestions"]] == [1, 2] and first["evidence"]
    stored = api.post("/api/decisions", json=decision(action="reject", code=first["code"],
                                                      suggestion_id=first["id"])).json()["decisions"][0]
    assert stored["coder"] == "ana" and stored["suggestion_id"] == first["id"] and stored["created_at"]
    replaced = api.post("/api/decisions", json=decision(action="replace", code="work", replaces=second["code"],
                                                        suggestion_id=second["id"]))
    assert replaced.status_code == 201
    same = api.post("/api/decisions", json=decision(action="replace", code="work", replaces="work"))
    assert same.status_code == 422 and "different code" in same.json()["detail"]
    api.post("/api/decisions", json=decision(action="add", code="other"))
    mine = api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["mine"]
    assert [c["id"] for c in mine["codes"]] == ["other"]  # exclusive codebook: the latest code stands
    assert {c["id"] for c in mine["rejected"]} == {first["code"], second["code"]}


def test_queue_filters_order_and_progress(api):
    everything = api.get("/api/queue", params={"coder": "ana", "order": "document"}).json()
    ids = [item["segment_id"] for item in everything["items"]]
    assert ids[0] == "interview_a:0" and everything["progress"] == {"total": 9, "decided": 0}
    active = api.get("/api/queue", params={"coder": "ana"}).json()
    assert [item["segment_id"] for item in active["items"]] == ids[::-1]  # the stored active queue
    api.post("/api/decisions", json=decision(segment=ids[0]))
    after = api.get("/api/queue", params={"coder": "ana", "order": "document"}).json()
    assert ids[0] not in [item["segment_id"] for item in after["items"]] and after["progress"]["decided"] == 1
    coded = api.get("/api/queue", params={"coder": "ana", "status": "coded"}).json()
    assert [item["segment_id"] for item in coded["items"]] == [ids[0]]
    in_b = api.get("/api/queue", params={"coder": "ana", "document": "interview_b", "min_score": 0.7}).json()
    assert in_b["items"] and all(i["document"] == "interview_b" and i["score"] >= 0.7 for i in in_b["items"])
    # another coder's work does not count as mine
    assert api.get("/api/queue", params={"coder": "bo"}).json()["progress"]["decided"] == 0


def test_bulk_accept_then_one_undo_takes_back_the_whole_batch(api, project):
    candidates = api.get("/api/bulk", params={"code": "work", "min_score": 0.5, "coder": "ana"}).json()
    assert candidates["code_name"] == "Paid work" and candidates["items"]
    assert all(item["score"] >= 0.5 and item["code"] == "work" for item in candidates["items"])
    items = [{"segment_id": i["segment_id"], "suggestion_id": i["suggestion_id"]} for i in candidates["items"]]
    response = api.post("/api/decisions/bulk", json={"coder": "ana", "action": "accept", "code": "work", "items": items})
    assert response.status_code == 201 and len(response.json()["decisions"]) == len(items)
    assert api.get("/api/bulk", params={"code": "work", "min_score": 0.5, "coder": "ana"}).json()["items"] == []
    undone = api.post("/api/undo", json={"coder": "ana"}).json()["decisions"]
    assert len(undone) == len(items)
    assert len(api.get("/api/bulk", params={"code": "work", "min_score": 0.5, "coder": "ana"}).json()["items"]) == len(items)
    assert len(ProjectStore(project).decisions()) == 2 * len(items)  # nothing deleted


def test_a_bulk_item_whose_suggestion_is_for_another_code_is_refused(api, project):
    suggestion = ProjectStore(project).suggestions(segment_id="interview_a:1").iloc[0]
    wrong = "family" if suggestion["code"] != "family" else "stigma"
    response = api.post("/api/decisions/bulk", json={"coder": "ana", "action": "accept", "code": wrong,
                                                     "items": [{"segment_id": "interview_a:1",
                                                                "suggestion_id": int(suggestion["id"])}]})
    assert response.status_code == 422 and ProjectStore(project).decisions().empty


def test_blind_mode_hides_other_coders(project):
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "bo")])
    open_client, _ = client_for(project, blind=False)
    blind_client, _ = client_for(project, blind=True)
    seen = open_client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["others"]
    assert seen == [{"coder": "bo", "source": "review", "codes": ['Stigma & "labels"']}]
    blind = blind_client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()
    assert blind["others"] is None and blind["mine"]["codes"] == []
    assert blind_client.get("/api/session").json()["blind"] is True


def test_a_port_in_use_is_refused_in_one_line_before_serving():
    import socket

    from theme_assist.cli.review import check_port
    from theme_assist.errors import InputError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(InputError, match=r"cannot listen on 127\.0\.0\.1:\d+ .*choose another --port"):
            check_port("127.0.0.1", taken.getsockname()[1])


def test_a_port_a_stopped_server_used_is_free_again_at_once():
    """A browser's connections to a stopped server wait about a minute in TIME_WAIT; a restart on the same --port
    was refused as "Address already in use" although nothing listened there."""
    import socket

    from theme_assist.cli.review import check_port

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as browser:
            connection, _ = server.accept()
            connection.close()  # the server closes first: its side of the connection waits in TIME_WAIT
            browser.recv(1)
    assert check_port("127.0.0.1", port) == port


# ------------------------------------------------------------------ what reaches the project file
def post_raw(api, path, body):
    """POST ``body`` as JSON that may hold lone surrogates (which UTF-8 cannot encode, so httpx's ``json=`` can't)."""
    return api.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("suggestion_id", [2**63, -2**63 - 1, 10**30])
def test_ids_beyond_sqlites_integers_get_422(api, project, suggestion_id):
    single = api.post("/api/decisions", json=decision(action="accept", suggestion_id=suggestion_id))
    bulk = api.post("/api/decisions/bulk", json={"coder": "ana", "action": "accept", "code": "work", "items": [
        {"segment_id": "interview_a:1", "suggestion_id": suggestion_id}]})
    assert single.status_code == bulk.status_code == 422
    assert ProjectStore(project).decisions().empty
    assert api.post("/api/decisions", json=decision(suggestion_id=2**63 - 1)).status_code == 404  # in range


def test_a_coder_name_is_trimmed_wherever_it_enters(api):
    top = api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["suggestions"][0]
    api.post("/api/decisions", json=decision(action="accept", code=top["code"], suggestion_id=top["id"], coder="Ann "))
    assert api.get("/api/progress", params={"coder": "Ann "}).json()["decided"] == 1
    coded = api.get("/api/queue", params={"coder": " Ann", "status": "coded"}).json()["items"]
    assert [item["segment_id"] for item in coded] == ["interview_a:1"]
    assert api.get("/api/segments/interview_a:1", params={"coder": "Ann\t"}).json()["mine"]["codes"]
    candidates = api.get("/api/bulk", params={"code": top["code"], "min_score": 0, "coder": "Ann "}).json()["items"]
    assert "interview_a:1" not in {item["segment_id"] for item in candidates}
    assert len(api.post("/api/undo", json={"coder": "Ann "}).json()["decisions"]) == 1
    assert api.get("/api/progress", params={"coder": "Ann"}).json()["decided"] == 0
    for blank in (" ", "\n", "\u200b", "\ufeff \u2060", "\u202e"):  # zero-width and formatting characters too
        assert api.get("/api/progress", params={"coder": blank}).status_code == 422
        assert api.post("/api/undo", json={"coder": blank}).status_code == 422


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe", "\uffff", "\ud800",
                                  "\udfff"])
@pytest.mark.parametrize("field", ["coder", "reason", "segment_id", "code", "replaces"])
def test_text_xml_cannot_hold_is_refused(api, project, char, field):
    response = post_raw(api, "/api/decisions", decision(**{field: f"Ann{char}B"}))
    assert response.status_code == 422 and "XML" in response.text
    assert ProjectStore(project).decisions().empty


@pytest.mark.parametrize("char", ["\x00", "\ud800"])
def test_text_xml_cannot_hold_is_refused_in_bulk_and_undo(api, project, char):
    suggestion = ProjectStore(project).suggestions(segment_id="interview_a:1").iloc[0]
    bulk = post_raw(api, "/api/decisions/bulk", {"coder": f"ana{char}", "action": "accept", "code": suggestion["code"],
                                                 "items": [{"segment_id": "interview_a:1",
                                                            "suggestion_id": int(suggestion["id"])}]})
    assert bulk.status_code == 422 and "XML" in bulk.text
    assert post_raw(api, "/api/undo", {"coder": f"ana{char}"}).status_code == 422
    assert ProjectStore(project).decisions().empty


def test_a_refused_request_is_answered_in_a_few_words_not_with_its_input_again(api, project):
    response = api.post("/api/decisions", json=decision(reason="x" * 2**20))
    assert response.status_code == 422 and len(response.content) < 1000
    assert response.json()["detail"][0]["msg"] == "String should have at most 2000 characters"
    assert ProjectStore(project).decisions().empty


def test_a_coder_name_too_long_is_said_in_characters(api):
    for response in (api.post("/api/decisions", json=decision(coder="a" * 101)),
                     api.get("/api/progress", params={"coder": "a" * 101})):
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"] == "String should have at most 100 characters"


def test_xml_legal_whitespace_and_characters_pass(api, project):
    response = api.post("/api/decisions", json=decision(coder="Zoë\tK", reason="line one\r\nline two \U0001F600"))
    assert response.status_code == 201
    assert response.json()["decisions"][0]["reason"] == "line one\r\nline two \U0001F600"


def test_a_decision_on_a_segment_the_coder_changed_since_it_was_shown_gets_409(api, project):
    """Two tabs of one coder showed the same segment: the second tab's accept silently replaced the first tab's
    code (one code per segment), and its page went on as if nothing had been decided there."""
    view = api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()
    first, second = view["suggestions"][:2]
    assert view["mine"]["seen"] == 0
    accepted = api.post("/api/decisions", json=decision(action="accept", code=first["code"],
                                                        suggestion_id=first["id"], seen=0))
    assert accepted.status_code == 201
    stale = api.post("/api/decisions", json=decision(action="accept", code=second["code"],
                                                     suggestion_id=second["id"], seen=0))
    assert stale.status_code == 409
    assert "since it was shown" in stale.json()["detail"] and "nothing was saved" in stale.json()["detail"]
    assert len(ProjectStore(project).decisions()) == 1
    seen = api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["mine"]["seen"]
    assert seen == accepted.json()["decisions"][0]["id"]
    assert api.post("/api/undo", json={"coder": "ana"}).status_code == 200  # an undo changes it too
    assert api.post("/api/decisions", json=decision(seen=seen)).status_code == 409
    # another coder's decisions are not this coder's; without seen there is no check
    assert api.post("/api/decisions", json=decision(coder="bo", seen=0)).status_code == 201
    assert api.post("/api/decisions", json=decision()).status_code == 201
    assert len(ProjectStore(project).decisions()) == 4


def test_an_undo_from_a_tab_left_behind_does_not_undo_the_other_tabs_decision(api, project):
    """A coder's stale tab pressed "u" and undid the decision just made in another tab, not its own."""
    made = [api.post("/api/decisions", json=decision(segment=f"interview_a:{i}")).json()["decisions"][0]["id"]
            for i in (1, 2)]  # the first in tab A, the second in tab B
    refused = api.post("/api/undo", json={"coder": "ana", "expected": made[0]})
    assert refused.status_code == 409 and refused.json()["latest"] == made[1]
    # the code named as the page names it, not by its id ('work')
    assert f"latest decision is now {made[1]} (add “Paid work” on segment 'interview_a:2'), not {made[0]}" in \
        refused.json()["detail"] and "nothing was undone" in refused.json()["detail"]
    assert ProjectStore(project).decisions()["action"].tolist() == ["add", "add"]
    assert "not one made here" in api.post("/api/undo", json={"coder": "ana", "expected": 0}).json()["detail"]
    for expected in reversed(made):  # each tab undoes its own, newest first
        undone = api.post("/api/undo", json={"coder": "ana", "expected": expected}).json()["decisions"]
        assert [d["undoes"] for d in undone] == [expected]
    assert api.post("/api/undo", json={"coder": "ana", "expected": 0}).json()["decisions"] == []


def test_an_undo_expecting_any_decision_of_a_bulk_batch_undoes_the_batch(api):
    candidates = api.get("/api/bulk", params={"code": "work", "min_score": 0.5, "coder": "ana"}).json()["items"]
    items = [{"segment_id": i["segment_id"], "suggestion_id": i["suggestion_id"]} for i in candidates]
    stored = api.post("/api/decisions/bulk", json={"coder": "ana", "action": "accept", "code": "work",
                                                   "items": items}).json()["decisions"]
    assert len(stored) > 1
    refused = api.post("/api/undo", json={"coder": "ana", "expected": 0}).json()["detail"]
    assert f"(a bulk accept of {len(stored)} suggestions of “Paid work”)" in refused
    undone = api.post("/api/undo", json={"coder": "ana", "expected": stored[0]["id"]}).json()["decisions"]
    assert sorted(d["undoes"] for d in undone) == sorted(d["id"] for d in stored)


def test_a_bulk_request_naming_an_item_twice_records_it_once(api, project):
    suggestion = ProjectStore(project).suggestions(segment_id="interview_a:1").iloc[0]
    item = {"segment_id": "interview_a:1", "suggestion_id": int(suggestion["id"])}
    response = api.post("/api/decisions/bulk", json={"coder": "ana", "action": "accept", "code": suggestion["code"],
                                                     "items": [item, item, dict(item)]})
    assert response.status_code == 201 and len(response.json()["decisions"]) == 1
    assert len(ProjectStore(project).decisions()) == 1


@pytest.mark.parametrize("params", [{"order": "random"}, {"status": "maybe"}, {"order": ""}])
def test_an_unknown_queue_order_or_status_is_422(api, params):
    response = api.get("/api/queue", params={"coder": "ana", **params})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


@pytest.mark.parametrize("host", ["999.1.1.1", "192.0.2.1"])  # not an address at all; not one of this machine's
def test_a_host_this_machine_cannot_listen_on_is_named_as_the_problem(host):
    from theme_assist.cli.review import check_port
    from theme_assist.errors import InputError

    with pytest.raises(InputError, match=rf"cannot listen on --host {re.escape(host)} .*give an address of this "
                                         "machine"):
        check_port(host, 8812)


def test_port_zero_means_a_free_one():
    from theme_assist.cli.review import check_port

    assert 0 < check_port("127.0.0.1", 0) < 65536


def test_serving_a_read_only_project_says_decisions_cannot_be_saved(project, monkeypatch, capsys):
    """(Simulated as in test_project_store: the tests may run as root, whom permissions do not stop.)"""
    import os

    import uvicorn

    import theme_assist.project.store as store_module
    from theme_assist.cli import main

    real_access = os.access
    monkeypatch.setattr(store_module.os, "access", lambda place, mode: False if (
        mode == os.W_OK and str(place) == str(project.parent)) else real_access(place, mode))
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)
    with pytest.raises(SystemExit) as exit_:
        main(["review", str(project), "--no-browser", "--refit-every", "0"])
    assert exit_.value.code in (0, None)
    assert capsys.readouterr().err.splitlines() == [
        f"theme-assist: warning: {project} is read-only: the page shows it, but no decision can be saved (copy the "
        "project somewhere writable to review)"]


def test_a_decision_while_another_program_locks_the_project_gets_503_and_goes_through_after(project, monkeypatch):
    import sqlite3

    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *args, **kwargs: connect(*args, **{**kwargs, "timeout": 0.1}))
    client, token = client_for(project)  # its connections wait 0.1 s for a lock, not 30
    client.headers["X-Session-Token"] = token
    locker = connect(project, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    response = client.post("/api/decisions", json=decision())
    # in plain words, the file by its name (the page showed the full path and SQLite's "(database is locked)")
    assert response.status_code == 503 and response.json()["detail"].startswith(
        "study.taproj is locked by another program: nothing was written; try again once it lets go")
    assert str(project.parent) not in response.json()["detail"] and "database is" not in response.json()["detail"]
    assert client.get("/api/progress", params={"coder": "ana"}).status_code == 200  # the page still reads
    locker.execute("ROLLBACK")
    assert client.post("/api/decisions", json=decision()).status_code == 201
    assert len(ProjectStore(project).decisions()) == 1


def test_a_decision_after_the_project_file_was_deleted_gets_503_not_saved(project, api):
    assert api.post("/api/decisions", json=decision()).status_code == 201
    project.unlink()
    response = api.post("/api/decisions", json=decision(code="family"))
    assert response.status_code == 503 and response.json()["detail"].startswith(
        "study.taproj was moved, deleted or replaced after it was opened: nothing was written")
    assert api.post("/api/undo", json={"coder": "ana"}).status_code == 503


def test_a_project_file_overwritten_in_place_under_the_server_gets_503_in_one_line(project, api):
    """Another file copied over the project (same inode: cp, a sync tool): 500 "Internal Server Error" in plain
    text, and a traceback in the server's window for every request the page made."""
    assert api.post("/api/decisions", json=decision()).status_code == 201
    with open(project, "r+b") as file:
        file.write(b"not a project any more" * 5000)
    for response in (api.get("/api/progress", params={"coder": "ana"}), api.post("/api/decisions", json=decision())):
        assert response.status_code == 503 and "overwritten" in response.json()["detail"]
        assert response.json()["detail"].startswith("study.taproj ") and "database" not in response.json()["detail"]


def test_a_project_file_sqlite_cannot_read_gets_503_in_one_line(api, monkeypatch, caplog):
    import sqlite3

    def malformed(self):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(ProjectStore, "segment_count", malformed)
    response = api.get("/api/progress", params={"coder": "ana"})
    assert response.status_code == 503 and response.json()["detail"].startswith(
        "study.taproj could not be read or written: nothing was saved by this request; was the file overwritten")
    assert "malformed" not in response.json()["detail"]  # SQLite's words, and the full path: in the server's window
    assert f"(SQLite: database disk image is malformed, in {api.app.state.store.path})" in caplog.text
    assert "overwritten while the page was open" in caplog.text  # one line in the server's window, no traceback


def test_serving_a_project_another_program_holds_locked_says_so_not_read_only(project, monkeypatch, capsys):
    import sqlite3

    import uvicorn

    from theme_assist.cli import main

    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *args, **kwargs: connect(*args, **{**kwargs, "timeout": 0.1}))
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)
    locker = connect(project, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(SystemExit) as exit_:
        main(["review", str(project), "--no-browser", "--refit-every", "0"])
    assert exit_.value.code in (0, None)
    [warning] = capsys.readouterr().err.splitlines()
    assert "is locked by another program" in warning and "read-only" not in warning


def test_the_page_offers_no_suggestion_of_a_code_a_revision_dropped(project, api):
    from theme_assist.codebook import parse_codebook
    from theme_assist.project.testing import CODEBOOK

    with ProjectStore(project) as store:
        dropped_first = store.suggestions().query("code == 'other' and rank == 1")["segment_id"].iloc[0]
        store.add_codebook_version(parse_codebook(CODEBOOK.split("  - id: other")[0]), note="drop other")
    shown = api.get(f"/api/segments/{dropped_first}", params={"coder": "ana"}).json()["suggestions"]
    assert shown and "other" not in [suggestion["code"] for suggestion in shown]
    queued = api.get("/api/queue", params={"coder": "ana", "order": "document"}).json()["items"]
    assert "other" not in {item["code"] for item in queued}
    assert next(item for item in queued if item["segment_id"] == dropped_first)["code"] == shown[0]["code"]


def test_progress_and_the_codebook_say_the_codebook_version_the_page_polls_for_revisions(project, api):
    from theme_assist.codebook import parse_codebook
    from theme_assist.project.testing import CODEBOOK

    assert api.get("/api/progress", params={"coder": "ana"}).json()["codebook_version"] == 1
    assert api.get("/api/codebook").json()["version"] == 1
    with ProjectStore(project) as store:
        store.add_codebook_version(parse_codebook(CODEBOOK.replace("id: work", "id: employment")),
                                   code_map={"work": "employment"})
    assert api.get("/api/progress", params={"coder": "ana"}).json()["codebook_version"] == 2
    codebook = api.get("/api/codebook").json()
    assert codebook["version"] == 2 and codebook["codes"][0]["id"] == "employment"


def test_evidence_says_which_quotes_are_codebook_anchors_also_in_a_document_named_codebook(tmp_path):
    """The page took every quote whose id starts "codebook:" for a codebook anchor: a document named "codebook"
    had its coded quotes shown as "Codebook: …"."""
    client, _ = client_for(make_codebook_named_project(tmp_path / "study.taproj"))
    shown = client.get("/api/segments/interview_b:0", params={"coder": "ana"}).json()["suggestions"][0]["evidence"]
    assert [(quote["segment_id"], quote["anchor"]) for quote in shown] == [("codebook:1", False),
                                                                          ("codebook:work", True)]


def test_blind_mode_shows_no_suggestion_where_another_coder_coded(project):
    """The engine learns other coders' codes and suggests them back on the same segments at near certainty (98% of
    the demo's coded segments, at 0.97): in blind mode the page would show what the other coder chose."""
    import pandas as pd

    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "bo"),
                                DecisionRequest("interview_a:3", "add", "work", "ana")])
        store.add_codings(pd.DataFrame({"segment_id": ["interview_b:1"], "code": ["work"], "coder": ["cy"]}),
                          source="coded.csv")
        bulk_code = store.suggestions().query("segment_id == 'interview_a:1'")["code"].iloc[0]
    open_client, _ = client_for(project, blind=False)
    blind_client, _ = client_for(project, blind=True)
    for segment in ("interview_a:1", "interview_b:1"):
        assert open_client.get(f"/api/segments/{segment}", params={"coder": "ana"}).json()["suggestions"]
        view = blind_client.get(f"/api/segments/{segment}", params={"coder": "ana"}).json()
        assert view["suggestions"] == [] and view["withheld"] is True
    own = blind_client.get("/api/segments/interview_a:3", params={"coder": "ana"}).json()  # her own coding
    assert own["suggestions"] and own["withheld"] is False
    queued = {item["segment_id"]: item for item in blind_client.get(
        "/api/queue", params={"coder": "ana", "status": "all", "order": "document"}).json()["items"]}
    assert queued["interview_a:1"]["code"] == "" and queued["interview_b:1"]["code"] == ""
    assert queued["interview_a:2"]["code"]
    bulk = blind_client.get("/api/bulk", params={"coder": "ana", "code": bulk_code, "min_score": 0}).json()
    assert "interview_a:1" not in {item["segment_id"] for item in bulk["items"]}
    bulk = open_client.get("/api/bulk", params={"coder": "ana", "code": bulk_code, "min_score": 0}).json()
    assert "interview_a:1" in {item["segment_id"] for item in bulk["items"]}


def test_no_suggestions_mode_shows_no_suggestion_anywhere(project):
    """``review --no-suggestions``: a coder coding independently of the machine sees none of its suggestions (their
    agreement with it would be inflated by anchoring), not only on segments others coded as in blind mode: no
    suggested code or score in the queue (nor filters on them), no suggestion or evidence quote on a segment, no
    bulk review. Their decisions are stored as usual. The queue is in document order: the engine's order is its
    uncertainty about its suggestions (refused)."""
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "bo")])
        suggestion = store.suggestions(segment_id="interview_a:2").iloc[0]
    open_client, _ = client_for(project)
    client, token = client_for(project, no_suggestions=True)
    client.headers["X-Session-Token"] = token
    assert client.get("/api/session").json()["no_suggestions"] is True
    assert open_client.get("/api/session").json()["no_suggestions"] is False
    asked = {"coder": "ana", "status": "all"}
    shown = open_client.get("/api/queue", params=asked).json()["items"]
    queued = client.get("/api/queue", params=asked).json()["items"]
    assert any(item["code"] for item in shown)
    in_document_order = open_client.get("/api/queue", params=asked | {"order": "document"}).json()["items"]
    assert [item["segment_id"] for item in queued] == [item["segment_id"] for item in in_document_order]
    assert [item["segment_id"] for item in shown] != [item["segment_id"] for item in in_document_order]
    assert {(item["code"], item["code_name"], item["score"]) for item in queued} == {("", "", 0.0)}
    for refused in ({"code": suggestion["code"]}, {"min_score": 0.5}, {"max_score": 0.5}, {"order": "active"}):
        response = client.get("/api/queue", params=asked | refused)
        assert response.status_code == 422 and "--no-suggestions" in response.json()["detail"]
    for segment in ("interview_a:1", "interview_a:2", "interview_b:1"):
        assert open_client.get(f"/api/segments/{segment}", params={"coder": "ana"}).json()["suggestions"]
        view = client.get(f"/api/segments/{segment}", params={"coder": "ana"}).json()
        assert view["suggestions"] == [] and view["abstained"] is False and view["withheld"] is False
    assert client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["others"]  # not blind
    response = client.get("/api/bulk", params={"coder": "ana", "code": suggestion["code"], "min_score": 0})
    assert response.status_code == 422 and "--no-suggestions" in response.json()["detail"]
    response = client.post("/api/decisions/bulk", json={
        "coder": "ana", "action": "accept", "code": suggestion["code"],
        "items": [{"segment_id": "interview_a:2", "suggestion_id": int(suggestion["id"])}]})
    assert response.status_code == 422 and "--no-suggestions" in response.json()["detail"]
    assert client.post("/api/decisions", json=decision("interview_a:2", code="family")).status_code == 201
    view = client.get("/api/segments/interview_a:2", params={"coder": "ana"}).json()
    assert view["mine"]["codes"] == [{"id": "family", "name": "Family"}] and view["suggestions"] == []
    assert list(ProjectStore(project).decisions()["coder"]) == ["bo", "ana"]


def test_blind_mode_tells_nothing_of_which_segments_others_coded(project):
    """Blind mode hid other coders' codes, yet status "Not coded yet" (``uncoded``) left out the segments they had
    coded, and without suggestions "Most informative first" put them last (the engine queues only the segments
    nobody coded), while each one's view said it was ``withheld``: a coder could tell which segments the others had
    coded. Blind, ``uncoded`` is refused; without suggestions too, so is ``active`` order, and nothing is withheld
    (none is shown anywhere)."""
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "bo")])
    for no_suggestions in (False, True):
        client, _ = client_for(project, blind=True, no_suggestions=no_suggestions)
        response = client.get("/api/queue", params={"coder": "ana", "status": "uncoded", "order": "document"})
        assert response.status_code == 422 and "--blind" in response.json()["detail"]
        assert client.get("/api/queue", params={"coder": "ana", "order": "document"}).status_code == 200
    view = client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()
    assert view["suggestions"] == [] and view["withheld"] is False and view["others"] is None
    listed = client.get("/api/queue", params={"coder": "ana", "status": "all"}).json()["items"]
    assert [item["segment_id"] for item in listed] == ProjectStore(project).segments()["segment_id"].tolist()
    assert client.get("/api/queue", params={"coder": "ana", "order": "active"}).status_code == 422


@pytest.mark.parametrize("options, refits", [((), True), (("--no-suggestions",), False),
                                             (("--no-suggestions", "--refit-every", "5"), True)])
def test_no_suggestions_mode_refits_only_when_asked(project, monkeypatch, options, refits):
    """``review --no-suggestions`` refitted every 10 decisions: nothing shows what a refit learns, and it changed
    the machine's pre-coding (``project export --machine``) during the round it is compared with; the README's
    recipe passed ``--refit-every 0``. It refits only where ``--refit-every`` is given."""
    import uvicorn

    import theme_assist.embed
    import theme_assist.review.app
    from theme_assist.cli import main
    from theme_assist.project.learn import BackgroundRefitter
    from theme_assist.project.testing import FakeEmbedder

    made = []
    create_app = theme_assist.review.app.create_app
    monkeypatch.setattr(theme_assist.review.app, "create_app", lambda *args, **kwargs: made.append(
        kwargs["refitter"]) or create_app(*args, **kwargs))
    monkeypatch.setattr(theme_assist.embed, "Embedder", lambda model=None: FakeEmbedder())
    monkeypatch.setattr(BackgroundRefitter, "start", lambda self: None)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)
    with pytest.raises(SystemExit) as exit_:
        main(["review", str(project), "--no-browser", *options])
    assert exit_.value.code in (0, None)
    assert len(made) == 1 and (made[0] is not None) == refits


def test_no_suggestions_mode_answers_no_decision_on_a_suggestion(project):
    """``review --no-suggestions``: a decision naming a suggestion, or a code it replaces, is refused unread: the
    store's answers told the coder the suggestion it hides ("suggestion 5 suggests 'stigma'", a replace of a code
    suggested taken, of another refused as 'nobody suggested or gave it')."""
    with ProjectStore(project) as store:
        suggestion = store.suggestions(segment_id="interview_a:2").iloc[0]
    client, token = client_for(project, no_suggestions=True)
    client.headers["X-Session-Token"] = token
    for asked in (decision("interview_a:2", "accept", "work", suggestion_id=int(suggestion["id"])),
                  decision("interview_a:1", "reject", "work", suggestion_id=int(suggestion["id"])),
                  decision("interview_a:2", "replace", "family", replaces=suggestion["code"])):
        response = client.post("/api/decisions", json=asked)
        assert response.status_code == 422 and "--no-suggestions" in response.json()["detail"]
        assert suggestion["code"] not in response.json()["detail"]
    assert ProjectStore(project).decisions().empty
    assert client.post("/api/decisions", json=decision("interview_a:2", code="family")).status_code == 201


def test_blind_mode_answers_no_decision_on_a_suggestion_it_withholds(project):
    """Blind mode hides the suggestions on a segment another coder coded (the engine learnt their codes): a
    decision naming one, or a code it replaces, is refused there, as the store's answers named the suggestion's code
    ("suggestion 5 suggests 'stigma'") or took a replace of the other coder's code (of another: 'nobody suggested
    or gave it'). Elsewhere they are answered as usual."""
    with ProjectStore(project) as store:
        store.add_codings(pd.DataFrame({"segment_id": ["interview_a:2"], "code": ["family"], "coder": "bo"}),
                          source="bo.csv")
        hidden = store.suggestions(segment_id="interview_a:2").iloc[0]
        shown = store.suggestions(segment_id="interview_a:1").iloc[0]
    client, token = client_for(project, blind=True)
    client.headers["X-Session-Token"] = token
    assert client.get("/api/segments/interview_a:2", params={"coder": "ana"}).json()["withheld"] is True
    for asked in (decision("interview_a:2", "accept", "work", suggestion_id=int(hidden["id"])),
                  decision("interview_a:2", "replace", "relations", replaces="family")):
        response = client.post("/api/decisions", json=asked)
        assert response.status_code == 422 and "blind mode" in response.json()["detail"]
        assert hidden["code"] not in response.json()["detail"]
    for action, code in (("accept", "work"), ("reject", hidden["code"])):
        response = client.post("/api/decisions/bulk", json={
            "coder": "ana", "action": action, "code": code,
            "items": [{"segment_id": "interview_a:2", "suggestion_id": int(hidden["id"])}]})
        assert response.status_code == 422 and "blind mode" in response.json()["detail"]
        assert hidden["code"] not in response.json()["detail"]
    assert ProjectStore(project).decisions().empty
    assert client.post("/api/decisions", json=decision("interview_a:1", "accept", shown["code"],
                                                       suggestion_id=int(shown["id"]))).status_code == 201


def test_no_suggestions_combines_with_blind(project):
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "bo")])
    client, _ = client_for(project, blind=True, no_suggestions=True)
    session = client.get("/api/session").json()
    assert session["blind"] is True and session["no_suggestions"] is True
    for segment in ("interview_a:1", "interview_a:2"):  # coded by another coder, by nobody
        view = client.get(f"/api/segments/{segment}", params={"coder": "ana"}).json()
        assert view["suggestions"] == [] and view["others"] is None
    queued = client.get("/api/queue", params={"coder": "ana", "status": "all"}).json()["items"]
    assert {item["code"] for item in queued} == {""}


def test_the_browser_asks_for_an_icon_and_gets_no_error(api):
    assert api.get("/favicon.ico").status_code == 204


def test_a_coders_imported_codings_are_their_own_starting_point(project):
    """Codings imported under a coder's name are that coder's codes on the page (not another coder's), count
    as decided in their progress, and a decision of theirs builds on them rather than wiping them."""
    from theme_assist.codebook import parse_codebook
    from theme_assist.project.audit import current_codings
    from theme_assist.project.state import training_codings
    from theme_assist.project.testing import CODEBOOK

    with ProjectStore(project) as store:
        store.add_codebook_version(parse_codebook(CODEBOOK.replace("exclusive: true", "exclusive: false")),
                                   author="test", note="several codes per segment")
        store.add_codings(pd.DataFrame({"segment_id": ["interview_a:1", "interview_a:3"], "code": ["work", "family"],
                                        "coder": "ana"}), source="coded.csv")
    client, token = client_for(project)
    client.headers["X-Session-Token"] = token
    view = client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()
    assert [c["id"] for c in view["mine"]["codes"]] == ["work"] and view["others"] == []
    bo_view = client.get("/api/segments/interview_a:1", params={"coder": "bo"}).json()
    assert bo_view["mine"]["codes"] == [] and bo_view["others"] == [
        {"coder": "ana", "source": "coded.csv", "codes": ["Paid work"]}]
    progress = client.get("/api/queue", params={"coder": "ana", "status": "all"}).json()
    assert progress["progress"]["decided"] == 2
    assert client.get("/api/queue", params={"coder": "bo"}).json()["progress"]["decided"] == 0
    assert "interview_a:1" not in [item["segment_id"] for item in
                                   client.get("/api/queue", params={"coder": "ana"}).json()["items"]]

    assert client.post("/api/decisions", json=decision("interview_a:1", "add", "stigma")).status_code == 201
    assert client.post("/api/decisions", json=decision("interview_a:3", "reject", "family")).status_code == 201
    view = client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()
    assert sorted(c["id"] for c in view["mine"]["codes"]) == ["stigma", "work"]
    # another coder sees what ana holds now: her codes once, and not the family she rejected
    assert client.get("/api/segments/interview_a:1", params={"coder": "bo"}).json()["others"] == [
        {"coder": "ana", "source": "review", "codes": ['Stigma & "labels"', "Paid work"]}]
    assert client.get("/api/segments/interview_a:3", params={"coder": "bo"}).json()["others"] == []
    for who in ("ana", "bo"):  # the page's progress line counts as the queue does, without reading suggestions
        queued = client.get("/api/queue", params={"coder": who, "status": "all"}).json()["progress"]
        progress = client.get("/api/progress", params={"coder": who}).json()
        assert (progress["total"], progress["decided"]) == (queued["total"], queued["decided"])
    with ProjectStore(project) as store:
        current = sorted(map(tuple, current_codings(store).to_numpy()))
        learnt = training_codings(store.codings(), store.decisions(), exclusive=False)
    assert current == [("interview_a:1", "stigma", "ana"), ("interview_a:1", "work", "ana")]
    assert sorted(map(tuple, learnt.to_numpy())) == [("interview_a:1", "stigma"), ("interview_a:1", "work")]


def test_a_decision_is_answered_with_itself_not_with_another_coders_made_meanwhile(project):
    """The answer read every decision from the first one stored on: another coder's, stored between the commit and
    that read (the server answers requests on several threads), came back too (in blind mode as well), an undo
    said "Undone 2 bulk decisions" and the bulk page counted the other coder's among its saved suggestions."""
    from contextlib import contextmanager

    app = create_app(project, host="127.0.0.1", port=8765)
    client = TestClient(app, base_url=f"http://{HOST}")
    client.headers["X-Session-Token"] = client.get("/api/session").json()["token"]
    store, other = app.state.store, ProjectStore(project)
    committed = store.transaction

    @contextmanager
    def then_bo_decides():
        with committed() as db:
            yield db
        other.record_decisions([DecisionRequest("interview_a:2", "add", "work", "bo")])

    store.transaction = then_bo_decides
    made = client.post("/api/decisions", json=decision("interview_a:1", "add", "work")).json()["decisions"]
    undone = client.post("/api/undo", json={"coder": "ana"}).json()["decisions"]
    assert [(d["coder"], d["action"]) for d in made + undone] == [("ana", "add"), ("ana", "undo")]
    assert other.decisions()["coder"].tolist() == ["ana", "bo", "ana", "bo"]


def test_the_pages_refits_keep_the_settings_project_suggest_was_given(project):
    """`review` refitted with its own defaults: `project suggest --top-k 2 --threshold 0.3 --diversity 0` was undone
    at the page's first refit, and an engine fitted on another model (`--model`) swapped for the packaged one
    without a word."""
    from theme_assist.cli.review import model_change, refit_settings
    from theme_assist.project.learn import refit
    from theme_assist.project.testing import FakeEmbedder

    with ProjectStore(project) as store:
        refit(store, embedder=FakeEmbedder(), top_k=2, threshold=0.3, diversity=0.0)
        run = store.latest_run()
    assert refit_settings(run, None) == {"top_k": 2, "threshold": 0.3, "diversity": 0.0}
    assert refit_settings(run, 5)["top_k"] == 5  # review --top-k still says
    assert refit_settings(None, None) == {"top_k": 3, "threshold": "auto", "diversity": 0.5}
    assert model_change(run, "fake-hash@1") == "" and model_change(None, "other@1") == ""
    assert f"run ({run['id']}) was fitted on fake-hash@1" in model_change(run, "all-MiniLM-L6-v2@53aa51172d14")


@pytest.mark.parametrize("every, refits", [(2, 1), (3, 0)])
def test_decisions_made_since_the_latest_run_count_towards_the_first_refit(project, monkeypatch, every, refits):
    """A server stopped (or killed) before it refitted on its last decisions: the next one waited for `every` more."""
    import uvicorn

    import theme_assist.embed
    from theme_assist.cli import main
    from theme_assist.project.learn import BackgroundRefitter
    from theme_assist.project.testing import FakeEmbedder

    with ProjectStore(project) as store:  # its latest run was fitted on none
        store.record_decisions([DecisionRequest(f"interview_a:{i}", "add", "work", "ana") for i in (1, 2)])
    started = []
    monkeypatch.setattr(theme_assist.embed, "Embedder", lambda model=None: FakeEmbedder())
    monkeypatch.setattr(BackgroundRefitter, "start", lambda self: started.append(self._pending))
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)
    with pytest.raises(SystemExit) as exit_:
        main(["review", str(project), "--no-browser", "--refit-every", str(every)])
    assert exit_.value.code in (0, None)
    assert len(started) == refits


def test_an_undo_counts_towards_the_next_refit_as_a_decision_does(project):
    """Undos were not counted: a run fitted on a code since undone kept suggesting it until ten more decisions."""

    class Counter:
        running, last_error = False, ""

        def __init__(self):
            self.counted = []

        def decisions_recorded(self, count=1):
            self.counted.append(count)

    refitter = Counter()
    client = TestClient(create_app(project, host="127.0.0.1", port=8765, refitter=refitter),
                        base_url=f"http://{HOST}")
    client.headers["X-Session-Token"] = client.get("/api/session").json()["token"]
    assert client.post("/api/decisions", json=decision()).status_code == 201
    assert client.post("/api/undo", json={"coder": "ana"}).status_code == 200
    assert client.post("/api/undo", json={"coder": "ana"}).json()["decisions"] == []  # nothing left: not counted
    assert refitter.counted == [1, 1]


def test_a_code_the_coder_rejected_is_offered_after_the_others(api):
    first = api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["suggestions"][0]
    api.post("/api/decisions", json=decision(action="reject", code=first["code"], suggestion_id=first["id"]))
    shown = api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["suggestions"]
    assert shown[0]["code"] != first["code"] and shown[-1]["code"] == first["code"]
    rejected = api.get("/api/queue", params={"coder": "ana", "status": "rejected"}).json()["items"]
    assert [(item["segment_id"], item["code"] != first["code"]) for item in rejected] == [("interview_a:1", True)]
    # other coders still see the engine's order
    assert api.get("/api/segments/interview_a:1", params={"coder": "bo"}).json()["suggestions"][0] == first


def test_the_page_selects_no_suggestion_the_coder_rejected():
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    body = script[script.index("function firstOpenSuggestion"):]
    body = body[: body.index("\n}\n")]
    assert "findIndex((s) => !rejected.has(s.code))" in body and "? 0" not in body  # -1: nothing selected
    assert "state.selected >= 0" in script[script.index("function selectedSuggestion"):]


def test_a_skipped_speakers_segments_are_left_out_of_the_queue_and_progress_but_can_be_coded(tmp_path):
    """The interviewer's turns waited in every coder's queue and counted in their progress."""
    path = tmp_path / "skipping.taproj"
    with make_project(path) as store:
        store.record_skip_speakers(["interviewer"])
    client, token = client_for(path)
    client.headers["X-Session-Token"] = token
    skipped = ["interview_a:0", "interview_a:2", "interview_b:0"]

    def listed(**params):
        answer = client.get("/api/queue", params={"coder": "ana", **params}).json()
        return [(item["segment_id"], item["status"]) for item in answer["items"]], answer["progress"]

    for order in ("active", "document"):
        items, progress = listed(order=order)
        assert len(items) == 6 and not {segment for segment, _ in items} & set(skipped)
        assert progress == {"total": 6, "decided": 0}
    items, _ = listed(order="document", status="all")
    assert [segment for segment, status in items if status == "skipped"] == skipped and len(items) == 9
    assert listed(order="document", status="skipped")[0] == [(segment, "skipped") for segment in skipped]
    # a coder may still open one and code it by hand; it counts in neither side of the progress
    assert client.get(f"/api/segments/{skipped[0]}", params={"coder": "ana"}).json()["skipped"] is True
    assert client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["skipped"] is False
    assert client.post("/api/decisions", json=decision(segment=skipped[0], code="other")).status_code == 201
    assert client.post("/api/decisions", json=decision(segment="interview_a:1")).status_code == 201
    items, progress = listed(status="coded")
    assert {segment for segment, _ in items} == {skipped[0], "interview_a:1"}
    assert progress == {"total": 6, "decided": 1}
    answer = client.get("/api/progress", params={"coder": "ana"}).json()
    assert (answer["total"], answer["decided"]) == (6, 1)
    assert [segment for segment, _ in listed(order="document", status="skipped")[0]] == skipped[1:]


def test_a_segment_or_the_queue_reads_the_skipped_speakers_turns_once(tmp_path, monkeypatch):
    """A segment's page read them twice (once to leave out their suggestions, once to say whether it is one), and
    so did the queue: two reads, outside one transaction, that a ``project skip-speaker`` between could make
    disagree."""
    path = tmp_path / "skipping.taproj"
    with make_project(path) as store:
        store.record_skip_speakers(["interviewer"])
    client, token = client_for(path)
    client.headers["X-Session-Token"] = token
    reads = []
    read = ProjectStore.skipped_segment_ids
    monkeypatch.setattr(ProjectStore, "skipped_segment_ids", lambda self: reads.append(1) or read(self))
    for url, params in [("/api/segments/interview_a:0", {}), ("/api/queue", {"status": "all"}),
                        ("/api/bulk", {"code": "work", "min_score": 0})]:
        reads.clear()
        assert client.get(url, params={"coder": "ana", **params}).status_code == 200
        assert len(reads) == 1, url


def test_the_page_names_the_project_by_the_file_it_serves(tmp_path):
    """A backup served as copy.taproj, or a renamed file, was named on the page (header, window title) by the name
    the project was made with, "study", while every message named copy.taproj."""
    import shutil

    original = tmp_path / "study.taproj"
    make_project(original).close()
    copy = tmp_path / "copy.taproj"
    shutil.copy(original, copy)
    client, _ = client_for(copy)
    assert client.get("/api/session").json()["project"] == "copy"


def test_a_validators_words_reach_the_page_without_pydantics_prefix(api):
    """The page showed "Could not load the queue: coder: Value error, a coder needs a name"."""
    answer = api.get("/api/queue", params={"coder": "\u200b"})
    assert answer.status_code == 422
    assert [error["msg"] for error in answer.json()["detail"]] == ["a coder needs a name"]


def test_status_uncoded_lists_the_segments_nobody_has_coded_yet(project):
    """A project made with --coded listed the imported segments in every coder's "To review" queue, first in its
    order: a second coder in a reliability round could not list those no one has coded (no imported coding, of a
    named coder or of none, and no coder's decision, a rejection too; an undone one is not a decision)."""
    with ProjectStore(project) as store:
        store.add_codings(pd.DataFrame({"segment_id": ["interview_a:1", "interview_a:3"], "code": ["work", "family"],
                                        "coder": ["ana", ""]}), source="coded.csv")
        store.record_skip_speakers(["interviewer"])  # interview_a:0, interview_a:2, interview_b:0
    client, token = client_for(project)
    client.headers["X-Session-Token"] = token
    assert client.post("/api/decisions", json=decision("interview_b:1", "reject", "work", "bo")).status_code == 201
    made = client.post("/api/decisions", json=decision("interview_b:2", coder="cy")).json()["decisions"][0]["id"]
    assert client.post("/api/undo", json={"coder": "cy", "expected": made}).status_code == 200

    def listed(coder, status):
        answer = client.get("/api/queue", params={"coder": coder, "status": status, "order": "document"}).json()
        return [(item["segment_id"], item["status"]) for item in answer["items"]], answer["matching"]

    assert listed("dee", "uncoded") == ([("interview_a:4", "open"), ("interview_b:2", "open"),
                                         ("interview_b:3", "open")], 3)
    assert listed("dee", "open")[1] == 6  # the imported and decided segments are still to review for dee
    assert listed("bo", "uncoded") == listed("dee", "uncoded")
    assert client.post("/api/decisions", json=decision("interview_b:3", coder="dee")).status_code == 201
    assert [segment for segment, _ in listed("bo", "uncoded")[0]] == ["interview_a:4", "interview_b:2"]


# ------------------------------------------------------------------ whether suggestions were shown
def shown_of(project) -> dict[tuple[str, str], list]:
    """Each decision's ``suggestions_shown`` by (segment, action), None for unknown."""
    decisions = ProjectStore(project).decisions()
    return {(d.segment_id, d.action): (None if d.suggestions_shown != d.suggestions_shown else int(d.suggestions_shown))
            for d in decisions.itertuples(index=False)}


def test_a_decision_records_that_suggestions_were_shown_and_the_page_cannot_say_otherwise(api, project):
    """A methodologist could not tell a coder's decisions made with the machine's suggestions on screen from those
    made without; what the request says is ignored: the server decides it."""
    assert api.post("/api/decisions", json=decision(suggestions_shown=0)).status_code == 201
    answer = api.post("/api/decisions", json=decision(segment="interview_a:3", code="family")).json()
    assert answer["decisions"][0]["suggestions_shown"] == 1
    assert shown_of(project) == {("interview_a:1", "add"): 1, ("interview_a:3", "add"): 1}


def test_no_suggestions_mode_records_decisions_as_made_with_none_shown(project):
    client, token = client_for(project, no_suggestions=True)
    client.headers["X-Session-Token"] = token
    assert client.post("/api/decisions", json=decision(suggestions_shown=1)).status_code == 201
    assert shown_of(project) == {("interview_a:1", "add"): 0}


def test_blind_mode_records_none_shown_where_it_withheld_them_and_shown_elsewhere(project):
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "bo")])
    client, token = client_for(project, blind=True)
    client.headers["X-Session-Token"] = token
    assert client.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["withheld"] is True
    assert client.post("/api/decisions", json=decision()).status_code == 201
    assert client.post("/api/decisions", json=decision(segment="interview_a:3")).status_code == 201
    shown = shown_of(project)
    assert shown[("interview_a:3", "add")] == 1
    decisions = ProjectStore(project).decisions()
    ana = decisions[decisions["coder"] == "ana"].set_index("segment_id")["suggestions_shown"]
    assert ana.to_dict() == {"interview_a:1": 0, "interview_a:3": 1}


def test_a_segment_with_no_suggestion_to_show_records_none_shown(tmp_path):
    """No run yet, or a turn of a speaker the project skips (its suggestions are left off the page)."""
    unfitted = tmp_path / "unfitted.taproj"
    make_project(unfitted, with_run=False).close()
    skipping = tmp_path / "skipping.taproj"
    with make_project(skipping) as store:
        store.record_skip_speakers(["interviewer"])
    for path, segment in ((unfitted, "interview_a:1"), (skipping, "interview_a:0")):
        client, token = client_for(path)
        client.headers["X-Session-Token"] = token
        assert client.get(f"/api/segments/{segment}", params={"coder": "ana"}).json()["suggestions"] == []
        assert client.post("/api/decisions", json=decision(segment=segment, code="other")).status_code == 201
        assert shown_of(path) == {(segment, "add"): 0}


def test_bulk_decisions_record_suggestions_shown_and_an_undo_that_of_the_decision_it_undoes(project):
    client, token = client_for(project)
    client.headers["X-Session-Token"] = token
    items = [{"segment_id": i["segment_id"], "suggestion_id": i["suggestion_id"]} for i in client.get(
        "/api/bulk", params={"code": "work", "min_score": 0.5, "coder": "ana"}).json()["items"]]
    assert client.post("/api/decisions/bulk", json={"coder": "ana", "action": "accept", "code": "work",
                                                    "items": items}).status_code == 201
    undone = client.post("/api/undo", json={"coder": "ana"}).json()["decisions"]
    assert {d["suggestions_shown"] for d in undone} == {1}
    no_suggestions, token = client_for(project, no_suggestions=True)
    no_suggestions.headers["X-Session-Token"] = token
    assert no_suggestions.post("/api/decisions", json=decision(coder="bo")).status_code == 201
    undone = no_suggestions.post("/api/undo", json={"coder": "bo"}).json()["decisions"]
    assert [d["suggestions_shown"] for d in undone] == [0]
    decisions = ProjectStore(project).decisions()
    assert set(decisions.loc[decisions["coder"] == "ana", "suggestions_shown"]) == {1}
    assert len(decisions) == 2 * len(items) + 2


def test_progress_says_a_documents_version_that_each_document_command_changes(project, api, tmp_path):
    """The page polls it as it polls the codebook version: documents added, withdrawn, restored, replaced or given
    new metadata from a terminal while it is open make it reload its document filter and its list."""
    from theme_assist.project.testing import run_command as run
    from theme_assist.segment import segmentation_tag

    def version():
        return api.get("/api/progress", params={"coder": "ana"}).json()["documents_version"]

    with ProjectStore(project) as store:  # as project init records it: add and replace segment as it did
        store.record_segmentation(segmentation_tag())
    assert api.get("/api/session").json()["documents_version"] == version()
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "interview_c.txt").write_text("Interviewer: And work?\nLee: I lost my job in May.\n")
    (tmp_path / "interview_a_fixed.txt").write_text("Interviewer: How is the new job going?\nSam: It pays my rent.\n")
    (tmp_path / "sites.csv").write_text("document,site\ninterview_b,Hamburg\n")
    seen = [version()]
    for command in (["add", str(project), str(tmp_path / "later")],
                    ["withdraw", str(project), "interview_c", "--reason", "consent withdrawn"],
                    ["restore", str(project), "interview_c"],
                    ["replace", str(project), "interview_a", str(tmp_path / "interview_a_fixed.txt")],
                    ["metadata", str(project), str(tmp_path / "sites.csv")]):
        assert run("project", *command) == 0, command
        seen.append(version())
        assert seen[-1] > seen[-2], command
    assert api.get("/api/session").json()["documents_version"] == seen[-1]


# ------------------------------------------------------------------ reads kept between requests (keep_reads)
def _queue(api, **params) -> dict:
    """Every item of ana's queue, by segment."""
    params = {"coder": "ana", "status": "all", "order": "document", **params}
    return {item["segment_id"]: item for item in api.get("/api/queue", params=params).json()["items"]}


def test_the_queue_kept_between_requests_follows_a_refit_made_by_another_program(api, project):
    before = _queue(api)
    assert before["interview_a:1"]["code"] == "family"
    with ProjectStore(project) as other:  # as the background refitter and the CLI write: their own connection
        segments = other.segments()
        other.add_run(pd.DataFrame({"segment_id": segments["segment_id"], "code": "other", "score": 0.5, "rank": 1,
                                    "evidence": [[]] * len(segments)}),
                      model_id="refit", embedding_model="fake@0", engine_version="test", mode="trained", params={},
                      n_training=1, n_decisions=0,
                      queue=pd.DataFrame({"segment_id": segments["segment_id"], "uncertainty": 0.5,
                                          "priority": range(len(segments))}))
    after = _queue(api)
    assert {item["code"] for item in after.values()} == {"other"} and after["interview_a:1"]["score"] == 0.5
    active = api.get("/api/queue", params={"coder": "ana"}).json()["items"]
    assert [item["segment_id"] for item in active] == list(segments["segment_id"])  # the new run's queue
    assert api.get("/api/segments/interview_a:1", params={"coder": "ana"}).json()["suggestions"][0]["code"] == "other"


def test_the_queue_kept_between_requests_follows_decisions_and_undos(api):
    assert _queue(api)["interview_a:1"]["status"] == "open"
    assert api.post("/api/decisions", json=decision(code="stigma")).status_code == 201
    assert _queue(api)["interview_a:1"]["status"] == "coded"
    assert _queue(api)["interview_a:1"]["mine"] == ['Stigma & "labels"']
    api.post("/api/undo", json={"coder": "ana"})
    assert _queue(api)["interview_a:1"]["status"] == "open"


def test_the_queue_kept_between_requests_follows_a_codebook_revision(api, project):
    assert _queue(api)["interview_a:1"]["code_name"] == "Family"
    with ProjectStore(project) as other:
        revised = parse_codebook(CODEBOOK.replace("id: family\n        name: Family", "id: kin\n        name: Kin"))
        other.add_codebook_version(revised, code_map={"family": "kin"})
    item = _queue(api)["interview_a:1"]
    assert (item["code"], item["code_name"]) == ("kin", "Kin")
    assert api.get("/api/codebook").json()["version"] == 2


def test_the_documents_and_queue_kept_between_requests_follow_metadata_withdrawals_and_restores(api, project):
    assert api.get("/api/documents").json()[0]["site"] == "Ulm"
    with ProjectStore(project) as other:
        other.set_metadata({"interview_a": {"site": "Kampala"}})  # a value changed in place
    assert api.get("/api/documents").json()[0]["site"] == "Kampala"
    with ProjectStore(project) as other:
        other.withdraw(["interview_a"])
    assert {item["document"] for item in _queue(api).values()} == {"interview_b"}
    assert [document["document"] for document in api.get("/api/documents").json()] == ["interview_b"]
    assert api.get("/api/queue", params={"coder": "ana"}).json()["progress"]["total"] == 4
    with ProjectStore(project) as other:
        other.restore(["interview_a"])
    assert len(_queue(api)) == 9 and api.get("/api/progress", params={"coder": "ana"}).json()["total"] == 9


def test_the_queue_kept_between_requests_follows_a_skipped_speaker(api, project):
    with ProjectStore(project) as other:
        other.record_skip_speakers(["Interviewer"])
    statuses = {segment: item["status"] for segment, item in _queue(api).items()}
    assert statuses["interview_a:0"] == "skipped" and statuses["interview_a:1"] == "open"


def test_every_table_of_a_project_is_one_whose_writes_make_kept_reads_read_again(tmp_path):
    from theme_assist.project import store as store_module

    store = make_project(tmp_path / "p.taproj")
    tables = {row[0] for row in store._connection().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # project_info is read whole by every state; a table added by a later schema must be watched too
    assert tables - {"project_info"} == set(store_module._TABLES)


def test_a_frame_used_at_every_request_is_kept_however_many_others_are_read_between(tmp_path):
    from theme_assist.project.store import KEPT_READS

    store = make_project(tmp_path / "p.taproj")
    store.keep_reads()
    computed = []

    def queue_frame():
        computed.append(1)
        return pd.DataFrame({"segment_id": ["interview_a:1"]})

    for segment in range(2 * KEPT_READS):  # each segment shown reads frames of its own, the queue's again
        store.kept(("queue",), "suggestions", queue_frame)
        store.kept(("segment", segment), "segments", lambda: pd.DataFrame({"n": [segment]}))
    assert len(computed) == 1


def test_a_read_in_a_write_transaction_rolled_back_is_not_kept(tmp_path):
    store = make_project(tmp_path / "p.taproj")
    store.keep_reads()
    insert = ("INSERT INTO codings (segment_id, code, coder, source, created_at) "
              "VALUES ('interview_a:1', ?, ?, 'x.csv', '2026-01-01T00:00:00.000Z')")
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            db.execute(insert, ("work", "ana"))
            assert len(store.codings()) == 1
            raise RuntimeError
    with store.transaction() as db:  # the same rowid as the coding rolled back, read nowhere in between
        db.execute(insert, ("family", "bo"))
    assert store.codings()[["code", "coder"]].values.tolist() == [["family", "bo"]]


def test_the_queue_shows_each_segments_best_code_the_coder_has_not_rejected(api, project):
    suggestions = ProjectStore(project).suggestions(with_evidence=False)
    by_rank = {segment: group.sort_values("rank")["code"].tolist()
               for segment, group in suggestions.groupby("segment_id")}
    rejections = [("interview_a:1", by_rank["interview_a:1"][:1]), ("interview_b:1", by_rank["interview_b:1"])]
    for segment, codes in rejections:
        for code in codes:
            suggestion_id = int(suggestions.loc[(suggestions["segment_id"] == segment)
                                                & (suggestions["code"] == code), "id"].iloc[0])
            api.post("/api/decisions", json=decision(segment=segment, action="reject", code=code,
                                                     suggestion_id=suggestion_id))
    expected = {segment: codes[0] for segment, codes in by_rank.items()}
    expected["interview_a:1"] = by_rank["interview_a:1"][1]  # the next one; with every code rejected, the best
    for _ in range(2):  # read, then kept
        assert {segment: item["code"] for segment, item in _queue(api).items()} == expected
    assert {segment: item["code"] for segment, item in _queue(api, coder="bo").items()} == \
        {segment: codes[0] for segment, codes in by_rank.items()}


def test_the_queue_kept_between_requests_follows_a_document_added(api, project):
    assert len(_queue(api)) == 9
    added = Document(id="interview_c", text="Ada: I lost the job in May.\n", turns=[Turn(5, 27, "Ada")])
    with ProjectStore(project) as other:  # as `project add` stores one, before any refit suggests for it
        other.add_documents([added])
        other.add_segments(segment_documents([added]))
    item = _queue(api)["interview_c:0"]
    assert (item["text"], item["code"], item["status"]) == ("I lost the job in May.", "", "open")
    assert [document["document"] for document in api.get("/api/documents").json()][-1] == "interview_c"
