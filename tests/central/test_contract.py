"""The contract: importable without FastAPI, its OpenAPI document committed and current, canonical signing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from central.cli import OPENAPI_FILE, openapi_text
from central.contract import ContentMetadata, holder_digest, signing_payload

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_contract():
    assert OPENAPI_FILE.read_text(encoding="utf-8") == openapi_text(), "run: adm-central openapi --write"


def test_openapi_names_every_endpoint_of_the_design():
    paths = json.loads(OPENAPI_FILE.read_text())["paths"]
    assert set(paths) == {
        "/v1/sessions", "/v1/sessions/qr", "/v1/sessions/finger/challenge", "/v1/sessions/finger",
        "/v1/sessions/current", "/v1/pin-requests", "/v1/documents",
        "/v1/documents/{document_id}/content", "/v1/documents/{document_id}/print-events",
        "/v1/kiosks/{kiosk_id}/heartbeat", "/v1/kiosks/{kiosk_id}/diagnostics", "/v1/verify/{code}",
        "/v1/queue/check-in", "/v1/document-types", "/v1/kiosks/{kiosk_id}/ratings",
        # the officer role
        "/v1/officer-sessions", "/v1/officer-sessions/current", "/v1/officer-requests",
        "/v1/officer-requests/{code}/sessions",
        "/v1/kiosks/{kiosk_id}/help-calls",
    }


def test_contract_imports_without_fastapi():
    code = "import sys, central.contract\nprint(sorted(m for m in ('fastapi', 'kivy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_signing_payload_is_canonical():
    meta = ContentMetadata(document_id="DOC-1", type="kk", version=2, content_type="application/pdf",
                           sha256="ab" * 32, issued_at="2026-01-02T03:04:05Z", holder="cd" * 16)
    assert signing_payload(meta) == (
        b'{"content_type":"application/pdf","document_id":"DOC-1","holder":"' + b"cd" * 16 + b'",'
        b'"issued_at":"2026-01-02T03:04:05Z","sha256":"' + b"ab" * 32 + b'","type":"kk","version":2}'
    )


def test_the_holder_digest_is_domain_separated_and_fixed():
    """Kiosks and every server must compute the same 32 hex digits, and none that another use of SHA-256 gives."""
    import hashlib

    nik = "3273021708850001"
    assert holder_digest(nik) == hashlib.sha256(b"adm/holder/v2\0" + nik.encode()).hexdigest()[:32]
    assert holder_digest(nik) != hashlib.sha256(nik.encode()).hexdigest()[:32]
    assert len({holder_digest(n) for n in (nik, "3273035907010004")}) == 2
