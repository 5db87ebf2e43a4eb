"""The typed schema of ``config.yaml`` and its loader.

One pydantic model describes every key; every field carries a description, which ``check-config``
and the README draw on. Loading never raises anything but :class:`ConfigError`, which carries every
problem at once, each naming its key path (``devices.card_printer.driver``), so that an administrator
fixes a file in one pass instead of one error per restart.

Relative paths in the file are resolved against the directory that holds the file.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from printjobs.backoff import CALL_BACKOFF, OUTBOX_BACKOFF, Backoff

if TYPE_CHECKING:
    from devices import registry


class _Section(BaseModel):
    """Base of every section: unknown keys are errors, never silently ignored."""

    # defer_build: a section's validator is built when first used, so a command that reads a few sections
    # (:class:`StateConfig`) does not build the others'.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class BackoffSection(_Section):
    """A wait between retries (:class:`printjobs.backoff.Backoff`): exponential from ``first_s``, capped at
    ``max_s``, ``jitter`` the random share of each wait (1.0: anywhere from zero; 0.5: the upper half)."""

    first_s: float = Field(..., gt=0, le=3600, description="Longest wait before the first retry, in seconds.")
    max_s: float = Field(..., gt=0, le=86400, description="Longest wait between two retries, in seconds.")
    jitter: float = Field(1.0, ge=0, le=1, description="Random share of each wait; 0 makes kiosks retry in step.")

    @model_validator(mode="after")
    def _valid(self) -> BackoffSection:
        self.policy()  # Backoff's own checks: first_s no larger than max_s
        return self

    def policy(self) -> Backoff:
        return Backoff(self.first_s, self.max_s, self.jitter)

    @classmethod
    def of(cls, backoff: Backoff) -> BackoffSection:
        return cls(first_s=backoff.first_s, max_s=backoff.max_s, jitter=backoff.jitter)


#: Seconds an idle connection to the central service is kept for reuse (``central.keepalive_s``). The server
#: drops its end after its own keep-alive (the reference server: ``central.server.KEEP_ALIVE_S``, 75 s) counted
#: from when it handed its answer to the network, not from when the answer arrived here: this plus the longest
#: answer's transfer on the slowest link plus a round trip must stay under it, or a request leaves on a
#: connection the server has already closed. A 250 KB document on a 256 kbit/s village link takes 8 s; 30 s
#: leaves 35 s to spare. Longer keeps one connection (one TLS handshake, 4 round trips on a 600 ms link) across
#: a resident's session, printer waits included.
DEFAULT_KEEPALIVE_S = 30.0


# --------------------------------------------------------------------------- kiosk
class DisplaySection(_Section):
    fullscreen: bool = Field(True, description="Borderless window covering the whole screen (production).")
    width: int = Field(1920, ge=640, le=7680, description="Window width in pixels when not fullscreen.")
    height: int = Field(1080, ge=480, le=4320, description="Window height in pixels when not fullscreen.")


class KioskSection(_Section):
    id: str = Field(
        ...,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="Identifier of this kiosk at the central service, e.g. 'ADM-3273-KEC-COBLONG-01'.",
    )
    location: str = Field(
        ..., min_length=1, max_length=120, description="Place shown to residents, e.g. 'Kantor Kecamatan Coblong'."
    )
    help_location: str = Field(
        "petugas di loket pelayanan",
        max_length=200,
        description="Where the nearest help is, in Bahasa Indonesia; shown when a resident calls for help, when "
        "the kiosk is out of service or closed, and when the central service cannot be reached.",
    )
    help_location_en: str = Field(
        "",
        max_length=200,
        description="The same in English, e.g. 'the officer at the service counter' (empty: help_location).",
    )
    help_call_interval_s: float = Field(
        120, ge=10, le=3600,
        description="Least seconds between two calls for help from this kiosk ('Panggil petugas'); a press sooner "
        "tells the resident the call is already on its way.",
    )
    default_language: Literal["id", "en"] = Field(
        "id", description="Language of the attract screen and of every new session: 'id' or 'en'."
    )
    idle_warning_s: float = Field(
        60, gt=0, le=600, description="Seconds without a touch before the 'are you still there?' warning."
    )
    idle_logout_s: float = Field(
        20, gt=0, le=300, description="Countdown in seconds on the idle warning before the session is wiped."
    )
    done_logout_s: float = Field(
        15, gt=0, le=300, description="Seconds the done screen stays before the session is wiped."
    )
    display: DisplaySection = Field(default_factory=DisplaySection, description="Window geometry.")


# --------------------------------------------------------------------------- central
class SigningKey(_Section):
    key_id: str = Field(..., min_length=1, max_length=64, description="Key id the central service names in signatures.")
    public_key: Path = Field(..., description="PEM file with the Ed25519 public key that signs documents.")


class CentralSection(_Section):
    url: str = Field(..., description="Base URL of the central service; must be https://.")
    ca_file: Path = Field(..., description="PEM file of the operator's CA: the only CA the kiosk trusts.")
    client_cert: Path = Field(..., description="PEM file with this kiosk's client certificate (mutual TLS).")
    client_key: Path = Field(..., description="PEM file with the private key of the client certificate.")
    signing_keys: list[SigningKey] = Field(
        ...,
        min_length=1,
        description="Trusted document-signing public keys; a document signed by any other is refused.",
    )
    operator_keys: list[SigningKey] = Field(
        default_factory=list,
        description="Trusted operator public keys (Ed25519) for commands in the heartbeat's answer; none: every "
        "command is refused.",
    )
    connect_timeout_s: float = Field(5, gt=0, le=120, description="Seconds to wait for a TCP+TLS connection.")
    read_timeout_s: float = Field(20, gt=0, le=600, description="Seconds to wait for data on an open connection.")
    retries: int = Field(3, ge=0, le=10, description="Retries of idempotent calls, with backoff and jitter.")
    keepalive_s: float = Field(
        DEFAULT_KEEPALIVE_S, gt=0, le=600,
        description="Seconds an idle connection to the service is kept for the next call; keep it under the "
        "service's own keep-alive minus the time the largest document takes on this kiosk's link.")
    retry_backoff: BackoffSection = Field(
        BackoffSection.of(CALL_BACKOFF), description="Wait between the retries of one call (a resident may wait).")
    outbox_backoff: BackoffSection = Field(
        BackoffSection.of(OUTBOX_BACKOFF),
        description="Wait between deliveries of a print event the service did not take (nobody waits).")
    heartbeat_interval_s: float = Field(60, ge=5, le=3600, description="Seconds between heartbeats.")

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not re.match(r"^https://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError("must be an https:// URL, e.g. https://central.example.go.id")
        return value.rstrip("/")


# --------------------------------------------------------------------------- devices
# The devices section comes from the driver registry: one key per kind of device, each a union of that
# kind's drivers' config models told apart by ``driver:``. A driver module that registers itself is a new
# choice here without any edit to this file.
def _device_union(kind: registry.DeviceKind) -> Any:
    from devices import registry

    # By name: the order of the choices (and of the names in an error) must not hang on which module a
    # process happened to import first.
    models = tuple(spec.config_model for spec in sorted(registry.drivers(kind.name), key=lambda s: s.name))
    if not models:
        return None
    if len(models) == 1:
        return models[0]
    return Annotated[Union[models], Field(discriminator="driver")]  # noqa: UP007


def _unique_names(cls: type, readers: list) -> list:
    names = [getattr(r, "name", None) for r in readers]
    duplicates = sorted({str(n) for n in names if n is not None and names.count(n) > 1})
    if duplicates:
        raise ValueError(f"names must be unique; repeated: {', '.join(duplicates)}")
    return readers


def devices_section_model() -> type[BaseModel]:
    """The ``devices`` section as the registry has it now."""
    from devices import registry

    fields: dict[str, Any] = {}
    many: list[str] = []
    for kind in registry.kinds():
        union = _device_union(kind)
        if union is None:
            continue
        if kind.many:
            many_of = types.GenericAlias(list, union)  # list[union], spelled so for a type known at run time only
            fields[kind.key] = (many_of, Field(default_factory=list, description=kind.description))
            many.append(kind.key)
        else:
            fields[kind.key] = (Optional[union], Field(None, description=kind.description))  # noqa: UP045
    validators: dict[str, Callable[..., Any]] = {"_unique_names": field_validator(*many)(_unique_names)} if many else {}
    return create_model("DevicesSection", __base__=_Section, __doc__="Printers and barcode readers.",
                        __validators__=validators, **fields)


# Built from the registry by :func:`config_model`, on the first load, not at import: the registry imports every
# driver module to know them, which commands that read only the kiosk's state (:class:`StateConfig`) skip.
# Its keys are read by device kind (getattr).
DevicesSection = _Section


# --------------------------------------------------------------------------- the rest
class ConsumablesSection(_Section):
    blanko_low: int = Field(20, ge=0, description="Blank cards left at which the card printer warns.")
    ribbon_low: int = Field(25, ge=0, description="Ribbon prints left at which the card printer warns.")
    paper_low: int = Field(50, ge=0, description="A4 sheets left at which the document printer warns.")
    receipt_low: int = Field(50, ge=0, description="Receipts left at which the receipt printer warns.")


class StorageSection(_Section):
    state_dir: Path = Field(..., description="Directory for the journal, outbox, audit log and keys.")
    retention_days: int = Field(
        90, ge=7, le=3650,
        description="Days a finished print job stays in the journal once the central service has its outcome; "
        "then it is pruned with its history and events. Uncertain jobs, jobs whose outcome is not yet "
        "delivered and the audit log are always kept.",
    )


_PIN_HASH = re.compile(r"^scrypt\$\d+\$\d+\$\d+\$[0-9a-f]{32}\$[0-9a-f]{64}$")


class Technician(_Section):
    id: str = Field(..., pattern=r"^[A-Za-z0-9._-]{1,32}$", description="Technician id written to the audit log.")
    pin_hash: str = Field(
        ..., description="scrypt hash of the technician PIN, made by 'adm-kiosk hash-pin'. Never the PIN itself."
    )

    @field_validator("pin_hash")
    @classmethod
    def _hash_format(cls, value: str) -> str:
        if not _PIN_HASH.match(value):
            raise ValueError("must be a hash made by 'adm-kiosk hash-pin' (scrypt$N$r$p$salt$hash), not a PIN")
        return value


class TechnicianSection(_Section):
    technicians: list[Technician] = Field(default_factory=list, description="Who may open the diagnostics area.")
    max_attempts: int = Field(5, ge=1, le=20, description="Wrong PINs before the entry locks.")
    lockout_s: float = Field(
        300, gt=0, le=86400, description="Seconds the entry stays locked after too many wrong PINs."
    )
    idle_exit_s: float = Field(120, gt=0, le=3600, description="Seconds without a touch before diagnostics closes.")
    export_dir: Path = Field(
        Path("/media/adm-kiosk-usb"), description="Mount path of the technician's USB stick for exports."
    )


class LoggingSection(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Lowest level written.")
    format: Literal["json", "text"] = Field("json", description="One JSON object per line (journald) or text.")


class MetricsSection(_Section):
    enabled: bool = Field(True, description="Serve Prometheus metrics.")
    host: str = Field("127.0.0.1", description="Address to listen on; loopback only.")
    port: int = Field(9464, ge=1024, le=65535, description="Port of the metrics endpoint.")

    @field_validator("host")
    @classmethod
    def _loopback(cls, value: str) -> str:
        try:
            loopback = ipaddress.ip_address(value).is_loopback
        except ValueError:
            loopback = value == "localhost"
        if not loopback:
            raise ValueError("must be a loopback address such as 127.0.0.1; metrics never leave the machine")
        return value


class VoiceSection(_Section):
    clips_dir: Path | None = Field(
        None, description="Recorded clips, <clips_dir>/<id|en>/<message id>.wav, spoken instead of the "
                          "synthetic voice; default: <state_dir>/voice/clips."
    )
    cache_dir: Path | None = Field(None, description="Synthesised speech kept here; default: <state_dir>/voice/cache.")
    words_per_minute: int = Field(150, ge=80, le=300, description="espeak-ng's speaking rate.")


class OfficerSection(_Section):
    """The officer role: officers are accounts of the central service; here only their timeouts."""

    idle_warning_s: float = Field(
        30, gt=0, le=600, description="Seconds without a touch before the idle warning while an officer is signed in "
        "(shorter than kiosk.idle_warning_s: an officer's session is not left open).")
    session_s: float = Field(
        240, gt=0, le=900, description="Seconds after the officer signs in that the officer session ends, whatever "
        "happens; a print under way finishes and is recorded first. The central service ends it too.")


class Config(_Section):
    """The whole of ``config.yaml``."""

    kiosk: KioskSection = Field(..., description="This kiosk: identity, place, language, timeouts.")
    central: CentralSection = Field(..., description="The central Disdukcapil service.")
    devices: DevicesSection = Field(..., description="Printers and barcode readers.")
    consumables: ConsumablesSection = Field(
        default_factory=ConsumablesSection, description="Warning thresholds for consumables."
    )
    storage: StorageSection = Field(..., description="Where the kiosk keeps its state.")
    technician: TechnicianSection = Field(default_factory=TechnicianSection, description="Diagnostics access.")
    logging: LoggingSection = Field(default_factory=LoggingSection, description="Log output.")
    metrics: MetricsSection = Field(default_factory=MetricsSection, description="Prometheus metrics endpoint.")
    voice: VoiceSection = Field(default_factory=VoiceSection, description="Voice guidance (accessibility mode).")
    officer: OfficerSection = Field(default_factory=lambda: OfficerSection(),
                                    description="Officers (OPSI) printing for residents without a phone.")

    def files_to_check(self) -> list[tuple[str, Path]]:
        """The key paths and files the kiosk will open at start."""
        files = [
            ("central.ca_file", self.central.ca_file),
            ("central.client_cert", self.central.client_cert),
            ("central.client_key", self.central.client_key),
        ]
        for i, key in enumerate(self.central.signing_keys):
            files.append((f"central.signing_keys.{i}.public_key", key.public_key))
        # Operator keys are left out: without one the kiosk serves residents and refuses commands (logged).
        return files


_schema: tuple[int, type[Config]] = (-1, Config)


def config_model() -> type[Config]:
    """The schema for the drivers registered now: a subclass of :class:`Config` whose devices section knows
    every registered driver, built on the first call and again once a driver registered after it (a test's
    own)."""
    from devices import registry

    global _schema
    generation, model = _schema
    if generation != registry.generation():
        section = devices_section_model()
        model = create_model("Config", __base__=Config, __doc__=Config.__doc__,
                             devices=(section, Field(..., description=Config.model_fields["devices"].description)))
        _schema = (registry.generation(), model)
    return model


class StateConfig(BaseModel):
    """The sections of ``config.yaml`` that the commands reading the kiosk's state use (``journal``, ``audit``).

    They open the journal of a kiosk whose devices section may be wrong (the technician is there to fix it),
    and so load neither the drivers nor the other sections; the other keys are left to ``check-config``.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    consumables: ConsumablesSection = Field(default_factory=ConsumablesSection,
                                            description=Config.model_fields["consumables"].description)
    storage: StorageSection = Field(..., description=Config.model_fields["storage"].description)
    technician: TechnicianSection = Field(default_factory=TechnicianSection,
                                          description=Config.model_fields["technician"].description)
    logging: LoggingSection = Field(default_factory=LoggingSection,
                                    description=Config.model_fields["logging"].description)


