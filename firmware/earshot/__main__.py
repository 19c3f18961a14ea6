# `micropython -m earshot ...`: the always-on detector.
#
#   micropython -m earshot --model micro_speech --wav speech.wav [--realtime]
#   micropython -m earshot --wav speech.wav    (the active model: earshot.active_model())
#   arecord -f S16_LE -r 16000 -c 1 | micropython -m earshot --model micro_speech --stdin
#   (on a board with an I2S microphone) earshot.__main__ ... --mic
#
# Options: --model NAME (frozen) | --model-file PATH | neither (the board's active model:
# the newest valid model slot, else the frozen default); --wav FILE | --stdin | --mic;
# --vad NAME|PATH|DBFS (a first stage in front of a streaming model: earshot/cascade.py:
# a frozen VAD model, a VAD model file, or an energy level in dBFS such as -30);
# --every N (hops per inference), --threshold P (0..1), --gate DBFS (energy gate, e.g.
# -50), --stats-ms N (0: off), --human (readable lines instead of JSON), --realtime
# (play a file at the speed of audio). With no options it prints the banner.

import sys

import earshot

USAGE = (
    "usage: micropython -m earshot [--model NAME | --model-file PATH]"
    " (--wav FILE | --stdin | --mic) [--every N] [--threshold P] [--gate DBFS]"
    " [--stats-ms N] [--human] [--realtime] [--vad NAME|PATH|DBFS]"
)
FLAGS = ("--stdin", "--mic", "--human", "--realtime")
VALUES = ("--model", "--model-file", "--wav", "--every", "--threshold", "--gate", "--stats-ms",
          "--vad")  # fmt: skip


def parse(argv):
    opts = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in FLAGS:
            opts[arg] = True
        elif arg in VALUES and i + 1 < len(argv):
            opts[arg] = argv[i + 1]
            i += 1
        else:
            raise ValueError("unknown or incomplete option {!r}".format(arg))
        i += 1
    if "--model" in opts and "--model-file" in opts:
        raise ValueError("give one of --model NAME or --model-file PATH, not both")
    if ("--wav" in opts) + ("--stdin" in opts) + ("--mic" in opts) != 1:
        raise ValueError("give one of --wav FILE, --stdin or --mic")
    return opts


def pacer():
    import time

    start = time.ticks_ms()

    def pace(t_ms):
        ahead = t_ms - time.ticks_diff(time.ticks_ms(), start)
        if ahead > 0:
            time.sleep_ms(ahead)

    return pace


def make_cascade(spec, model):
    # --vad: an energy level (a number, dBFS), a frozen model's name, or a model file.
    from earshot.cascade import Cascade
    from earshot.stream import gate_level

    stride = model.metadata.get("streaming", {}).get("hops_per_inference", 1)
    try:
        dbfs = float(spec)
    except ValueError:
        dbfs = None
    if dbfs is not None:
        return Cascade(None, stride, level=gate_level(dbfs))
    load = earshot.Model.from_file if spec.endswith(".esm") else earshot.Model.frozen
    return Cascade(load(spec), stride)


def main(argv):
    if not argv:
        print(earshot.banner())
        return 0
    from earshot.protocol import Console
    from earshot.stream import Listener

    try:
        opts = parse(argv)
    except ValueError as err:
        print("earshot:", err, file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 2
    console = Console(human="--human" in opts)
    source = None
    try:
        if "--model" in opts:
            model = earshot.Model.frozen(opts["--model"])
        elif "--model-file" in opts:
            model = earshot.Model.from_file(opts["--model-file"])
        else:
            model = earshot.active_model()
        cascade = make_cascade(opts["--vad"], model) if "--vad" in opts else None
        detector = {}
        if "--threshold" in opts:
            detector["threshold"] = float(opts["--threshold"])
        listener = Listener(
            model,
            console,
            # A microphone keeps talking while the model runs: slack for the longest
            # inference; pulled sources need only two slots.
            ring_slots=4 if "--mic" in opts else 2,
            hops_per_inference=int(opts.get("--every", 0)) or None,
            gate_dbfs=float(opts["--gate"]) if "--gate" in opts else None,
            detector=detector,
            stats_ms=int(opts.get("--stats-ms", 10000)),
            cascade=cascade,
        )
        rate = listener.frontend.sample_rate
        if "--wav" in opts:
            from earshot.sources.wav import WavSource

            source = WavSource(opts["--wav"], expect_rate=rate)
        elif "--mic" in opts:
            from earshot.sources.i2s import I2SSource

            source = I2SSource(rate, listener.frontend.hop)
        else:
            from earshot.sources.stdin import StdinSource

            source = StdinSource(rate)
        listener.run(source, pacer() if "--realtime" in opts else None)
    except (ValueError, OSError, ImportError) as err:
        console.error(str(err))
        return 1
    finally:
        if source is not None:
            source.close()
    return 0


def _argv():
    # The Unix port gives `-m earshot` as argv[0]; everything after it is ours.
    return sys.argv[1:]


status = main(_argv())
if status:
    sys.exit(status)
