"""Inside the sandbox: expose the gateway's unix socket on 127.0.0.1, then run the agent command.

``python -m medalist.inside.forwarder --socket /opt/medalist-gateway/gateway.sock -- CMD ARGS...``
listens on a free loopback port, sets ``OPENAI_BASE_URL``/``OPENAI_API_BASE`` to
``http://127.0.0.1:PORT/v1`` for CMD, runs it, forwards SIGTERM/SIGINT, and exits with its code.
Standard library only: it runs under whatever interpreter the sandbox has.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading

BUFFER = 65536


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(BUFFER)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class _ForwardHandler(socketserver.BaseRequestHandler):
    server: _Forwarder

    def handle(self) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.server.socket_path)
        except OSError:
            self.request.close()
            upstream.close()
            return
        back = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
        back.start()
        _pump(self.request, upstream)
        back.join()
        upstream.close()


class _Forwarder(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # agents that open many connections at once are queued, not reset

    def __init__(self, address: tuple[str, int], socket_path: str) -> None:
        self.socket_path = socket_path
        super().__init__(address, _ForwardHandler)


def start_forwarder(socket_path: str, host: str = "127.0.0.1", port: int = 0) -> tuple[_Forwarder, int]:
    """Start forwarding ``host:port`` (0 = any free port) to ``socket_path`` in a daemon thread."""
    server = _Forwarder((host, port), socket_path)
    threading.Thread(target=server.serve_forever, name="gateway-forwarder", daemon=True).start()
    return server, server.server_address[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="The gateway's unix socket.")
    parser.add_argument("--port", type=int, default=0, help="Loopback port (0: any free port).")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = parser.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        parser.error("no command given after --")
    server, port = start_forwarder(args.socket, port=args.port)
    base = f"http://127.0.0.1:{port}/v1"
    env = dict(os.environ, OPENAI_BASE_URL=base, OPENAI_API_BASE=base, MEDALIST_GATEWAY_URL=base)
    try:
        child = subprocess.Popen(cmd, env=env)
    except OSError as exc:
        print(f"forwarder: cannot start {cmd[0]}: {exc}", file=sys.stderr)
        return 127

    def _relay(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _relay)
    code = child.wait()
    server.shutdown()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
