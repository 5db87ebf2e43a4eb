"""A fake pyusb backend (``usb.backend.IBackend``): the only fake in the device tests, because these machines
have no USB bus. Everything above it (pyusb's core, python-escpos, the drivers) runs for real.

:class:`FakeUsbBackend` holds one printer-class device answering the printer-class control requests
(GET_DEVICE_ID, GET_PORT_STATUS). :class:`FakeEscposBackend` adds the bulk OUT and IN endpoints of an ESC/POS
receipt printer: bytes written to OUT are recorded, and a real-time status request (DLE EOT n) is answered on
IN from the printer's current state.
"""

from __future__ import annotations

import array
import time

import usb.backend
import usb.core


class _Desc:
    def __init__(self, **fields):
        self.__dict__.update(fields)


class FakeUsbBackend(usb.backend.IBackend):
    """A pyusb backend (usb.backend.IBackend) holding one USB printer; the only fake in these tests."""

    endpoints: tuple[int, ...] = ()

    def __init__(self, present=True, port_status=0x18, device_id=b"MFG:Evolis;MDL:Primacy 2;CMD:EVOLIS;",
                 vendor_id=0x0C16, product_id=0x0006):
        self.present, self.port_status, self.device_id = present, port_status, device_id
        self.vendor_id, self.product_id = vendor_id, product_id
        self.requests: list[tuple[int, int, int, int]] = []

    def enumerate_devices(self):
        return ["printer"] if self.present else []

    def get_device_descriptor(self, dev):
        return _Desc(bLength=18, bDescriptorType=1, bcdUSB=0x200, bDeviceClass=0, bDeviceSubClass=0,
                     bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=self.vendor_id, idProduct=self.product_id,
                     bcdDevice=1, iManufacturer=0, iProduct=0, iSerialNumber=0, bNumConfigurations=1, address=1, bus=1,
                     port_number=1, port_numbers=(1,), speed=3)

    def get_configuration_descriptor(self, dev, config):
        return _Desc(bLength=9, bDescriptorType=2, wTotalLength=32, bNumInterfaces=1, bConfigurationValue=1,
                     iConfiguration=0, bmAttributes=0xC0, bMaxPower=1, extra_descriptors=[])

    def get_interface_descriptor(self, dev, intf, alt, config):
        if intf != 0 or alt != 0:
            raise IndexError
        return _Desc(bLength=9, bDescriptorType=4, bInterfaceNumber=0, bAlternateSetting=0,
                     bNumEndpoints=len(self.endpoints),
                     bInterfaceClass=7, bInterfaceSubClass=1, bInterfaceProtocol=2, iInterface=0,
                     extra_descriptors=[])

    def get_endpoint_descriptor(self, dev, ep, intf, alt, config):
        if ep >= len(self.endpoints):
            raise IndexError
        return _Desc(bLength=7, bDescriptorType=5, bEndpointAddress=self.endpoints[ep], bmAttributes=2,
                     wMaxPacketSize=64, bInterval=0, bRefresh=0, bSynchAddress=0, extra_descriptors=[])

    def open_device(self, dev):
        return "handle"

    def close_device(self, handle):
        pass

    def claim_interface(self, handle, intf):
        pass

    def release_interface(self, handle, intf):
        pass

    def get_configuration(self, handle):
        return 1

    def set_configuration(self, handle, config_value):
        pass

    def reset_device(self, handle):
        pass

    def ctrl_transfer(self, handle, bmRequestType, bRequest, wValue, wIndex, data, timeout):
        self.requests.append((bmRequestType, bRequest, wValue, wIndex))
        if bRequest == 0:
            payload = (len(self.device_id) + 2).to_bytes(2, "big") + self.device_id
        else:
            payload = bytes([self.port_status])
        n = min(len(payload), len(data))
        data[:n] = array.array("B", payload[:n])
        return n




#: python-escpos's real-time status answers (escpos.constants RT_MASK_*): online, paper adequate / near end / out.
ONLINE, OFFLINE_BIT = 0x12, 0x08
PAPER_OK, PAPER_LOW, PAPER_OUT = 0x12, 0x1E, 0x72


class FakeEscposBackend(FakeUsbBackend):
    """An ESC/POS receipt printer on USB (Epson TM-T88V ids): bulk OUT 0x01 records bytes, bulk IN 0x82 answers
    DLE EOT 1 (online) and DLE EOT 4 (paper sensor) from ``online`` and ``paper``."""

    endpoints = (0x01, 0x82)

    def __init__(self, present=True, online=True, paper=PAPER_OK, stuck=False):
        super().__init__(present, device_id=b"MFG:EPSON;CMD:ESC/POS;MDL:TM-T88V;", vendor_id=0x04B8,
                         product_id=0x0202)
        self.online, self.paper, self.stuck = online, paper, stuck
        self.written = bytearray()
        self._answers: list[int] = []

    def bulk_write(self, handle, ep, intf, data, timeout):
        if self.stuck:  # the printer takes nothing: libusb gives up after the timeout; 0 means never
            time.sleep(timeout / 1000 if timeout else 60)
            raise usb.core.USBTimeoutError("Operation timed out", errno=110, error_code=-7)
        data = bytes(data)
        if data == b"\x10\x04\x01":
            self._answers.append(ONLINE if self.online else ONLINE | OFFLINE_BIT)
        elif data == b"\x10\x04\x04":
            self._answers.append(self.paper)
        else:
            self.written += data
        return len(data)

    def bulk_read(self, handle, ep, intf, buff, timeout):
        if not self._answers:
            return 0
        buff[0] = self._answers.pop(0)
        return 1
