"""A mosquitto broker of our own on a free loopback port (Debian's mosquitto, installed by
`make deps`), for tests and measurements: persistence on, so that a restart keeps what it
owes a durable subscriber (mosquitto saves its state when it is stopped with SIGTERM)."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

from ..errors import EarshotError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalBroker:
    """mosquitto on 127.0.0.1:<a free port>, its files in workdir; started at once."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise EarshotError("mosquitto is not installed (`make deps` installs it)")
        self.binary = binary
        self.port = free_port()
        self.dir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {workdir}/\n"
            f"log_dest file {workdir}/mosquitto.log\n"
            # Run as root, mosquitto would drop to user "mosquitto", who cannot write here.
            f"user {getpass.getuser()}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise EarshotError(f"mosquitto did not listen on port {self.port} (see {self.dir})")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def restart(self, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()
