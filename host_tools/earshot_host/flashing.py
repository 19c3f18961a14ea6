"""Put the earshot firmware on a board, per kind of board in boards/boards.toml
(flash_firmware chooses by the table FLASHERS, never the command).

- qemu: start the emulator detached with its UART on a pty, as a USB board would appear;
  the pid, port and log live in build/run/<board>.{pid,port,log}; stop() ends it.
- a board with an emulator column (pico_i2s: rp2040js), with emulate=True: the same,
  the emulated board started detached (its flash file persists in build/<board>/).
- rp2: copy the .uf2 to a mounted RPI-RP2 drive (the board's bootloader), entering the
  bootloader first with machine.bootloader() over the board's port when one is given.
- stm32: dfu-util (the .dfu; the board in DFU mode) or st-flash (the .bin, over ST-LINK).
- unix: nothing to flash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .boards import Board
from .errors import EarshotError
from .paths import project_root
from .runner.qemu import PTY_LINE, qemu_command

UF2_DRIVE = "RPI-RP2"
MOUNT_ROOTS = ("/media", "/run/media", "/mnt")


def run_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "build" / "run"


@dataclass(frozen=True)
class RunningBoard:
    """An emulated board started by start_qemu."""

    board: str
    pid: int
    port: str
    log: Path


def _files(board: Board, where: Path) -> tuple[Path, Path, Path]:
    return where / f"{board.name}.pid", where / f"{board.name}.port", where / f"{board.name}.log"


def _is_our_qemu(pid: int, board: Board) -> bool:
    """The pid is (still) the emulator running this board, not a reused pid."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if board.kind == "qemu":
        return (
            bool(argv) and argv[0].endswith(b"qemu-system-arm") and board.machine.encode() in argv
        )
    return bool(argv) and argv[0].endswith(b"node") and str(board.firmware_path()).encode() in argv


def running_qemu(board: Board, where: Path | None = None) -> RunningBoard | None:
    """The emulator started for the board, if it is still running."""
    pid_file, port_file, log = _files(board, where or run_dir())
    try:
        pid = int(pid_file.read_text().strip())
        port = port_file.read_text().strip()
    except (OSError, ValueError):
        return None
    if not _is_our_qemu(pid, board):
        return None
    return RunningBoard(board.name, pid, port, log)


def start_qemu(
    board: Board, firmware: Path | None = None, where: Path | None = None, timeout: float = 20.0
) -> RunningBoard:
    """Boot the board's firmware in QEMU, detached, UART on a pty; returns where it runs.
    A board already running is returned as it is."""
    if board.kind != "qemu":
        raise EarshotError(f"{board.name} is not an emulated board")
    where = where or run_dir()
    running = running_qemu(board, where)
    if running:
        return running
    firmware = firmware or board.firmware_path()
    if not firmware.is_file():
        raise EarshotError(f"no firmware at {firmware} (run `make qemu BOARD={board.name}`)")
    if shutil.which("qemu-system-arm") is None:
        raise EarshotError("qemu-system-arm is not installed (run `make deps`)")
    where.mkdir(parents=True, exist_ok=True)
    pid_file, port_file, log = _files(board, where)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            qemu_command(board, firmware),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this command, and Ctrl-C in its terminal
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = PTY_LINE.search(log.read_bytes())
        if match:
            port = match.group(1).decode()
            pid_file.write_text(f"{proc.pid}\n")
            port_file.write_text(f"{port}\n")
            return RunningBoard(board.name, proc.pid, port, log)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    _terminate(proc.pid)
    text = log.read_text(errors="replace").strip().splitlines()
    reason = text[-1] if text else "no output"
    raise EarshotError(f"{board.name}: QEMU did not open its UART pty: {reason}")


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            # Reap it if it is our child; otherwise just see whether it is gone.
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:
            if not Path(f"/proc/{pid}").exists():
                return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop_qemu(board: Board, where: Path | None = None) -> RunningBoard | None:
    """Stop the emulator started for the board; returns what was stopped (None: nothing)."""
    where = where or run_dir()
    running = running_qemu(board, where)
    if running:
        _terminate(running.pid)
    for path in _files(board, where)[:2]:
        path.unlink(missing_ok=True)
    return running


# ------------------------------------------------------------------------- real boards


def enter_bootloader(port: str) -> None:
    """Ask the MicroPython on a port to jump to its bootloader (machine.bootloader())."""
    from mpremote.transport import TransportError

    from .serial_port import close_board, open_board

    transport = open_board(port)
    try:
        transport.enter_raw_repl(soft_reset=False)
        transport.exec_raw_no_follow("import machine\nmachine.bootloader()")
    except (TransportError, OSError) as err:
        raise EarshotError(f"{port}: cannot enter the bootloader: {err}") from err
    finally:
        close_board(transport)


def uf2_drives(roots: tuple[str, ...] = MOUNT_ROOTS) -> list[Path]:
    """Mounted RP2 bootloader drives (their INFO_UF2.TXT names the board RPI-RP2)."""
    candidates: set[Path] = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 1:
                candidates.add(Path(fields[1].replace("\\040", " ")))
    for root in roots:
        with contextlib.suppress(OSError):
            candidates.update(Path(root).glob(f"*/{UF2_DRIVE}"))
            candidates.update(Path(root).glob(UF2_DRIVE))
    return sorted(p for p in candidates if is_uf2_drive(p))


def is_uf2_drive(path: Path) -> bool:
    try:
        return UF2_DRIVE in (path / "INFO_UF2.TXT").read_text(errors="replace")
    except OSError:
        return False


