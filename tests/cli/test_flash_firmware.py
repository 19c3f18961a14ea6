"""earshot flash-firmware: per kind of board; clear errors when there is nothing to do."""

from __future__ import annotations

import os

from cli_support import assert_one_line_error, earshot


def test_unix_has_nothing_to_flash():
    assert_one_line_error(earshot("flash-firmware", "--board", "unix"), "nothing to flash")


def test_unknown_board():
    assert_one_line_error(earshot("flash-firmware", "--board", "esp99"), "unknown target")


def test_stop_is_for_qemu_boards():
    proc = earshot("flash-firmware", "--board", "pico_i2s", "--stop")
    assert_one_line_error(proc, "--stop", "rp2")


def test_stop_a_board_that_is_not_running(tmp_path):
    proc = earshot("flash-firmware", "--board", "qemu_m3", "--stop", "--run-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "not running" in proc.stdout


def test_qemu_without_firmware(tmp_path):
    proc = earshot("flash-firmware", "--board", "qemu_m3", "--run-dir", str(tmp_path),
                   "--firmware", str(tmp_path / "none.elf"))  # fmt: skip
    assert_one_line_error(proc, "no firmware", "make qemu BOARD=qemu_m3")
    assert not list(tmp_path.glob("*.pid"))


def test_rp2_copies_the_uf2_to_the_bootloader_drive(tmp_path):
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\n"
                                        "Board-ID: RPI-RP2\n")  # fmt: skip
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"UF2\n" + bytes(range(256)) * 8)
    proc = earshot("flash-firmware", "--board", "pico_i2s", "--firmware", str(uf2),
                   "--drive", str(drive))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (drive / "firmware.uf2").read_bytes() == uf2.read_bytes()
    assert str(drive / "firmware.uf2") in proc.stdout


def test_rp2_refuses_a_drive_that_is_not_the_bootloader(tmp_path):
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"UF2\n")
    proc = earshot("flash-firmware", "--board", "pico_i2s", "--firmware", str(uf2),
                   "--drive", str(tmp_path))  # fmt: skip
    assert_one_line_error(proc, "not an RP2 bootloader drive")


def test_rp2_without_a_drive(tmp_path):
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"UF2\n")
    proc = earshot("flash-firmware", "--board", "pico_i2s", "--firmware", str(uf2))
    assert_one_line_error(proc, "no RPI-RP2 drive", "BOOTSEL")


def test_rp2_without_firmware(tmp_path):
    proc = earshot("flash-firmware", "--board", "pico_i2s", "--firmware",
                   str(tmp_path / "none.uf2"))  # fmt: skip
    assert_one_line_error(proc, "no firmware", "none.uf2")


def test_rp2_bootloader_on_a_missing_port(tmp_path):
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"UF2\n")
    proc = earshot("flash-firmware", "--board", "pico_i2s", "--firmware", str(uf2),
                   "--port", str(tmp_path / "ttyACM7"))  # fmt: skip
    assert_one_line_error(proc, "no serial port", "ttyACM7")


def test_stm32_names_the_missing_tools(tmp_path):
    # A PATH with neither dfu-util nor st-flash on it.
    env = dict(os.environ, PATH=str(tmp_path))
    proc = earshot("flash-firmware", "--board", "nucleo_f411re_i2s", env=env)
    assert_one_line_error(proc, "dfu-util", "st-flash")


def test_help_has_examples():
    proc = earshot("flash-firmware", "--help")
    assert proc.returncode == 0 and "examples:" in proc.stdout
