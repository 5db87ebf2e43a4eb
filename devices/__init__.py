"""Device abstraction layer: printers and barcode readers, real and simulated, behind small protocols.

Imports nothing from ``kiosk`` or ``printjobs``. Hardware libraries (pycups, pyusb, python-escpos, pyserial,
evdev) are imported only inside the drivers that need them; a missing one makes that driver OFFLINE.
"""

from devices.base import (
    BLANKO_EMPTY,
    BLANKO_LOW,
    COVER_OPEN,
    MEDIA_EMPTY,
    MEDIA_JAM,
    MEDIA_LOW,
    OFFLINE_REPORT,
    RIBBON_EMPTY,
    RIBBON_LOW,
    TONER_LOW,
    BarcodeReader,
    BlankoEmpty,
    CardJob,
    CardPrinter,
    CoverOpen,
    Device,
    DeviceError,
    DeviceOffline,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DocumentJob,
    DocumentPrinter,
    JobCancelled,
    JobFailed,
    JobResult,
    MediaEmpty,
    MediaJam,
    NeedsAttention,
    ReceiptPrinter,
    RibbonEmpty,
    SelfTestLevel,
    SelfTestResult,
)
from devices.receipt import QueueTicket, Receipt

__all__ = [
    "BLANKO_EMPTY", "BLANKO_LOW", "COVER_OPEN", "MEDIA_EMPTY", "MEDIA_JAM", "MEDIA_LOW", "OFFLINE_REPORT",
    "RIBBON_EMPTY", "RIBBON_LOW", "TONER_LOW", "BarcodeReader", "BlankoEmpty", "CardJob", "CardPrinter",
    "CoverOpen", "Device", "DeviceError", "DeviceOffline", "DeviceState", "DeviceStatus", "DeviceTimeout",
    "DocumentJob", "DocumentPrinter", "JobCancelled", "JobFailed", "JobResult", "MediaEmpty", "MediaJam",
    "NeedsAttention", "QueueTicket", "Receipt", "ReceiptPrinter", "RibbonEmpty", "SelfTestLevel", "SelfTestResult",
]
