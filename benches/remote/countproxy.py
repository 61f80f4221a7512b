#!/usr/bin/env python3
"""countproxy.py - a TCP proxy on 127.0.0.1 that counts what crosses it, for benches/remote.sh.

    countproxy.py LISTEN_PORT TARGET_HOST TARGET_PORT MODE OUT_FILE

MODE is `http` or `raw`. Both count the bytes of each direction. `http` also reads the
client's byte stream as HTTP/1.1 requests (header block, then a body of Content-Length bytes
or chunked) and records each request's method and path, so that a run through it says how
many requests of which kind a command sent. `raw` (SFTP inside ssh: encrypted) counts bytes
and connections only.

Once it listens it creates OUT_FILE.ready. It serves until SIGTERM or SIGINT, then writes OUT_FILE (JSON: connections, bytes_up from
the client to the server, bytes_down back, requests as [method, path] pairs) and exits.
Standard library only. It is in the path of the bytes, so it is for counting, not timing.
"""

import asyncio
import json
import os
import signal
import sys

LISTEN_PORT, TARGET_HOST, TARGET_PORT, MODE, OUT = (
    int(sys.argv[1]),
    sys.argv[2],
    int(sys.argv[3]),
    sys.argv[4],
    sys.argv[5],
)
assert MODE in ("http", "raw"), MODE

stats = {"connections": 0, "bytes_up": 0, "bytes_down": 0, "requests": []}
PIECE = 1 << 16


async def forward(data, writer, direction):
    stats[direction] += len(data)
    writer.write(data)
    await writer.drain()


async def copy_raw(reader, writer, direction):
    try:
        while True:
            data = await reader.read(PIECE)
            if not data:
                break
            await forward(data, writer, direction)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def copy_http_requests(reader, writer):
    """Client to server: one request after another, each recorded."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as e:
                if e.partial:
                    await forward(e.partial, writer, "bytes_up")
                break
            await forward(head, writer, "bytes_up")
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            method, target = (parts + ["", ""])[:2]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            stats["requests"].append([method, target])
            if "chunked" in headers.get("transfer-encoding", "").lower():
                while True:
                    size_line = await reader.readuntil(b"\r\n")
                    await forward(size_line, writer, "bytes_up")
                    size = int(size_line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while True:  # trailers, then the empty line
                            line = await reader.readuntil(b"\r\n")
                            await forward(line, writer, "bytes_up")
                            if line == b"\r\n":
                                break
                        break
                    await forward(await reader.readexactly(size + 2), writer, "bytes_up")
            else:
                remaining = int(headers.get("content-length", "0") or 0)
                while remaining > 0:
                    data = await reader.read(min(PIECE, remaining))
                    if not data:
                        raise ConnectionError("client closed inside a body")
                    remaining -= len(data)
                    await forward(data, writer, "bytes_up")
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def serve_one(client_reader, client_writer):
    stats["connections"] += 1
    try:
        server_reader, server_writer = await asyncio.open_connection(TARGET_HOST, TARGET_PORT)
    except OSError:
        client_writer.close()
        return
    up = (
        copy_http_requests(client_reader, server_writer)
        if MODE == "http"
        else copy_raw(client_reader, server_writer, "bytes_up")
    )
    down = copy_raw(server_reader, client_writer, "bytes_down")
    await asyncio.gather(up, down)
    for w in (client_writer, server_writer):
        w.close()


async def main():
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await asyncio.start_server(serve_one, "127.0.0.1", LISTEN_PORT)
    open(OUT + ".ready", "w").close()  # listening: the caller may start the client
    await stop.wait()
    with open(OUT + ".tmp", "w") as f:
        json.dump(stats, f)
    os.replace(OUT + ".tmp", OUT)
    os._exit(0)  # connections still open (none, once the client exited) are not waited for


asyncio.run(main())