#: Keys whose values are never printed (``check-config --show`` masks them).
SECRET_KEYS = frozenset({"pin_hash"})


# --------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file, at a key path ('' for the file itself)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(Exception):
    """The file could not be turned into a :class:`Config`; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML would keep the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (first on line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> dict:
    """Read a YAML mapping from ``path``; any failure becomes a one-line :class:`ConfigError`."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, [Problem("", f"{name}: no such file")]) from None
    except IsADirectoryError:
        raise ConfigError(name, [Problem("", f"{name}: is a directory, not a config file")]) from None
    except PermissionError:
        raise ConfigError(name, [Problem("", f"{name}: permission denied")]) from None
    except UnicodeDecodeError:
        raise ConfigError(name, [Problem("", f"{name}: not UTF-8 text")]) from None
    if not text.strip():
        raise ConfigError(name, [Problem("", f"{name}: the file is empty")])
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(name, [Problem("", f"{name}: not valid YAML{where}: {problem}")]) from None
    if data is None:
        raise ConfigError(name, [Problem("", f"{name}: the file holds only comments")])
    if not isinstance(data, dict):
        raise ConfigError(name, [Problem("", f"{name}: must be a mapping of sections (kiosk:, central:, ...)")])
    return data


def load_config(path: str | Path, base_dir: Path | None = None) -> Config:
    """Load and validate ``config.yaml``; relative paths resolve against its directory (or ``base_dir``: a
    config the operator pushed, kept in the state directory, names its files as /etc's file does)."""
    path = Path(path)
    data = read_yaml(path)
    return parse_config(data, base_dir=Path(base_dir).resolve() if base_dir else path.resolve().parent,
                        source=str(path))


