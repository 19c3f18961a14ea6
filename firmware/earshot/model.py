# An int8 model in earshot's format (models/FORMAT.md), run by the `_earshot` C engine.
#
# The model bytes are checked once, when the Model is made, and never copied: weights are
# read in place (flash for frozen models). The buffer must not change after that (invoke
# trusts the checked offsets): give Model a buffer nothing else writes. Activations live
# in one bytearray, the arena, allocated here once; .input/.output are int8 memoryviews
# into it, made once, so that
#
#     m.input[:] = features
#     m.invoke()
#     scores = m.output
#
# allocates nothing per inference.

import gc

import _earshot


class Model:
    # Where the model came from ("frozen NAME", "file PATH", "slot A seq 3 (NAME)", ...).
    source = None

    def __init__(self, buffer, check_crc=True):
        arena_size, ins, outs, meta_offset, meta_size = _earshot.check(buffer, check_crc)
        self._buffer = buffer
        self._meta = (meta_offset, meta_size)
        self._metadata = None
        self.arena_size = arena_size
        # Collect first: the arena lives as long as the model, and a heap cleared of the
        # garbage of imports and compilation gives it the lowest free block instead of a
        # spot that splits the free space (small boards feel the difference).
        gc.collect()
        try:
            arena = bytearray(arena_size)
        except MemoryError:
            gc.collect()
            raise ValueError(
                "model needs {} bytes of arena, heap has {} free".format(arena_size, gc.mem_free())
            ) from None
        self._arena = arena
        _earshot.reset(buffer, arena)  # a stateful model's variables: initial values
        view = _earshot.int8_view(arena)
        self.inputs = [view[t[0] : t[0] + t[1]] for t in ins]
        self.outputs = [view[t[0] : t[0] + t[1]] for t in outs]
        self.input = self.inputs[0]
        self.output = self.outputs[0]
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
        self._invoke = _earshot.invoke

    @classmethod
    def from_file(cls, path):
        # The whole file in one bytearray (read in place, no second copy); CRC checked.
        import os

        size = os.stat(path)[6]
        data = bytearray(size)
        with open(path, "rb") as f:
            n = f.readinto(data)
        if n != size:
            raise ValueError("short read of {}: {} of {} bytes".format(path, n, size))
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

    def invoke(self):
        self._invoke(self._buffer, self._arena)

    def reset(self):
        # A stateful model (variables) starts again from its initial state.
        _earshot.reset(self._buffer, self._arena)

    @property
    def metadata(self):
        if self._metadata is None:
            offset, size = self._meta
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

    def __repr__(self):
        return "<Model {} {}->{} arena {}>".format(
            self.name, self.input_shape, self.output_shape, self.arena_size
        )
