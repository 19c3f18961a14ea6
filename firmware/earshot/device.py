# The board's id for fleets (the `device` field of the hello line; MQTT topics use it):
# one topic level of [A-Za-z0-9_-], the same at every boot.
#
#   1. machine.unique_id() in hex, where the port has it (rp2, stm32, esp32, nrf, ...);
#   2. on the Unix port: "unix-" and the first 12 hex digits of /etc/machine-id (the
#      systemd machine id, stable for an installation), else of the CRC-32 of the host
#      name (/etc/hostname);
#   3. else None (QEMU boards have neither: hosts then name the board by its port).
# `--device ID` on the command line (earshot.cli) overrides it: several Unix-port boards
# on one machine, or a name of the user's.

_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


def safe(name):
    # name with every character outside [A-Za-z0-9_-] replaced by "-".
    return "".join(c if c in _SAFE else "-" for c in name)


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def device_id():
    try:
        import machine

        uid = machine.unique_id()
        if uid:
            import binascii

            return binascii.hexlify(uid).decode()
    except (ImportError, AttributeError, OSError):
        pass
    import sys

    if sys.platform in ("linux", "darwin"):
        machine_id = safe(_read("/etc/machine-id"))[:12]
        if machine_id:
            return "unix-" + machine_id
        host = _read("/etc/hostname")
        if host:
            import _earshot

            return "unix-{:08x}".format(_earshot.crc32(host.encode()))
        return "unix"
    return None
