"""Ask an IPP printer itself how it is: one Get-Printer-Attributes request, bounded by socket timeouts.

cupsd does not watch an idle printer: a switched-off network printer stays "idle" in its queue until a job
fails against it. So the CUPS drivers ask the printer behind an ``ipp://`` or ``ipps://`` queue directly.
This is a minimal IPP/1.1 client (RFC 8010 encoding, over HTTP/1.0 on a plain socket), not pycups, because
pycups has no timeout of its own (a dead host would leave a thread waiting on connect) and cannot decode the
``octetString`` values of ``printer-supply``, where IPP Everywhere printers report their toner and ink.
The whole exchange is bounded by one deadline; no thread is started.
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

GET_PRINTER_ATTRIBUTES = 0x000B
_OPERATION_TAG, _END_TAG = 0x01, 0x03
_INTEGER, _BOOLEAN, _ENUM = 0x21, 0x22, 0x23
_BEGIN_COLLECTION, _END_COLLECTION = 0x34, 0x37
_KEYWORD, _URI, _CHARSET, _LANGUAGE = 0x44, 0x45, 0x47, 0x48

#: What a status probe asks for: state, reasons and supplies (markers), nothing about jobs or people.
STATUS_ATTRIBUTES = ("printer-state", "printer-state-reasons", "printer-state-message",
                     "printer-is-accepting-jobs", "marker-names", "marker-levels",
                     "printer-supply", "printer-supply-description")
#: A status answer is a few hundred bytes; anything past this is not read.
MAX_ANSWER_BYTES = 1 << 20
#: URI schemes this client can reach (``ipps`` over TLS).
SCHEMES = ("ipp", "ipps")


class IppError(Exception):
    """The printer did not answer, or its answer was not IPP."""


@dataclass(frozen=True)
class IppPrinter:
    """Where an IPP printer listens, taken from a queue's device URI."""

    host: str
    port: int
    path: str
    tls: bool

    @classmethod
    def from_uri(cls, uri: str) -> IppPrinter | None:
        """The printer an ``ipp://`` or ``ipps://`` URI names; None for any other URI (socket, usb, dnssd...)."""
        parts = urlsplit(uri)
        if parts.scheme not in SCHEMES or not parts.hostname:
            return None
        return cls(parts.hostname, parts.port or 631, parts.path or "/", parts.scheme == "ipps")

    @property
    def uri(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'ipps' if self.tls else 'ipp'}://{host}:{self.port}{self.path}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class IppResponse:
    """A decoded response: its status code and the attributes of every group, values always as lists."""

    status: int
    attributes: dict[str, list[object]] = field(default_factory=dict)


def _attribute(tag: int, name: str, values: list[str]) -> bytes:
    out = b""
    for i, value in enumerate(values):
        encoded_name = name.encode() if i == 0 else b""
        encoded = value.encode()
        out += struct.pack(">BH", tag, len(encoded_name)) + encoded_name + struct.pack(">H", len(encoded)) + encoded
    return out


def encode_get_printer_attributes(printer_uri: str, requested: tuple[str, ...], request_id: int = 1) -> bytes:
    """An IPP/1.1 Get-Printer-Attributes request."""
    return (struct.pack(">BBHI", 1, 1, GET_PRINTER_ATTRIBUTES, request_id) + bytes([_OPERATION_TAG])
            + _attribute(_CHARSET, "attributes-charset", ["utf-8"])
            + _attribute(_LANGUAGE, "attributes-natural-language", ["en"])
            + _attribute(_URI, "printer-uri", [printer_uri])
            + _attribute(_KEYWORD, "requested-attributes", list(requested))
            + bytes([_END_TAG]))


def decode_response(data: bytes) -> IppResponse:
    """Decode an IPP response; integers and enums as int, booleans as bool, everything else as text."""
    if len(data) < 9:
        raise IppError("answer too short to be IPP")
    response = IppResponse(struct.unpack(">H", data[2:4])[0])
    pos, name, depth = 8, "", 0
    try:
        while pos < len(data):
            tag = data[pos]
            pos += 1
            if tag == _END_TAG:
                break
            if tag < 0x10:  # a delimiter: the next group begins
                continue
            name_len = struct.unpack(">H", data[pos:pos + 2])[0]
            raw_name = data[pos + 2:pos + 2 + name_len]
            pos += 2 + name_len
            value_len = struct.unpack(">H", data[pos:pos + 2])[0]
            value = data[pos + 2:pos + 2 + value_len]
            pos += 2 + value_len
            if len(value) != value_len:
                raise IppError("answer cut short")
            if tag == _BEGIN_COLLECTION:
                depth += 1
            elif tag == _END_COLLECTION:
                depth -= 1
            if raw_name and depth <= (1 if tag == _BEGIN_COLLECTION else 0):
                name = raw_name.decode("utf-8", "replace")
            if depth > 0 or tag in (_BEGIN_COLLECTION, _END_COLLECTION):
                continue  # collections (media-col and the like) are not needed for a status
            response.attributes.setdefault(name, []).append(_value(tag, value))
    except struct.error:
        raise IppError("answer cut short") from None
    return response


