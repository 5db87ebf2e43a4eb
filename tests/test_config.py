"""The config.yaml schema: the shipped files are valid; every kind of mistake is named by its key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from kiosk.config import Config, ConfigError, config_model, load_config, masked_dump, parse_config

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "kiosk" / "demo" / "config.yaml"


@pytest.fixture
def shipped() -> dict:
    return yaml.safe_load(DEMO_CONFIG.read_text())


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, base_dir=Path("/etc/adm-kiosk"))
    return [str(p) for p in info.value.problems]


def test_demo_config_is_valid_and_uses_simulated_devices():
    config = load_config(DEMO_CONFIG)
    assert config.kiosk.default_language == "id"
    assert config.devices.document_printer.driver == "simulated"
    assert config.devices.card_printer.driver == "simulated"
    assert config.central.url.startswith("https://127.0.0.1")


def test_relative_paths_resolve_against_the_config_directory(demo_config_dir: Path):
    config = load_config(demo_config_dir / "config.yaml")
    assert config.storage.state_dir == (demo_config_dir / "state").resolve()
    assert config.central.ca_file == (demo_config_dir / "demo-data" / "ca.pem").resolve()
    assert config.central.signing_keys[0].public_key.parent == (demo_config_dir / "demo-data").resolve()


def test_production_example_uses_real_drivers_and_no_technician():
    config = load_config(ROOT / "config.yaml")
    assert config.devices.document_printer.driver == "cups"
    assert config.devices.card_printer.driver == "cups"
    assert config.technician.technicians == []
    assert str(config.storage.state_dir) == "/var/lib/adm-kiosk"
    assert config.storage.retention_days == 90  # the documented default, written out for the administrator
    assert config.central.ca_file == ROOT / "ca.pem"  # beside the file: /etc/adm-kiosk/ca.pem once installed


def test_every_field_has_a_description():
    """Every key of the schema, the drivers' own config models included, says what it is for."""
    import typing

    from pydantic import BaseModel

    def models_in(annotation, found: set) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.add(annotation)
                for field in annotation.model_fields.values():
                    models_in(field.annotation, found)
        for arg in typing.get_args(annotation):
            models_in(arg, found)

    models: set = set()
    models_in(config_model(), models)
    names = {m.__name__ for m in models}
    assert {"CupsCardPrinterConfig", "UsbProbeConfig", "SerialBarcodeReaderConfig", "KioskSection"} <= names
    assert len(models) > 15
    missing = [f"{model.__name__}.{name}" for model in models for name, field in model.model_fields.items()
               if not field.description and name != "driver"]
    assert missing == []


