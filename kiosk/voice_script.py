"""What voice guidance says when the flow's state changes: a pure function of (old, new) state.

Each resident screen has a spoken introduction (``speech.<screen>``); a new message (an error, a warning)
is spoken as it is shown; printing progress is spoken per document ("dokumen 1 dari 2 selesai"); the done
screen ends with the reminders to take the card from the card printer's slot and the documents. Keypads
speak how many digits are in, never which (:func:`digit_count`). Nothing here reads a NIK, a PIN, a name or
a document's content: the lines carry message keys and numbers only (see :mod:`kiosk.voice`).
"""

from __future__ import annotations

from central.vocabulary import Media
from kiosk.flow_model import FlowState, Phase, Screen
from kiosk.message_keys import N_
from kiosk.voice import SpeechLine

#: The introduction of each screen a resident meets (the technician area is not spoken).
SCREEN_SPEECH: dict[Screen, str] = {
    Screen.ATTRACT: N_("speech.attract"),
    Screen.NIK_ENTRY: N_("speech.nik_entry"),
    Screen.PIN_ENTRY: N_("speech.pin_entry"),
    Screen.DOCUMENTS: N_("speech.documents"),
    Screen.CONFIRM: N_("speech.confirm"),
    Screen.PRINTING: N_("speech.printing"),
    Screen.DONE: N_("speech.done"),
    Screen.OUT_OF_SERVICE: N_("speech.out_of_service"),
    Screen.CLOSED: N_("speech.closed"),
    Screen.QUEUE: N_("speech.queue"),
    Screen.VERIFY: N_("speech.verify"),
    Screen.PIN_RESET: N_("speech.pin_reset"),
    Screen.FINGER: N_("speech.finger"),
}
_PHASE_SPEECH = {Phase.PRINTING: N_("speech.doc_printing"), Phase.DONE: N_("speech.doc_done"),
                 Phase.FAILED: N_("speech.doc_failed")}


def lines_for(old: FlowState | None, new: FlowState, help_location: str = "") -> list[SpeechLine]:
    """What to say after ``old`` became ``new``, in order; empty when voice is off (not accessible)."""
    if not new.accessible:
        return []
    lines: list[SpeechLine] = []
    screen_changed = old is None or old.screen is not new.screen or not old.accessible
    if screen_changed and new.screen in SCREEN_SPEECH:
        lines.append(_screen_line(new))
    if new.message is not None and (screen_changed or old is None or old.message != new.message):
        params: dict[str, int | str] = {k: v for k, v in new.message.params.items()
                                        if isinstance(v, int) and not isinstance(v, bool)}
        if "help" in new.message.params:
            params["help"] = help_location
        lines.append(SpeechLine(new.message.key, params))
    if old is not None and not screen_changed:
        lines += _progress(old, new)
    if new.screen is Screen.DONE and screen_changed:
        lines += reminders(new)
        lines.append(SpeechLine(N_("speech.rating")))
    elif new.screen is Screen.DONE and old is not None and new.rated is not None and old.rated is None:
        lines.append(SpeechLine(N_("rating.thanks")))
    elif new.screen is Screen.DONE and old is not None and new.slip_printed and not old.slip_printed \
            and SpeechLine(N_("speech.take_documents")) not in reminders(old):
        lines.append(SpeechLine(N_("speech.take_documents")))  # the printed-documents slip came out later
    if new.idle_warning_since is not None and (old is None or old.idle_warning_since is None):
        lines.append(SpeechLine(N_("speech.idle")))
    if new.help is not None and (old is None or old.help is not new.help):  # the help panel, read out
        lines.append(SpeechLine(f"help.{new.help.value}.body", {"help": help_location}))
    return lines


def _screen_line(state: FlowState) -> SpeechLine:
    key = SCREEN_SPEECH[state.screen]
    if state.screen is Screen.DOCUMENTS:
        return SpeechLine(key, {"count": sum(1 for d in state.documents if d.status.value == "ready")})
    return SpeechLine(key)


def _progress(old: FlowState, new: FlowState) -> list[SpeechLine]:
    before = {p.id: p.phase for p in old.progress}
    total = len(new.progress)
    return [SpeechLine(_PHASE_SPEECH[p.phase], {"n": i, "of": total})
            for i, p in enumerate(new.progress, start=1)
            if p.phase in _PHASE_SPEECH and before.get(p.id) is not p.phase]


def reminders(state: FlowState) -> list[SpeechLine]:
    """The last words of a session: take the card from the card printer's slot, take the documents."""
    media = {d.id: d.media for d in state.documents}
    printed = {media.get(p.id) for p in state.progress if p.phase is Phase.DONE}
    lines = []
    if Media.CARD in printed:
        lines.append(SpeechLine(N_("speech.take_card")))
    if Media.A4 in printed or state.slip_printed:
        lines.append(SpeechLine(N_("speech.take_documents")))
    return lines


def digit_count(count: int, of: int) -> SpeechLine:
    """After a keypad key: how many digits are in ("angka ke-5 dari 16"), never which."""
    if count <= 0:
        return SpeechLine(N_("speech.no_digits"), {"of": of})
    return SpeechLine(N_("speech.digit"), {"n": count, "of": of})


def lines_to_prepare(max_documents: int = 4) -> list[SpeechLine]:
    """What is worth synthesising before anyone asks: every screen's words, the reminders, the idle warning,
    each digit count of the NIK and PIN keypads, and document progress for a few documents."""
    from central.vocabulary import NIK_DIGITS, PIN_DIGITS

    lines = [SpeechLine(key) for key in SCREEN_SPEECH.values() if key != N_("speech.documents")]
    lines += [SpeechLine(N_(key)) for key in ("speech.take_card", "speech.take_documents", "speech.idle",
                                              "speech.rating", "rating.thanks")]
    lines += [SpeechLine(N_("speech.documents"), {"count": n}) for n in range(1, max_documents + 1)]
    lines += [digit_count(n, of) for of in (NIK_DIGITS, PIN_DIGITS) for n in range(0, of + 1)]
    lines += [SpeechLine(key, {"n": n, "of": of}) for key in _PHASE_SPEECH.values()
              for of in range(1, max_documents + 1) for n in range(1, of + 1)]
    return lines
