# The audio front end of a model: int16 hops in, the model's int8 input frames out.
#
#     fe = earshot.Frontend(model)          # an earshot.Model, or the model file's bytes
#     out = bytearray(fe.features)
#     if fe.process(hop, out):              # hop: fe.hop int16 samples
#         ...                               # out holds one frame of the model's input
#
# The front end (tflm_micro, mfcc or logmel) and its tables come from the model file: the
# metadata is read once here, the tables stay in the model buffer (zero copy; from a
# bytearray the C object copies the few whose values index memory and the FFT twiddles) and
# the C object (_earshot.Frontend) allocates its state once; process() allocates nothing.
# hop and out may be ulab ndarrays (int16 in, int8 out: docs/ULAB.md).
# Attributes: kind, sample_rate, hop, window, features, frames, channels, fft_size,
# state_bytes. See firmware/cmodules/earshot/modfrontend.c for process / reset / gain /
# set_gain / c0_offset.

import _earshot


def _source(model):
    # (buffer, metadata) of an earshot.Model or of a model file's bytes.
    buffer = getattr(model, "_buffer", None)
    if buffer is not None:
        return buffer, model.metadata
    _, _, _, offset, size = _earshot.check(model, False)
    if not size:
        return model, {}
    import json

    return model, json.loads(memoryview(model)[offset : offset + size])


def Frontend(model):
    buffer, metadata = _source(model)
    frontend = metadata.get("frontend")
    if not frontend:
        raise ValueError("model {} has no audio front end".format(metadata.get("name")))
    return _earshot.Frontend(buffer, frontend)
