"""Durable print jobs: the journal, recovery, the outbox of print events, consumables and the audit log.

Imports point one way: this package may use :mod:`devices` but never :mod:`kiosk`. The kiosk hands it
what it needs (the central client as an :class:`~printjobs.outbox.EventSender`, a fetch callable,
printers, thresholds as plain numbers).
"""