# Each case: (what to change, the key path that must be named, words the message must contain)
def _set(path: str, value):
    def apply(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key = int(last) if isinstance(node, list) else last
        if value is _DELETE:
            del node[key]
        else:
            node[key] = value

    return apply


_DELETE = object()

INVALID = [
    ("unknown key", _set("kiosk.idel_warning_s", 30), "kiosk.idel_warning_s", "did you mean 'idle_warning_s'"),
    ("wrong type", _set("kiosk.idle_warning_s", "sixty"), "kiosk.idle_warning_s", "valid number"),
    ("missing required", _set("kiosk.id", _DELETE), "kiosk.id", "required"),
    ("bad driver", _set("devices.card_printer", {"driver": "cupz"}), "devices.card_printer.driver", "'cupz'"),
    ("missing driver", _set("devices.document_printer", {"queue": "A4"}), "devices.document_printer.driver",
     "required"),
    ("cups without queue", _set("devices.document_printer", {"driver": "cups"}), "devices.document_printer.queue",
     "required"),
    ("not https", _set("central.url", "http://central.example"), "central.url", "https://"),
    ("bad language", _set("kiosk.default_language", "jv"), "kiosk.default_language", "id, en"),
    ("negative timeout", _set("kiosk.idle_logout_s", -5), "kiosk.idle_logout_s", "greater than 0"),
    ("metrics not loopback", _set("metrics.host", "0.0.0.0"), "metrics.host", "loopback"),
    ("pin in clear", _set("technician.technicians.0.pin_hash", "246810"), "technician.technicians.0.pin_hash",
     "hash-pin"),
    ("bad usb id", _set("devices.receipt_printer", {"driver": "usb", "vendor_id": "xyz", "product_id": 1}),
     "devices.receipt_printer.vendor_id", "USB id"),
    ("bad terminator", _set("devices.barcode_readers.0", {"name": "a", "driver": "serial", "port": "/dev/ttyACM0",
                                                          "terminator": "NL"}),
     "devices.barcode_readers.0.terminator", "CR, LF, CRLF, TAB"),
    ("duplicate reader names", _set("devices.barcode_readers", [{"name": "a", "driver": "simulated"}] * 2),
     "devices.barcode_readers", "unique"),
    ("no signing keys", _set("central.signing_keys", []), "central.signing_keys", "at least 1"),
    ("section not a mapping", _set("storage", "state"), "storage", "valid dictionary"),
    ("retention too short", _set("storage.retention_days", 1), "storage.retention_days", "greater than or equal to 7"),
    ("unknown section", _set("printer", {}), "printer", "unknown key"),
    ("backoff out of order", _set("central.retry_backoff", {"first_s": 10, "max_s": 1}), "central.retry_backoff",
     "first_s must not be larger"),
    ("misspelt nested key", _set("devices.document_printer.seconds_per_pgae", 1),
     "devices.document_printer.seconds_per_pgae", "did you mean 'seconds_per_page'"),
]


@pytest.mark.parametrize("change,path,words", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_each_kind_of_mistake_names_its_key(shipped: dict, change, path: str, words: str):
    data = copy.deepcopy(shipped)
    change(data)
    problems = problems_of(data)
    matching = [p for p in problems if p.startswith(path + ":")]
    assert matching, problems
    assert any(words in p for p in matching), matching


def test_all_errors_are_reported_at_once(shipped: dict):
    data = copy.deepcopy(shipped)
    data["kiosk"]["idel_warning_s"] = 30
    data["central"]["retries"] = "many"
    del data["storage"]["state_dir"]
    data["devices"]["card_printer"]["driver"] = "laser"
    problems = problems_of(data)
    paths = {p.split(":")[0] for p in problems}
    assert {"kiosk.idel_warning_s", "central.retries", "storage.state_dir", "devices.card_printer.driver"} <= paths


@pytest.mark.parametrize(
    "text,words",
    [
        ("", "empty"),
        ("# only a comment\n", "only comments"),
        ("kiosk: [unclosed\n", "not valid YAML at line"),
        ("- a\n- b\n", "mapping of sections"),
        ("kiosk: {}\nkiosk: {}\n", "appears twice"),
        ("\xff\xfe garbage", "not UTF-8"),
    ],
)
def test_unreadable_files_get_one_clear_line(tmp_path: Path, text: str, words: str):
    path = tmp_path / "config.yaml"
    path.write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert len(info.value.problems) == 1
    assert words in str(info.value.problems[0])


def test_masked_dump_hides_secrets_and_keeps_the_rest():
    config = load_config(DEMO_CONFIG)
    dumped = masked_dump(config)
    assert dumped["technician"]["technicians"][0]["pin_hash"] == "***"
    assert "scrypt$" not in yaml.safe_dump(dumped)
    assert dumped["kiosk"]["id"] == config.kiosk.id


def test_config_is_immutable():
    config = load_config(DEMO_CONFIG)
    with pytest.raises(ValidationError):
        config.kiosk.id = "other"  # type: ignore[misc]
    assert isinstance(config, Config)


def test_a_pin_put_where_its_hash_belongs_is_never_echoed(shipped: dict):
    data = copy.deepcopy(shipped)
    data["technician"]["technicians"][0]["pin_hash"] = "246810"
    problems = problems_of(data)
    assert any(p.startswith("technician.technicians.0.pin_hash:") for p in problems)
    assert not any("246810" in p for p in problems)