def _value(tag: int, value: bytes) -> object:
    if tag in (_INTEGER, _ENUM) and len(value) == 4:
        return struct.unpack(">i", value)[0]
    if tag == _BOOLEAN and len(value) == 1:
        return bool(value[0])
    return value.decode("utf-8", "replace")


def _context() -> ssl.SSLContext:
    # Network printers present self-signed certificates (CUPS itself trusts them on first use). The probe
    # sends nothing secret and only reads the printer's state, so it does not verify them.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def get_printer_attributes(printer: IppPrinter, timeout: float,
                           requested: tuple[str, ...] = STATUS_ATTRIBUTES) -> IppResponse:
    """Ask ``printer`` for ``requested`` attributes; the whole exchange (connect, TLS, request, answer) takes
    at most ``timeout`` seconds, however slowly the printer answers.

    Raises :class:`IppError` when the printer does not answer (refused, unreachable, timed out) or the
    answer is not a successful IPP response.
    """
    deadline = time.monotonic() + timeout
    body = encode_get_printer_attributes(printer.uri, requested)
    host = f"[{printer.host}]" if ":" in printer.host else printer.host
    # HTTP/1.0: the answer comes unchunked, with a Content-Length or closed at its end.
    request = (f"POST {printer.path} HTTP/1.0\r\nHost: {host}:{printer.port}\r\n"
               f"Content-Type: application/ipp\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    received = bytearray()
    try:
        sock = socket.create_connection((printer.host, printer.port), timeout)
        try:
            if printer.tls:
                _bound(sock, deadline)
                sock = _context().wrap_socket(sock, server_hostname=printer.host)
            _bound(sock, deadline)
            sock.sendall(request)
            while len(received) <= MAX_ANSWER_BYTES and not _complete(received):
                _bound(sock, deadline)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        finally:
            sock.close()
    except TimeoutError:
        raise IppError(f"no answer from {printer} within {timeout:g} s") from None
    except OSError as exc:  # refused, unreachable, reset, TLS failure
        raise IppError(f"{printer} does not answer: {exc.strerror or type(exc).__name__}") from None
    head, separator, data = bytes(received).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if not separator or len(status_line) < 2 or not status_line[0].startswith(b"HTTP/"):
        raise IppError(f"{printer} answered no HTTP")
    if status_line[1] != b"200":
        raise IppError(f"{printer} answered HTTP {status_line[1].decode('ascii', 'replace')}")
    response = decode_response(data)
    if response.status >= 0x0100:  # successful-ok and its -ignored/-conflicting variants are below 0x0100
        raise IppError(f"{printer} answered IPP status 0x{response.status:04x}")
    return response


def _complete(received: bytearray) -> bool:
    """True once the headers and Content-Length bytes of body are in (CUPS keeps even HTTP/1.0 open)."""
    head, separator, body = bytes(received).partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return bool(separator and length and len(body) >= int(length.group(1)))


def _bound(sock: socket.socket, deadline: float) -> None:
    """The next socket operation may take only what is left until ``deadline``."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)


_SUPPLY_FIELD = re.compile(r"(\w+)=([^;]*);?")


def supply_levels(response: IppResponse) -> dict[str, int]:
    """Percent left of each consumed supply (toner, ink), keyed by a slug of its name ("black-toner").

    Taken from ``marker-names``/``marker-levels`` when the printer has them, else from IPP Everywhere's
    ``printer-supply`` (waste receptacles and unknown levels left out).
    """
    attrs = response.attributes
    names, levels = attrs.get("marker-names", []), attrs.get("marker-levels", [])
    found = {supply_slug(str(n)): v for n, v in zip(names, levels, strict=False) if isinstance(v, int) and v >= 0}
    descriptions = attrs.get("printer-supply-description", [])
    for i, raw in enumerate(attrs.get("printer-supply", [])):
        fields = dict(_SUPPLY_FIELD.findall(str(raw)))
        try:
            level, capacity = int(fields.get("level", "-1")), int(fields.get("maxcapacity", "100"))
        except ValueError:
            continue
        if fields.get("class") != "supplyThatIsConsumed" or level < 0 or capacity <= 0:
            continue
        fallback = f"{fields.get('colorantname', '')} {fields.get('type', '')}"
        name = str(descriptions[i]) if i < len(descriptions) else fallback
        found.setdefault(supply_slug(name), round(100 * level / capacity))
    return found


def supply_slug(name: str) -> str:
    """A supply's name as a consumable key: lower case, words joined by '-' ("Black Toner" -> "black-toner")."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))[:32] or "supply"
