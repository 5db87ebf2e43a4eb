"""A hypothesis state machine over job states: random moves, restarts, deliveries and resolutions.

The model is the transition table itself plus what each compound move implies; whatever the order, the
journal never accepts an illegal move, never loses a job, and never lets a job that may have printed go
back to being printable.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from printjobs.errors import IllegalTransition
from printjobs.journal import TRANSITIONS, JobState, Resolution
from printjobs.outbox import JobReport
from printjobs.store import PrintStore
from tests.factories import NIK, examples

C, F, S, P, X, U, R, D = (JobState.CREATED, JobState.FETCHED, JobState.SENDING, JobState.PRINTED, JobState.FAILED,
                          JobState.UNCERTAIN, JobState.RESOLVED, JobState.REPORTED)
#: The issue's state diagram, written out independently of the code's table.
SPEC = {(C, F), (F, S), (S, P), (P, D), (C, X), (F, X), (S, X), (X, D), (S, U), (U, R), (R, D)}


def test_the_table_is_the_specified_diagram():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == SPEC


class AcceptAll:
    """An EventSender that always succeeds (delivery order is what the machine explores)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def send(self, event: JobReport) -> None:
        self.keys.append(event.key)


class JobMachine(RuleBasedStateMachine):
    jobs = Bundle("jobs")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="pj-sm-"))
        self.sender = AcceptAll()
        self.store = PrintStore(self.dir, sender=self.sender)
        self.model: dict[str, JobState] = {}
        self.ever_sending: set[str] = set()

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(target=jobs, kind=st.sampled_from(["a4", "card"]))
    def create(self, kind: str) -> str:
        job = self.store.create_job(f"doc-{len(self.model)}", "KK" if kind == "a4" else "KTP-el", kind,
                                    "card_printer" if kind == "card" else "document_printer", NIK)
        self.model[job.job_id] = JobState.CREATED
        return job.job_id

    @rule(job=jobs, target_state=st.sampled_from(list(JobState)), cause=st.sampled_from(["media-jam", "x"]))
    def raw_transition(self, job: str, target_state: JobState, cause: str) -> None:
        legal = (self.model[job], target_state) in SPEC
        try:
            self.store.journal.transition(job, target_state, cause=cause, resolution=Resolution.NOT_PRINTED,
                                          technician="t1")
        except IllegalTransition:
            assert not legal, f"{self.model[job]} -> {target_state} refused but it is legal"
            return
        assert legal, f"{self.model[job]} -> {target_state} accepted but it is illegal"
        self.model[job] = target_state
        if target_state is JobState.SENDING:
            self.ever_sending.add(job)

    @rule(job=jobs)
    def fetch_and_send(self, job: str) -> None:
        before = self.model[job]
        try:
            if before is JobState.CREATED:
                self.store.fetched(job, [b"pdf"])
                self.model[job] = JobState.FETCHED
            self.store.sending(job)
        except IllegalTransition:
            assert before not in (JobState.CREATED, JobState.FETCHED)
            return
        assert before in (JobState.CREATED, JobState.FETCHED)
        self.model[job] = JobState.SENDING
        self.ever_sending.add(job)

    @rule(job=jobs, outcome=st.sampled_from(["printed", "failed", "uncertain"]))
    def finish(self, job: str, outcome: str) -> None:
        sources = {JobState.SENDING} if outcome != "failed" else {JobState.CREATED, JobState.FETCHED, JobState.SENDING}
        try:
            if outcome == "printed":
                self.store.printed(job, {"paper": 1}, {"pages": 1})
            elif outcome == "failed":
                self.store.failed(job, "media-jam")
            else:
                self.store.uncertain(job, "timed-out")
        except IllegalTransition:
            assert self.model[job] not in sources
            return
        assert self.model[job] in sources
        self.model[job] = {"printed": JobState.PRINTED, "failed": JobState.FAILED,
                           "uncertain": JobState.UNCERTAIN}[outcome]

    @rule(job=jobs, answer=st.sampled_from(list(Resolution)))
    def resolve(self, job: str, answer: Resolution) -> None:
        try:
            self.store.resolve(job, answer, "t1")
        except IllegalTransition:
            assert self.model[job] is not JobState.UNCERTAIN
            return
        assert self.model[job] is JobState.UNCERTAIN
        self.model[job] = JobState.RESOLVED

    @rule()
    def deliver(self) -> None:
        self.store.outbox.deliver_due(now=float("inf"))
        for job_id in self.model:
            self.model[job_id] = self.store.journal.get(job_id).state

    @rule()
    def restart(self) -> None:
        self.store.close()
        self.store = PrintStore(self.dir, sender=self.sender)
        recovery = self.store.recover()
        for job_id in recovery.uncertain:
            assert self.model[job_id] is JobState.SENDING
            self.model[job_id] = JobState.UNCERTAIN
        for job_id in recovery.interrupted:
            assert self.model[job_id] in (JobState.CREATED, JobState.FETCHED)
            self.model[job_id] = JobState.FAILED

    @invariant()
    def journal_matches_model(self) -> None:
        for job_id, state in self.model.items():
            assert self.store.journal.get(job_id).state is state

    @invariant()
    def a_job_that_may_have_printed_never_becomes_printable_again(self) -> None:
        for job_id in self.ever_sending:
            assert self.model[job_id] not in (JobState.CREATED, JobState.FETCHED)

    @precondition(lambda self: bool(self.model))
    @invariant()
    def only_legal_paths_in_history(self) -> None:
        for job_id in self.model:
            for source, target, _ in self.store.journal.history(job_id):
                if source is not None:
                    assert (JobState(source), JobState(target)) in SPEC


JobMachine.TestCase.settings = settings(max_examples=examples(100), stateful_step_count=30, deadline=None)
TestJobStates = JobMachine.TestCase