def flash_rp2(
    board: Board,
    firmware: Path,
    port: str | None = None,
    drive: Path | None = None,
    wait: float = 10.0,
) -> Path:
    """Copy the .uf2 onto the RP2 bootloader drive; returns the file written."""
    if firmware.suffix != ".uf2":
        raise EarshotError(f"{firmware}: an RP2 board takes a .uf2 file")
    if not firmware.is_file():
        raise EarshotError(f"no firmware at {firmware} (run `make board BOARD={board.name}`)")
    if port:
        enter_bootloader(port)
    deadline = time.monotonic() + (wait if port else 0.0)
    while True:
        drives = [drive] if drive else uf2_drives()
        drives = [d for d in drives if is_uf2_drive(d)]
        if drives or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    if drive and not drives:
        raise EarshotError(f"{drive} is not an RP2 bootloader drive (no INFO_UF2.TXT of RPI-RP2)")
    if not drives:
        raise EarshotError(
            f"no {UF2_DRIVE} drive is mounted: hold BOOTSEL while plugging the board in (or "
            "give --port to enter the bootloader), mount the drive, or name it with --drive"
        )
    if len(drives) > 1:
        raise EarshotError(
            f"several {UF2_DRIVE} drives: {', '.join(map(str, drives))}; choose one with --drive"
        )
    target = drives[0] / firmware.name
    try:
        shutil.copyfile(firmware, target)
    except OSError as err:
        raise EarshotError(f"cannot copy to {target}: {err.strerror}") from err
    return target


def stm32_command(firmware: Path) -> list[str]:
    """The flashing command for an stm32 board: dfu-util with the .dfu, or st-flash with
    the .bin beside it, whichever is installed."""
    if shutil.which("dfu-util"):
        dfu = firmware.with_suffix(".dfu")
        return ["dfu-util", "-a", "0", "-D", str(dfu)]
    if shutil.which("st-flash"):
        binary = firmware.with_suffix(".bin")
        return ["st-flash", "--reset", "write", str(binary), "0x08000000"]
    raise EarshotError(
        "flashing an stm32 board needs dfu-util (USB DFU) or st-flash "
        "(ST-LINK); neither is installed (apt install dfu-util stlink-tools)"
    )


def flash_stm32(board: Board, firmware: Path, port: str | None = None) -> list[str]:
    """Flash with dfu-util or st-flash; returns the command that ran."""
    command = stm32_command(firmware)
    image = Path(command[4] if command[0] == "dfu-util" else command[3])
    if not image.is_file():
        raise EarshotError(f"no firmware at {image} (run `make board BOARD={board.name}`)")
    if port and command[0] == "dfu-util":
        enter_bootloader(port)
        time.sleep(2.0)  # the board re-enumerates as a DFU device
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise EarshotError(f"{command[0]} failed: {lines[-1] if lines else proc.returncode}")
    return command


def start_emulated(
    board: Board, firmware: Path | None = None, where: Path | None = None
) -> RunningBoard:
    """Start a board's emulator (its emulator column) detached, like start_qemu."""
    from .runner.rp2040js import start_pico

    if board.extra.get("emulator") != "rp2040js":
        raise EarshotError(f"{board.name} has no emulator (boards.toml column `emulator`)")
    where = where or run_dir()
    running = running_qemu(board, where)
    if running:
        return running
    pid_file, port_file, log = _files(board, where)
    pico = start_pico(board, firmware or board.firmware_path(), log, detach=True)
    pid_file.write_text(f"{pico.proc.pid}\n")
    port_file.write_text(f"{pico.port}\n")
    return RunningBoard(board.name, pico.proc.pid, pico.port, log)


@dataclass(frozen=True)
class FlashRequest:
    """What `earshot flash-firmware` was asked."""

    board: Board
    firmware: Path
    port: str | None = None
    drive: Path | None = None
    where: Path | None = None
    emulate: bool = False
    stop: bool = False


def _flash_unix(request: FlashRequest) -> str:
    raise EarshotError("nothing to flash: the unix target runs build/unix/micropython here")


def _flash_qemu(request: FlashRequest) -> str:
    if request.stop:
        return _stop(request)
    running = start_qemu(request.board, request.firmware, request.where)
    return running.port


def _flash_rp2(request: FlashRequest) -> str:
    if request.emulate or request.stop:
        if not request.emulate:
            raise EarshotError(
                f"--stop is for emulated boards (QEMU, or --emulate); {request.board.name} "
                f"is a {request.board.kind} board"
            )
        if request.stop:
            return _stop(request)
        return start_emulated(request.board, request.firmware, request.where).port
    written = flash_rp2(request.board, request.firmware, request.port, request.drive)
    return f"{request.board.name}: wrote {written}"


def _flash_stm32(request: FlashRequest) -> str:
    if request.emulate or request.stop:
        raise EarshotError(
            f"{request.board.name} has no emulator here; --emulate/--stop do not apply"
        )
    command = flash_stm32(request.board, request.firmware, request.port)
    return f"{request.board.name}: flashed with {' '.join(command)}"


def _stop(request: FlashRequest) -> str:
    stopped = stop_qemu(request.board, request.where)
    name = request.board.name
    return f"{name}: stopped (pid {stopped.pid})" if stopped else f"{name}: not running"


FLASHERS = {"unix": _flash_unix, "qemu": _flash_qemu, "rp2": _flash_rp2, "stm32": _flash_stm32}


def flash_firmware(request: FlashRequest) -> str:
    """Flash (or start, or stop) the board; what to print: the port of a started emulated
    board, else a line saying what was done."""
    return FLASHERS[request.board.kind](request)