def load_state_config(path: str | Path) -> StateConfig:
    """Load and validate only the sections of :class:`StateConfig`; relative paths resolve as in
    :func:`load_config`."""
    path = Path(path)
    data = read_yaml(path)
    try:
        config = StateConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(str(path), describe_errors(exc, StateConfig)) from None
    return _resolve_paths(config, path.resolve().parent)


def parse_config(data: dict, base_dir: Path, source: str = "config") -> Config:
    """Validate a mapping already read from YAML."""
    schema = config_model()
    try:
        config = schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, describe_errors(exc, schema)) from None
    return _resolve_paths(config, base_dir)


def _resolve_paths(model: BaseModel, base_dir: Path) -> Any:
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Path) and not value.is_absolute():
            updates[name] = (base_dir / value).resolve()
        elif isinstance(value, BaseModel):
            updates[name] = _resolve_paths(value, base_dir)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            updates[name] = [_resolve_paths(item, base_dir) for item in value]
    return model.model_copy(update=updates) if updates else model


# --------------------------------------------------------------------------- error text
def describe_errors(exc: ValidationError, schema: type[BaseModel] | None = None) -> list[Problem]:
    """Turn pydantic's errors into one :class:`Problem` per wrong key, with 'did you mean'."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors(include_url=False):
        path, model = _display_path(error["loc"], schema or config_model())
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = f"{path}.driver" if path else "driver"
        message = _message(error, model)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(Problem(path or "(top level)", message))
    return problems


def _message(error: ErrorDetails, parent: type[BaseModel] | None) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = list(parent.model_fields) if parent else []
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(known)})" if known else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"{ctx.get('tag')!r} is not one of: {_tags(ctx.get('expected_tags', ''))}"
    if kind == "union_tag_not_found":
        return f"required key is missing (which driver: {_driver_names(loc)}?)"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{_short(error.get('input'))} is not one of: {_tags(expected)}"
    message = error["msg"]
    secret = bool(loc) and str(loc[-1]) in SECRET_KEYS  # a PIN put where its hash belongs stays unseen
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    elif message.startswith("Input "):
        message = message[len("Input ") :]
    if "input" in error and kind != "model_type" and not secret:
        return f"{message} (got {_short(error.get('input'))})"
    return message


def _driver_names(loc: tuple) -> str:
    from devices import registry

    keys = {str(part) for part in loc}
    names = [spec.name for kind in registry.kinds() if kind.key in keys for spec in registry.drivers(kind.name)]
    names = list(dict.fromkeys(names or [spec.name for spec in registry.drivers()]))
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def _tags(expected: str) -> str:
    return ", ".join(t.strip().strip("'") for t in re.split(r",| or ", expected) if t.strip())


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _display_path(loc: Iterable[Any], schema: type[BaseModel]) -> tuple[str, type[BaseModel] | None]:
    """Walk the schema along ``loc``; drop union tags; return the dotted path and the innermost model."""
    parts: list[str] = []
    current: Any = schema
    parent_model: type[BaseModel] | None = None
    items = list(loc)
    i = 0
    while i < len(items):
        item = items[i]
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            parent_model = current
            field = current.model_fields.get(str(item))
            parts.append(str(item))
            if field is None:  # an unknown key: the rest of the path is meaningless
                break
            current = field.annotation
        elif typing.get_origin(current) is list:
            parts.append(str(item))
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) in (Union, types.UnionType):
            members = [m for m in typing.get_args(_unwrap(current)) if m is not type(None)]
            by_tag = {_driver_tag(m): m for m in members if _driver_tag(m)}
            if str(item) in by_tag:
                current = by_tag[str(item)]
            elif len(members) == 1:
                current = members[0]
                continue
            # else: a pydantic union-internal label; skip it
        else:
            parts.append(str(item))
        i += 1
    return ".".join(parts), parent_model


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to what validates."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [m for m in typing.get_args(annotation) if m is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
        flat: list[Any] = []
        for member in members:
            member = _unwrap(member)
            if typing.get_origin(member) in (Union, types.UnionType):
                flat.extend(typing.get_args(member))
            else:
                flat.append(member)
        return Union[tuple(flat)]  # noqa: UP007
    return annotation


def _driver_tag(model: Any) -> str | None:
    if isinstance(model, type) and issubclass(model, BaseModel) and "driver" in model.model_fields:
        args = typing.get_args(model.model_fields["driver"].annotation)
        return str(args[0]) if args else None
    return None


# --------------------------------------------------------------------------- showing
def masked_dump(config: Config) -> dict:
    """The effective config as plain data, secrets replaced by '***'."""
    return _mask(config.model_dump(mode="json"))


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in SECRET_KEYS and v else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def missing_files(config: Config) -> list[Problem]:
    """Files the config names that are not there (yet)."""
    return [Problem(key, f"file not found: {path}") for key, path in config.files_to_check() if not path.is_file()]


#: A client certificate closer than this to its end is worth a warning (the operator's CA needs time).
CERT_WARN_DAYS = 30


def certificate_problems(config: Config, now: datetime | None = None) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the kiosk's client certificate: what the central service would refuse, read with
    the service's own rule (:func:`central.pki.kiosk_id_of`), before a single call. Missing files are
    :func:`missing_files`' business and give nothing here."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from central.pki import NotAKiosk, kiosk_id_of

    section, now = config.central, now or datetime.now(UTC)
    if not section.client_cert.is_file():
        return [], []
    key = "central.client_cert"
    try:
        pem = section.client_cert.read_text(encoding="ascii")
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (OSError, ValueError):
        return [Problem(key, "not a PEM certificate")], []
    errors: list[Problem] = []
    warnings: list[Problem] = []
    try:
        named = kiosk_id_of(pem)
    except NotAKiosk as exc:
        errors.append(Problem(key, f"not a kiosk certificate ({exc}); the central service refuses it"))
    else:
        if named != config.kiosk.id:
            errors.append(Problem(key, f"issued to kiosk {named!r} but kiosk.id is {config.kiosk.id!r}; the central "
                                       "service refuses every call of a kiosk that is not its certificate's "
                                       "(kiosk_mismatch)"))
    ends = cert.not_valid_after_utc
    if ends <= now:
        errors.append(Problem(key, f"expired on {ends:%Y-%m-%d}; ask the operator's CA for a new one"))
    elif cert.not_valid_before_utc > now:
        errors.append(Problem(key, f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; is the clock "
                                   "right?"))
    elif (ends - now).days < CERT_WARN_DAYS:
        warnings.append(Problem(key, f"expires on {ends:%Y-%m-%d}, in {(ends - now).days} days"))
    if section.client_key.is_file():
        try:
            private = serialization.load_pem_private_key(section.client_key.read_bytes(), password=None)
        except (OSError, ValueError, TypeError):
            errors.append(Problem("central.client_key", "not a readable, unencrypted PEM private key"))
        else:
            spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            if private.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
                errors.append(Problem("central.client_key", "does not belong to central.client_cert"))
    return errors, warnings
