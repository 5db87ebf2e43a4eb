"""check-config reads the kiosk's client certificate with the central service's own rule, before any call.

A certificate issued to another kiosk id, an expired one, a CA's certificate or a key that is not the
certificate's would make every call fail at the service (403 ``kiosk_mismatch``, a TLS refusal), and the
outbox would retry print events against it forever; here it is an error naming the key instead.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from central.pki import issue, make_ca
from kiosk.config import CERT_WARN_DAYS, certificate_problems, load_config
from kiosk.demo import demo_config_text

ROOT = Path(__file__).resolve().parent.parent


def check_config(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "check-config", "--demo", str(path)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})


def kiosk_dir(tmp_path: Path, *, common_name: str = "ADM-DEMO-01", key_of: str | None = None,
              cert: bytes | None = None) -> Path:
    """The demo config in ``tmp_path`` with a CA, a client certificate for ``common_name`` and a key."""
    data = yaml.safe_load(demo_config_text())
    ca = make_ca()
    issued = issue(ca, common_name, server=False)
    other = issue(ca, key_of, server=False) if key_of else issued
    files = {"ca.pem": ca.cert_pem, "kiosk.pem": cert or issued.cert_pem, "kiosk.key": other.key_pem,
             "signing.pub": b""}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    data["central"].update(ca_file="ca.pem", client_cert="kiosk.pem", client_key="kiosk.key")
    data["central"]["signing_keys"] = [{"key_id": "k1", "public_key": "signing.pub"}]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path / "config.yaml"


def kiosk_id() -> str:
    return yaml.safe_load(demo_config_text())["kiosk"]["id"]


def test_a_certificate_of_this_kiosk_with_its_key_passes(tmp_path: Path):
    path = kiosk_dir(tmp_path, common_name=kiosk_id())
    assert certificate_problems(load_config(path)) == ([], [])
    result = check_config(path)
    assert result.returncode == 0, result.stderr


def test_a_certificate_of_another_kiosk_is_an_error_naming_both_ids(tmp_path: Path):
    path = kiosk_dir(tmp_path, common_name="ADM-BDG-07")
    result = check_config(path)
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith("error: central.client_cert: issued to kiosk 'ADM-BDG-07'") and kiosk_id() in line


def test_a_key_that_is_not_the_certificates_is_an_error(tmp_path: Path):
    path = kiosk_dir(tmp_path, common_name=kiosk_id(), key_of="ADM-OTHER")
    errors, _ = certificate_problems(load_config(path))
    assert [str(e) for e in errors] == ["central.client_key: does not belong to central.client_cert"]


def test_the_cas_own_certificate_is_not_a_kiosks(tmp_path: Path):
    ca = make_ca()
    path = kiosk_dir(tmp_path, cert=ca.cert_pem)
    errors, _ = certificate_problems(load_config(path))
    assert any("not a kiosk certificate" in str(e) for e in errors), errors


@pytest.mark.parametrize("days,error,warning", [(400, None, None), (10, None, "expires on"), (-1, "expired on", None)])
def test_an_ending_certificate_warns_and_an_ended_one_is_an_error(tmp_path: Path, days: int, error, warning):
    path = kiosk_dir(tmp_path, common_name=kiosk_id())
    # issue() makes certificates valid for longer than a year; look at them from later instead.
    from cryptography import x509

    ends = x509.load_pem_x509_certificate((tmp_path / "kiosk.pem").read_bytes()).not_valid_after_utc
    errors, warnings = certificate_problems(load_config(path), now=ends - dt.timedelta(days=days, hours=1))
    assert [str(e) for e in errors if error and error in str(e)] == [str(e) for e in errors]
    assert bool(errors) == bool(error) and bool(warnings) == bool(warning)
    if warning:
        assert warning in str(warnings[0]) and days < CERT_WARN_DAYS


def test_an_unreadable_certificate_is_one_clear_line(tmp_path: Path):
    path = kiosk_dir(tmp_path, cert=b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    errors, _ = certificate_problems(load_config(path))
    assert [str(e) for e in errors] == ["central.client_cert: not a PEM certificate"]
