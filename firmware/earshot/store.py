# The model store: two slots of memory-mapped flash (A and B) holding a model each, so a
# board can take a new model without a firmware update. The layout is in
# docs/MODEL_STORE.md. A slot is read in place: the Model made from it is a memoryview of
# the flash, never a copy in RAM.
#
# The store works through a rom_ioctl function with the semantics of MicroPython's
# vfs.rom_ioctl: (1) number of segments, (2, id) memoryview of a segment, (3, id, length)
# erase for writing (returns the write granularity), (4, id, offset, data) program,
# (5, id) end of writing. Real boards have vfs.rom_ioctl; earshot's QEMU boards have
# qemu_board.rom_ioctl; tests pass one of their own. The two slots may differ in size
# (stm32: whole flash sectors of uneven sizes); Store.writer() handles a model that only the
# larger slot holds.
#
# Updating: the new model goes to the slot that is not active; its header goes last,
# after the payload has been read back and checked. Until then that slot is not valid, so
# an update cut off at any point leaves the previous model active. At boot the valid slot
# with the highest sequence number is the active model; with none, the frozen default.

import struct

import _earshot

MAGIC = b"ESMS"
FORMAT = 1
HEADER_SIZE = 64
NAME_SIZE = 32
# magic, format, header size, sequence, payload length, payload CRC-32; then the model
# name (NUL-padded), 8 reserved bytes (0xff) and the CRC-32 of the 60 bytes before it.
_FIELDS = "<4sHHIII"
_FIELDS_SIZE = 20
SLOT_NAMES = "AB"


def board_ioctl():
    # The rom_ioctl of this board, or None if it has no model slots.
    try:
        import qemu_board

        return qemu_board.rom_ioctl
    except (ImportError, AttributeError):
        pass
    try:
        import vfs

        return port_ioctl(vfs.rom_ioctl)
    except (ImportError, AttributeError):
        return None


def port_ioctl(rom):
    # The store's rom_ioctl over a port's vfs.rom_ioctl: one ROMFS partition (rp2) is split
    # in two (SplitRom); two partitions (stm32) are the two slots, as they are. None if the
    # port has no partition the store can use.
    count = rom(1)
    if count == 1:
        try:
            return SplitRom(rom(2, 0))
        except (OSError, TypeError, AttributeError):
            return None
    if count >= 2:
        return _WriteComplete(rom)
    return None


class _WriteComplete:
    # A vfs.rom_ioctl whose write-complete command may be missing: MicroPython 1.25's stm32
    # port answers rom_ioctl(5, id) with -EINVAL (its writes are complete when rom_ioctl(4)
    # returns; mpremote romfs ignores that answer too).
    def __init__(self, rom):
        self.rom = rom

    def __call__(self, cmd, *args):
        ret = self.rom(cmd, *args)
        if cmd == 5 and ret == -22:
            return 0
        return ret


