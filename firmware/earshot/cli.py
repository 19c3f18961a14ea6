# The device's command line: `micropython -m earshot ARGS` runs main(ARGS), and a board's
# raw REPL runs exactly the same with `from earshot.cli import main; main([...])`.
#
#   micropython -m earshot --model micro_speech --wav speech.wav [--realtime]
#   micropython -m earshot --wav speech.wav    (the active model: earshot.active_model())
#   arecord -f S16_LE -r 16000 -c 1 | micropython -m earshot --model micro_speech --stdin
#   from earshot.cli import main; main(["--uart", "--threshold", "0.7"])   (on a board)
#
# Model: --model NAME (frozen) or PATH (an .esm file: Model.from_file); --model-file PATH
# is the same as --model PATH; neither: the board's active model (the newest valid model
# slot, else the frozen default).
# Source (one): --wav FILE | --stdin (raw s16le PCM) | --mic (the board's I2S microphone;
# on the Unix port 32-bit I2S slots on stdin, --mic-shift N) | --uart (the host's protocol
# lines on the console: `earshot listen`/`stream`).
# Detector settings (earshot.settings): --threshold P --average-ms N --min-count N
# --suppress-ms N --every N --gate DBFS --settings FILE (options win over the file).
# Output: --human (readable lines instead of JSON), --stats-ms N (0: off), --t0-ms N (the
# audio clock starts at N ms), --device ID (the hello's device id), --realtime (play a
# file at the speed of audio), --record (send the audio heard as protocol lines) or
# --record-on-detection (the 2 s around each detection), --scores (every inference's raw
# output as a "scores" line).
# Cascade: --vad NAME|PATH|DBFS (a first stage in front of a streaming model, earshot.cascade:
# a frozen VAD model, a VAD model file, or an energy level in dBFS such as -30).
# With no arguments it prints the banner. main() returns the exit status: 0, 1 (an error,
# reported as an error message), 2 (bad arguments, with the usage on stderr).

import sys

import earshot

USAGE = (
    "usage: micropython -m earshot [--model NAME|PATH] (--wav FILE | --stdin | --mic | --uart)"
    " [--threshold P] [--average-ms N] [--min-count N] [--suppress-ms N] [--every N]"
    " [--gate DBFS] [--settings FILE] [--t0-ms N] [--stats-ms N] [--device ID] [--human]"
    " [--realtime] [--record | --record-on-detection] [--scores] [--mic-shift N]"
    " [--vad NAME|PATH|DBFS]"
)
SOURCES = ("--wav", "--stdin", "--mic", "--uart")
FLAGS = ("--stdin", "--mic", "--uart", "--human", "--realtime", "--record",
         "--record-on-detection", "--scores")  # fmt: skip
VALUES = ("--model", "--model-file", "--wav", "--settings", "--t0-ms", "--stats-ms",
          "--device", "--mic-shift", "--vad")  # fmt: skip
# The detector settings' options (earshot.settings.OPTIONS, not imported unless used).
SETTINGS = ("--threshold", "--average-ms", "--min-count", "--suppress-ms", "--every", "--gate")


def _int(opts, option, default, low=0):
    text = opts.get(option)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError("{} needs a whole number, not {!r}".format(option, text)) from None
    if value < low:
        raise ValueError("{} must be at least {}, not {}".format(option, low, value))
    return value


def parse(argv):
    # The options as a dict (flags: True); checks names, counts and numbers. The settings
    # options and file are checked into opts["settings"].
    opts = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in FLAGS:
            opts[arg] = True
        elif (arg in VALUES or arg in SETTINGS) and i + 1 < len(argv):
            opts[arg] = argv[i + 1]
            i += 1
        else:
            raise ValueError("unknown or incomplete option {!r}".format(arg))
        i += 1
    if "--model" in opts and "--model-file" in opts:
        raise ValueError("give one of --model NAME|PATH or --model-file PATH, not both")
    if sum(1 for s in SOURCES if s in opts) != 1:
        raise ValueError("give one of --wav FILE, --stdin, --mic or --uart")
    if "--record" in opts and "--record-on-detection" in opts:
        raise ValueError("give one of --record or --record-on-detection")
    opts["settings"] = {}
    if "--settings" in opts or any(option in opts for option in SETTINGS):
        opts["settings"] = _settings(opts)
    opts["t0"] = _int(opts, "--t0-ms", 0)
    opts["stats"] = _int(opts, "--stats-ms", 10000)
    opts["shift"] = _int(opts, "--mic-shift", 14)
    return opts


