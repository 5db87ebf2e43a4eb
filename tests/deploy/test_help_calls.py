"""'Panggil petugas' from a running kiosk (simulated devices, its journal, its metrics endpoint) to the reference
central service over mutual TLS: the call names the screen and a time and nothing of the resident, the
resident's session and screen stay as they were, one call per interval on the kiosk and on the service,
``adm-central fleet`` lists the calls and the kiosk's endpoint counts them."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace

import pytest

from central.cli import main as adm_central
from kiosk.controller import Controller
from kiosk.flow import Flow, FlowState, HelpAnswered, HelpPressed, HelpStatus, Screen
from kiosk.flow_model import DocumentItem, Media
from kiosk.nik import parse_nik
from tests.factories import running_world

NIK = "3273010101900001"


@pytest.fixture
def central(tmp_path_factory):
    """A service of its own per test: its rate limit must not carry one test's call into the next."""
    with running_world(tmp_path_factory.mktemp("central")) as running:
        yield running


class Body:
    """Every request body the kiosk's client sends, as the server receives it."""

    def __init__(self, kiosk):
        self.sent: list[tuple[str, bytes]] = []
        kiosk.runtime.central._http.event_hooks["request"].append(
            lambda request: self.sent.append((request.url.path, request.read())))

    def help_calls(self) -> list[dict]:
        return [json.loads(body) for path, body in self.sent if path.endswith("/help-calls")]


def in_session(kiosk) -> Controller:
    """A resident logged in, on the documents screen, with the running kiosk's effects behind the flow."""
    flow = Flow(kiosk.runtime.flow_settings())
    state = replace(flow.initial(kiosk.runtime.monitor.check()), screen=Screen.DOCUMENTS, nik=parse_nik(NIK),
                    session=object(), masked_name="S*** A***",
                    documents=(DocumentItem("d-kk", "kk", "2026-11-20", Media.A4, title="Kartu Keluarga"),),
                    selected=frozenset({"d-kk"}))
    return Controller(flow, state, kiosk.runtime.effects.perform, strict=True)


def press_help(kiosk, controller: Controller) -> HelpAnswered | None:
    """Press the button; feed the answer back to the flow as the app does; None when nothing was sent."""
    before = len(kiosk.posted)
    controller.dispatch(HelpPressed(now=time.monotonic()))
    if controller.state.help is not HelpStatus.SENDING:
        return None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answers = [e for e in kiosk.posted[before:] if isinstance(e, HelpAnswered)]
        if answers:
            controller.dispatch(answers[0])
            return answers[0]
        time.sleep(0.02)
    raise AssertionError("no answer to the help call")


def fleet_entry(central, kiosk_id: str, capsys) -> dict:
    assert adm_central(["fleet", "--data", str(central.data_dir), "--json"]) == 0
    return {k["kiosk_id"]: k for k in json.loads(capsys.readouterr().out)}[kiosk_id]


def test_a_help_call_reaches_the_service_without_the_resident_and_the_session_stays(live, central, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    kiosk = live()
    body = Body(kiosk)
    controller = in_session(kiosk)
    before: FlowState = controller.state
    answer = press_help(kiosk, controller)
    assert answer is not None and answer.status is HelpStatus.SENT
    after = controller.state
    assert after.help is HelpStatus.SENT
    # The resident's session, screen, documents and choice are exactly as they were.
    assert (after.screen, after.nik, after.session, after.documents, after.selected, after.masked_name) == \
        (before.screen, before.nik, before.session, before.documents, before.selected, before.masked_name)
    # The call carried the screen and a time, nothing of the resident; the kiosk is the certificate's.
    [sent] = body.help_calls()
    assert set(sent) == {"call_id", "screen", "called_at"} and sent["screen"] == "documents"
    raw = b" ".join(content for _path, content in body.sent)
    assert NIK.encode() not in raw and b"S*** A***" not in raw and b"d-kk" not in raw
    logged = " ".join(r.getMessage() + json.dumps(getattr(r, "fields", {}), default=str) for r in caplog.records)
    assert "help.call" in logged and NIK not in logged and "S*** A***" not in logged
    # The operator sees it in the fleet view; the kiosk's endpoint counts it.
    entry = fleet_entry(central, kiosk.config.kiosk.id, capsys)
    assert entry["help_requests"] == 1
    assert [(call["id"], call["screen"]) for call in entry["help_calls"]] == [(sent["call_id"], "documents")]
    assert adm_central(["fleet", "--data", str(central.data_dir)]) == 0
    assert "1 (last " in capsys.readouterr().out
    scraped = kiosk.scrape()
    assert scraped.value("adm_kiosk_help_requests_total", outcome="sent") == 1
    assert scraped.value("adm_kiosk_help_requests_total", outcome="failed") == 0


def test_a_second_press_within_the_interval_sends_nothing_and_says_the_call_is_on_its_way(live, central, capsys):
    kiosk = live()
    body = Body(kiosk)
    controller = in_session(kiosk)
    assert press_help(kiosk, controller).status is HelpStatus.SENT
    assert press_help(kiosk, controller) is None  # the kiosk's own limit: nothing leaves
    assert controller.state.help is HelpStatus.ALREADY and controller.state.screen is Screen.DOCUMENTS
    assert len(body.help_calls()) == 1
    assert fleet_entry(central, kiosk.config.kiosk.id, capsys)["help_requests"] == 1


def test_the_service_refuses_a_flood_with_429_and_the_kiosk_says_the_call_is_on_its_way(live, central, capsys):
    kiosk = live()
    controller = in_session(kiosk)
    assert press_help(kiosk, controller).status is HelpStatus.SENT
    # A second kiosk process with the same certificate (or a kiosk whose own limit was lost in a restart).
    again = in_session(kiosk)
    answer = press_help(kiosk, again)
    assert answer is not None and answer.status is HelpStatus.ALREADY
    assert again.state.help is HelpStatus.ALREADY and again.state.nik is not None
    assert fleet_entry(central, kiosk.config.kiosk.id, capsys)["help_requests"] == 1
    assert kiosk.scrape().value("adm_kiosk_help_requests_total", outcome="refused") == 1


def test_when_the_service_cannot_be_reached_the_resident_is_told_where_to_go_and_may_press_again(live):
    kiosk = live(reachable=False)
    controller = in_session(kiosk)
    answer = press_help(kiosk, controller)
    assert answer is not None and answer.status is HelpStatus.FAILED
    assert controller.state.help is HelpStatus.FAILED and controller.state.screen is Screen.DOCUMENTS
    assert controller.state.help_called_at is None  # nothing went out: the next press tries again
    assert press_help(kiosk, controller) is not None
    assert kiosk.scrape().value("adm_kiosk_help_requests_total", outcome="failed") == 2