class SplitRom:
    # Two model slots in the two halves of a board's one ROMFS partition (rp2 with
    # MICROPY_HW_ROMFS_BYTES): a rom_ioctl over the partition's block device (the object
    # vfs.rom_ioctl(2, 0) gives on rp2: erase with ioctl(6, block), program with
    # writeblocks(block, data, offset); read in place through its buffer). Writes are
    # padded to whole flash pages with 0xff, which leaves the other bytes of a page as
    # they are (programming only clears bits).
    BLOCK = 4096
    PAGE = 256
    ALIGN = 16

    def __init__(self, device, view=None):
        # view: the partition's bytes (default: memoryview(device), read in place).
        if device.ioctl(5, 0) != self.BLOCK:  # MP_BLOCKDEV_IOCTL_BLOCK_SIZE
            raise OSError("ROM partition blocks are not {} bytes".format(self.BLOCK))
        blocks = device.ioctl(4, 0)  # MP_BLOCKDEV_IOCTL_BLOCK_COUNT
        self.device = device
        self.slot_blocks = blocks // 2
        view = memoryview(device) if view is None else view
        size = self.slot_blocks * self.BLOCK
        self.views = (view[0:size], view[size : 2 * size])
        if size < HEADER_SIZE:
            raise OSError("ROM partition of {} bytes: too small for model slots".format(len(view)))

    def __call__(self, cmd, id=0, arg=None, data=None):
        if cmd == 1:
            return 2
        if not 0 <= id < 2:
            return -22  # EINVAL
        if cmd == 2:
            return self.views[id]
        first = id * self.slot_blocks
        if cmd == 3:
            if arg < 0 or arg > len(self.views[id]):
                return -22
            for block in range((arg + self.BLOCK - 1) // self.BLOCK):
                self.device.ioctl(6, first + block)  # MP_BLOCKDEV_IOCTL_BLOCK_ERASE
            return self.ALIGN
        if cmd == 4:
            offset = arg
            if offset < 0 or offset % self.ALIGN or offset + len(data) > len(self.views[id]):
                return -22
            start = offset - offset % self.PAGE
            end = offset + len(data)
            end += -end % self.PAGE
            page = bytearray(b"\xff" * (end - start))
            page[offset - start : offset - start + len(data)] = data
            block, within = divmod(start, self.BLOCK)
            done = 0
            while done < len(page):
                n = min(len(page) - done, self.BLOCK - within)
                self.device.writeblocks(first + block, page[done : done + n], within)
                done += n
                block += 1
                within = 0
            return 0
        if cmd == 5:
            return 0
        return -22


def _check(ret, what):
    if ret < 0:
        raise OSError(-ret, what)
    return ret


def model_name(payload):
    # The name in a model's metadata ("" if it has none). Raises ValueError for a payload
    # that is not a valid model (every check of the C loader, CRC included).
    meta_offset, meta_size = _earshot.check(payload, True)[3:5]
    if not meta_size:
        return ""
    import json

    return json.loads(payload[meta_offset : meta_offset + meta_size]).get("name") or ""


def pack_header(seq, payload_crc, length, name):
    name = name.encode()[:NAME_SIZE]
    head = struct.pack(_FIELDS, MAGIC, FORMAT, HEADER_SIZE, seq, length, payload_crc)
    head += name + bytes(NAME_SIZE - len(name)) + b"\xff" * 8
    return head + struct.pack("<I", _earshot.crc32(head))


class Slot:
    # What one slot holds: valid (with seq, length, crc, name) or not (with the reason).
    def __init__(self, index, view):
        self.index = index
        self.label = SLOT_NAMES[index]
        self.view = view
        self.valid = False
        self.seq = self.length = self.crc = 0
        self.name = ""
        self.reason = self._read()

    def _read(self):
        view = self.view
        if len(view) < HEADER_SIZE:
            return "too small"
        magic = bytes(view[0:4])
        if magic != MAGIC:
            return "empty" if magic in (b"\xff" * 4, bytes(4)) else "no model header"
        if _earshot.crc32(view[0:60]) != struct.unpack("<I", view[60:64])[0]:
            return "bad header CRC"
        fmt, size, seq, length, crc = struct.unpack(_FIELDS, view[0:_FIELDS_SIZE])[1:]
        if fmt != FORMAT or size != HEADER_SIZE:
            return "slot format {} (this firmware reads {})".format(fmt, FORMAT)
        if length > len(view) - HEADER_SIZE:
            return "length {} beyond the slot".format(length)
        if _earshot.crc32(self.payload(length)) != crc:
            return "bad CRC"
        self.seq, self.length, self.crc = seq, length, crc
        self.name = bytes(view[_FIELDS_SIZE : _FIELDS_SIZE + NAME_SIZE]).rstrip(b"\x00").decode()
        self.valid = True
        return None

    def payload(self, length=None):
        # The model bytes, in place (a memoryview of the slot).
        start = HEADER_SIZE
        return self.view[start : start + (self.length if length is None else length)]

    def describe(self):
        if self.valid:
            return "slot {} seq {} ({})".format(self.label, self.seq, self.name)
        return "slot {}: {}".format(self.label, self.reason)


class Store:
    def __init__(self, ioctl):
        if ioctl is None:
            raise OSError("this board has no model slots")
        count = ioctl(1)
        if count < 2:
            raise OSError("this board has no model slots ({} ROM segments, 2 needed)".format(count))
        self.ioctl = ioctl
        self.views = [ioctl(2, i) for i in range(2)]
        # The larger slot (header included) and the largest model it holds.
        self.slot_bytes = max(len(v) for v in self.views)
        self.capacity = self.slot_bytes - HEADER_SIZE

    def fits(self, index, length):
        return length <= len(self.views[index]) - HEADER_SIZE

    def slots(self):
        return [Slot(i, v) for i, v in enumerate(self.views)]

    def active(self):
        # (the valid slot with the highest sequence or None, every slot)
        slots = self.slots()
        best = None
        for slot in slots:
            if slot.valid and (best is None or slot.seq > best.seq):
                best = slot
        return best, slots

    def writer(self, length):
        # The Writer of a new model of length bytes, into the slot that is not active. A
        # model only the active slot holds (slots of unequal size) goes into the active slot
        # after its model moved to the other one, so that a cut still leaves that model; if
        # it is too large to move, the active slot is written over and a cut leaves the
        # other slot's model, or the frozen default (docs/MODEL_STORE.md).
        if length <= 0:
            raise ValueError("empty model")
        if length > self.capacity:
            raise ValueError("model is {} bytes, a slot holds {}".format(length, self.capacity))
        active = self.active()[0]
        index = 0 if active is None else 1 - active.index
        if not self.fits(index, length):
            if active is not None and self.fits(index, active.length):
                self.move(active, index)
            index = 1 - index
        return Writer(self, length, index)

    def move(self, slot, index, chunk=1024):
        # Copies the model of a valid slot into slot index with the next sequence number:
        # the same model, active from the other slot. Returns that sequence number.
        writer = Writer(self, slot.length, index)
        payload = slot.payload()
        for offset in range(0, slot.length, chunk):
            writer.write(offset, payload[offset : offset + chunk])
        return writer.commit(slot.crc)


class Writer:
    # Writes one model into slot index (Store.writer() chooses it): write(offset, data)
    # for each chunk in order, verify() -> (length, CRC-32) read back from the slot,
    # commit(crc) writes the header that makes the slot valid (and, with the highest
    # sequence, active).
    def __init__(self, store, length, index):
        self.store = store
        self.index = index
        self.seq = max([s.seq for s in store.slots() if s.valid] + [0]) + 1
        self.length = length
        self.written = 0
        ioctl = store.ioctl
        self.align = _check(ioctl(3, self.index, HEADER_SIZE + length), "erase") or 1
        if HEADER_SIZE % self.align:
            raise OSError("flash write unit of {} bytes; the slot header is {}".format(
                self.align, HEADER_SIZE))  # fmt: skip
        self.view = store.views[self.index]

    @property
    def label(self):
        return SLOT_NAMES[self.index]

    def write(self, offset, data):
        if offset != self.written:
            raise ValueError("chunk at {}, expected {}".format(offset, self.written))
        if offset + len(data) > self.length:
            raise ValueError("chunk ends at {}, the model is {} bytes".format(
                offset + len(data), self.length))  # fmt: skip
        if offset % self.align:
            raise ValueError("chunk offset {} not a multiple of {}".format(offset, self.align))
        pad = -len(data) % self.align
        if pad:
            if offset + len(data) != self.length:
                raise ValueError("only the last chunk may be shorter than {}".format(self.align))
            data = bytes(data) + b"\xff" * pad
        _check(self.store.ioctl(4, self.index, HEADER_SIZE + offset, data), "write")
        self.written = offset + len(data) - pad

    def verify(self):
        # What the slot holds, read back: (bytes written, CRC-32 of the payload).
        payload = self.view[HEADER_SIZE : HEADER_SIZE + self.written]
        return self.written, _earshot.crc32(payload)

    def commit(self, crc):
        # Makes the slot the active model, if it holds the whole model with this CRC and
        # the model passes every check of the loader. Returns the new sequence number.
        if self.written != self.length:
            raise ValueError("{} of {} bytes written".format(self.written, self.length))
        written_crc = self.verify()[1]
        if written_crc != crc:
            raise ValueError("CRC mismatch: slot holds {:08x}, expected {:08x}".format(
                written_crc, crc))  # fmt: skip
        payload = self.view[HEADER_SIZE : HEADER_SIZE + self.length]
        name = model_name(payload)
        header = pack_header(self.seq, crc, self.length, name)
        ioctl = self.store.ioctl
        _check(ioctl(4, self.index, 0, header), "write header")
        _check(ioctl(5, self.index), "write complete")
        return self.seq


def default_name():
    import earshot_models

    return getattr(earshot_models, "DEFAULT", earshot_models.NAMES[0])


def selection(ioctl=-1):
    # (slot or None, description): the model this board runs when none is named.
    # ioctl: the board's rom_ioctl unless given.
    if ioctl == -1:
        ioctl = board_ioctl()
    try:
        slot, slots = Store(ioctl).active()
    except OSError as err:
        return None, "frozen default {}: {}".format(default_name(), err.args[-1])
    if slot is not None:
        return slot, slot.describe()
    return None, "frozen default {}: no valid model in slots ({})".format(
        default_name(), ", ".join(s.describe() for s in slots))  # fmt: skip


def slot_payload(label, crc=None, ioctl=-1):
    # The model bytes of slot label ("A" or "B"), in place; OSError if that slot holds no
    # valid model (or not the one with this CRC-32).
    if ioctl == -1:
        ioctl = board_ioctl()
    slot = Store(ioctl).slots()[SLOT_NAMES.index(label)]
    if not slot.valid:
        raise OSError(slot.describe())
    if crc is not None and slot.crc != crc:
        raise OSError("slot {} holds CRC {:08x}, not {:08x}".format(label, slot.crc, crc))
    return slot.payload()


def active_model(ioctl=-1):
    # The Model this board runs when none is named; model.source says where it came from.
    from .model import Model

    slot, source = selection(ioctl)
    if slot is not None:
        try:
            model = Model(slot.payload())
        except ValueError as err:
            slot, source = None, "frozen default {}: {}: {}".format(
                default_name(), slot.describe(), err)  # fmt: skip
    if slot is None:
        model = Model.frozen(default_name())
    model.source = source
    return model
