"""What the kiosk wires between its central client and the print side: an EventSender and a fetch callable.

Kept in the tests because ``printjobs`` must not import ``kiosk``; the kiosk's composition root needs the
same two adapters (see the report of issue 6).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from kiosk import central_client as kc
from printjobs.errors import FetchFailed, PermanentDeliveryError, TransientDeliveryError
from printjobs.outbox import JobReport
from printjobs.pipeline import FetchedDocument

#: The kiosk of the crash harness: its world is seeded with a client certificate for this id.
CRASH_KIOSK_ID = "ADM-CRASH-01"


class CentralSender:
    """EventSender over the kiosk's central client: network trouble and 5xx are transient, refusals permanent."""

    def __init__(self, client: kc.CentralClient):
        self.client = client

    def send(self, event: JobReport) -> None:
        try:
            self.client.report_print_event(event.document_id, event.job_id, event.outcome, event.cause,
                                           event.counters)
        except (kc.Unreachable, kc.Timeout, kc.ProtocolError) as exc:
            raise TransientDeliveryError(type(exc).__name__) from exc
        except kc.CentralError as exc:
            raise PermanentDeliveryError(type(exc).__name__) from exc


def fetcher(client: kc.CentralClient, session: kc.Session, document_id: str) -> Callable[[str], FetchedDocument]:
    """``fetch(job_id)``: claim and download one document, verified; cards arrive as a zip of two PNGs."""

    def fetch(job_id: str) -> FetchedDocument:
        try:
            document = client.fetch_document(session, document_id, job_id)
        except (kc.Unreachable, kc.Timeout) as exc:
            raise FetchFailed("unreachable") from exc
        except kc.BadSignature as exc:
            raise FetchFailed("bad-signature") from exc
        if document.content_type == "application/zip":
            with zipfile.ZipFile(io.BytesIO(document.content)) as archive:
                return FetchedDocument([archive.read("front.png"), archive.read("back.png")])
        return FetchedDocument([document.content])

    return fetch