def forget(name):
    # Unload a module of the package used only while setting up (its functions and names
    # are heap: a small board wants it back before the pipeline takes its buffers).
    import sys

    if sys.modules.pop(name, None) is not None:
        package, _, leaf = name.rpartition(".")
        parent = sys.modules.get(package)
        if parent is not None and leaf in parent.__dict__:
            delattr(parent, leaf)


def _settings(opts):
    # The settings of the options over those of the --settings file, checked.
    from . import settings

    out = settings.load(opts["--settings"]) if "--settings" in opts else {}
    for option in SETTINGS:
        if option in opts:
            key, value = settings.parse_option(option, opts[option])
            out[key] = value
    settings = None
    forget("earshot.settings")
    return out


def load_model(spec):
    # A frozen model by name, or a model file by path (it has a "/" or ends in ".esm").
    if spec is None:
        return earshot.active_model()
    if "/" in spec or spec.endswith(".esm"):
        return earshot.Model.from_file(spec)
    try:
        return earshot.Model.frozen(spec)
    except ImportError:
        import earshot_models

        raise ValueError("no frozen model {!r} (frozen: {})".format(
            spec, ", ".join(earshot_models.NAMES))) from None  # fmt: skip


def open_source(opts, rate, hop):
    # The source of the options, for audio at rate in hops of hop samples.
    if "--wav" in opts:
        from .sources.wav import WavSource

        return WavSource(opts["--wav"], expect_rate=rate)
    if "--stdin" in opts:
        from .sources.stdin import StdinSource

        return StdinSource(rate)
    if "--uart" in opts:
        from .sources.uart import LineSource

        return LineSource(rate, hop)
    try:
        from machine import I2S  # noqa: F401
    except ImportError:
        if sys.platform not in ("linux", "darwin"):
            raise
        from .sources.stdin_mic import StdinMicSource

        return StdinMicSource(rate, hop, opts["shift"])
    from .sources.i2s import I2SSource

    return I2SSource(rate, hop, shift=opts["shift"])


def make_cascade(spec, model):
    # --vad: an energy level (a number, dBFS), a frozen model's name, or a model file.
    from .cascade import Cascade
    from .stream import gate_level

    stride = model.metadata.get("streaming", {}).get("hops_per_inference", 1)
    try:
        dbfs = float(spec)
    except ValueError:
        dbfs = None
    if dbfs is not None:
        return Cascade(None, stride, level=gate_level(dbfs))
    return Cascade(load_model(spec), stride)


def _device(name):
    # The hello's device id: --device (made topic-safe), else the board's own.
    from . import device

    name = device.safe(name) if name is not None else device.device_id()
    device = None
    forget("earshot.device")
    return name


def pacer(hop_ms):
    # pace(): waits until the audio of one more hop is due (wrapping ticks: any length).
    import time

    deadline = [time.ticks_ms()]

    def pace():
        deadline[0] = time.ticks_add(deadline[0], hop_ms)
        ahead = time.ticks_diff(deadline[0], time.ticks_ms())
        if ahead > 0:
            time.sleep_ms(ahead)

    return pace


def main(argv):
    if not argv:
        print(earshot.banner())
        return 0
    from .protocol import Console
    from .stream import Listener

    try:
        opts = parse(argv)
    except ValueError as err:
        if "--settings" in str(err) or "settings file" in str(err):
            Console().error(str(err))  # a bad file, not bad usage
            return 1
        print("earshot:", err, file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 2
    console = Console(human="--human" in opts)
    source = None
    try:
        console.device = _device(opts.get("--device"))
        model = load_model(opts.get("--model", opts.get("--model-file")))
        cascade = make_cascade(opts["--vad"], model) if "--vad" in opts else None
        listener = Listener(
            model,
            console,
            settings=opts["settings"],
            # A microphone keeps talking while the model runs: slack for the longest
            # inference; pulled sources need only two slots.
            ring_slots=4 if "--mic" in opts else 2,
            stats_ms=opts["stats"],
            t0_ms=opts["t0"],
            cascade=cascade,
        )
        if "--record" in opts or "--record-on-detection" in opts:
            from .record import Recorder

            listener.tap = Recorder(listener.frontend.hop, listener.hop_ms,
                                    on_detection="--record-on-detection" in opts)  # fmt: skip
        listener.trace = "--scores" in opts
        source = open_source(opts, listener.frontend.sample_rate, listener.frontend.hop)
        listener.run(source, pacer(listener.hop_ms) if "--realtime" in opts else None)
    except (ValueError, OSError, ImportError) as err:
        console.error(str(err))
        return 1
    except MemoryError:
        import gc

        gc.collect()
        console.error("out of memory: {} bytes of heap free".format(gc.mem_free()))
        return 1
    finally:
        if source is not None:
            source.close()
    return 0
