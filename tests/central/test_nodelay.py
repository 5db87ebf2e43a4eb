"""The reference server answers without Nagle's delay: its connections have TCP_NODELAY.

The server binds its own socket (port 0 picks a free one); made with proto 0, asyncio did not set
TCP_NODELAY on its connections, and each answer's second TLS record waited for the client's delayed ACK:
about 45 ms a call on loopback instead of 3.
"""

from __future__ import annotations

import socket

from central.testing import RunningCentral


def test_every_connection_of_the_server_has_tcp_nodelay(central: RunningCentral, make_client):
    client = make_client(central)
    client.document_types()
    sockets = central.handle.connection_sockets()
    assert sockets, "the client's kept-alive connection should be open"
    assert [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets] == [1] * len(sockets)
