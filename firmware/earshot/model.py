# An int8 model in earshot's format (models/FORMAT.md), run by the `_earshot` C engine.
#
# The C object (_earshot.Model) checks the model bytes once and reads the constant data
# (weights, biases, requantization arrays) in place: never copied, from flash for frozen
# and stored models. The buffer may be any buffer, a bytearray too: of a buffer Python can
# write to, the C object keeps its own copy of the model's tables (offsets, shapes, operator
# parameters: a few KB at most), so that a change of its bytes after loading may change
# results, never make the engine read or write out of bounds; a buffer that moved or
# changed size is refused (RuntimeError). from_file() reads into bytes: nothing to copy.
# Activations live in one arena, allocated once; .input/.output are memoryviews into it,
# typed by the tensor's dtype (int8 'b', uint8 'B'), made once, so that
#
#     m.invoke(features)        # or: m.input[:] = features; m.invoke()
#     scores = m.output
#
# allocates nothing per inference. With ulab built in, m.output_array() is an ndarray view
# of the output (no copy) and m.dequantize_output(out) fills a float ndarray.

import gc

import _earshot


class Model:
    # Where the model came from ("frozen NAME", "file PATH", "slot A seq 3 (NAME)", ...).
    source = None

    def __init__(self, buffer, check_crc=True, arena=None):
        # arena: a writable 16-byte aligned buffer of at least arena_size bytes to hold the
        # activations (else the model allocates its own).
        # Collect first: the arena lives as long as the model, and a heap cleared of the
        # garbage of imports and compilation gives it the lowest free block instead of a
        # spot that splits the free space (small boards feel the difference).
        gc.collect()
        try:
            if arena is None:
                native = _earshot.Model(buffer, check_crc)
            else:
                native = _earshot.Model(buffer, check_crc, arena)
        except MemoryError as err:
            gc.collect()
            msg, free = str(err), gc.mem_free()
            try:
                need = int(msg.split()[2])  # "model needs N bytes of arena"
            except (IndexError, ValueError):
                need = 0
            # Enough free bytes in all, but no block that large: say so.
            pieces = " in pieces, no block that large" if need and free >= need else ""
            raise ValueError("{}, heap has {} free{}".format(msg, free, pieces)) from None
        self._native = native
        self._buffer = buffer
        self.arena_size = native.arena_size
        self.inputs = native.inputs
        self.outputs = native.outputs
        self.input = self.inputs[0]
        self.output = self.outputs[0]
        ins, outs = native.input_info, native.output_info
        self.input_shapes = [t[2] for t in ins]
        self.output_shapes = [t[2] for t in outs]
        self.input_shape = ins[0][2]
        self.output_shape = outs[0][2]
        self.input_quant = (ins[0][4], ins[0][3])
        self.output_quant = (outs[0][4], outs[0][3])
        # True when the arena plan gives the input bytes of its own for the whole invoke
        # (the converter keeps inputs live): a streaming pipeline can then slide its
        # feature window inside the input, with no second copy.
        self.input_persists = ins[0][5]
        self._metadata = None

    def invoke(self, x=None):
        # x (bytes, bytearray, array, memoryview or ulab ndarray of the input's type and
        # size) is copied into the input first; a wrong size or type raises ValueError.
        self._native.invoke(x)

    def dequantize_output(self, out, index=0):
        # (q - zero_point) * scale of output `index` into out: a float array ('f' / 'd')
        # or ulab ndarray of the output's length; nothing allocated.
        self._native.dequantize_output(out, index)

    def __getattr__(self, name):
        # The rest of the C object (one method here instead of one each: every function of
        # a class costs heap on the smallest boards):
        # reset(): the model's streaming state back to its initial values (done once at
        #   creation).
        # profile(ticks): one run; ticks (array('I'), one per operator) receives each
        #   operator's cycles where the board counts them (0 elsewhere).
        # output_array(index=0) / input_array(index=0): ndarray views of the tensor (its
        #   dtype and shape, no copy, the same object every time) with ulab built in;
        #   RuntimeError without (use .outputs / .inputs). input_array()[:] = x fills the input.
        # input_info, output_info, op_count, meta, buffer: what the C object checked.
        return getattr(self._native, name)

    @classmethod
    def from_file(cls, path):
        # A file of a ROMFS partition (/rom, MicroPython 1.25+) is used in place from
        # flash, no copy, when its data is 16-byte aligned as the weights need (earshot's
        # ROMFS images place it so); any other file is read once into an immutable bytes
        # object (weights read in place, no second copy). CRC checked.
        with open(path, "rb") as f:
            data = _in_place(f)
            if data is None:
                import os

                size = os.stat(path)[6]
                data = f.read(size)
                if len(data) != size:
                    raise ValueError(
                        "short read of {}: {} of {} bytes".format(path, len(data), size)
                    )
        model = cls(data, True)
        model.source = "file " + path
        return model

    @classmethod
    def frozen(cls, name, check_crc=True):
        # A model of the frozen package earshot_models (built from models/<name>/).
        module = __import__("earshot_models." + name, None, None, ("MODEL",))
        model = cls(module.MODEL, check_crc)
        model.source = "frozen " + name
        return model

    @property
    def metadata(self):
        if self._metadata is None:
            offset, size = self._native.meta
            if size:
                import json

                self._metadata = json.loads(memoryview(self._buffer)[offset : offset + size])
            else:
                self._metadata = {}
        return self._metadata

    def release_metadata(self):
        # Drop the parsed metadata (a couple of KB of heap for a model with a front end);
        # the next use of .metadata parses it again.
        self._metadata = None

    @property
    def labels(self):
        return self.metadata.get("labels")

    @property
    def name(self):
        return self.metadata.get("name")


def _in_place(f):
    # The bytes of an open file where they lie (a ROMFS file is a buffer of the memory-
    # mapped partition), if 16-byte aligned; None for a file to be read.
    try:
        data = memoryview(f)
        import uctypes

        return data if uctypes.addressof(data) % 16 == 0 else None
    except (TypeError, ImportError):
        return None
