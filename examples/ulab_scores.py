# Per-class score averaging and argmax with ulab on a model's outputs (docs/ULAB.md).
#
#     build/unix-ulab/micropython examples/ulab_scores.py tests/data/audio/yes_1000ms.wav
#
# A WAV file (PCM16 mono at the model's rate) goes hop by hop through the model's front
# end into its input window; after every inference the output's scores are dequantized
# into a float ndarray, the last AVERAGE of them are averaged per class, and the class with
# the highest average is printed with its score when it changes, and at the end. The
# frame, the scores and the last scores are ndarrays made once, and the model's output is
# read through an ndarray view of the arena (m.output_array(), no copy): per hop nothing is
# allocated, per inference only the average (np.mean) and a printed line.
import struct
import sys

import _earshot
import earshot
from ulab import numpy as np

AVERAGE = 3  # inferences averaged per class
TAIL_MS = 500  # silence after the file, so that its end reaches the window


def wav_data(f):
    # Skips the RIFF header and chunks up to the PCM data; returns its byte length.
    riff, _, wave = struct.unpack("<4sI4s", f.read(12))
    if riff != b"RIFF" or wave != b"WAVE":
        raise ValueError("not a WAV file")
    while True:
        chunk, size = struct.unpack("<4sI", f.read(8))
        if chunk == b"data":
            return size
        f.read(size + (size & 1))


def main(path, name="micro_speech"):
    m = earshot.Model.frozen(name)
    fe = earshot.Frontend(m)
    labels = m.labels
    frame = np.zeros(fe.features, dtype=np.int8)  # the front end writes into it
    scores = np.zeros(len(labels), dtype=np.float)  # dequantized outputs of one inference
    recent = np.zeros((AVERAGE, len(labels)), dtype=np.float)  # the last AVERAGE of them
    quantized = m.output_array()  # int8 view of the output tensor
    hop = bytearray(2 * fe.hop)
    ms_per_hop = 1000 * fe.hop // fe.sample_rate
    frames = inferences = 0
    best = raw_top = -1
    mean = scores
    with open(path, "rb") as f:
        left = wav_data(f)
        tail = TAIL_MS // ms_per_hop
        t_ms = 0
        while left > 0 or tail > 0:
            if left > 0:
                n = f.readinto(hop)
                left -= n
                for i in range(n, len(hop)):
                    hop[i] = 0
            else:
                for i in range(len(hop)):
                    hop[i] = 0
                tail -= 1
            t_ms += ms_per_hop
            if not fe.process(hop, frame):
                continue
            _earshot.shift_in(m.input, frame)  # slide the window of frames by one
            frames += 1
            if frames < fe.frames:
                continue
            m.invoke()
            m.dequantize_output(scores)
            recent[inferences % AVERAGE, :] = scores
            inferences += 1
            mean = np.mean(recent[: min(inferences, AVERAGE)], axis=0)
            top = int(np.argmax(mean))
            if top != best:  # a new leader
                best = top
                print("{:5d} ms {:8s} {:.2f}".format(t_ms, labels[top], mean[top]))
            # (np.argmax(quantized): the same argmax on the raw int8 scores, no float)
            raw_top = int(np.argmax(quantized))
    print("final {} {:.2f} (raw int8 argmax: {})".format(labels[best], mean[best], labels[raw_top]))


if __name__ == "__main__":
    main(*sys.argv[1:])
