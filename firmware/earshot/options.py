# The device command line's parsing and setup (earshot.cli): options, settings, the model,
# the cascade, the device id. earshot.cli imports it to start a run and unloads it before
# the pipeline takes its buffers: its functions are heap a 20 KiB board wants back.

import sys

import earshot

USAGE = (
    "usage: micropython -m earshot [--model NAME|PATH] (--wav FILE | --stdin | --mic | --uart)"
    " [--threshold P] [--average-ms N] [--min-count N] [--suppress-ms N] [--every N]"
    " [--gate DBFS] [--settings FILE] [--t0-ms N] [--stats-ms N] [--device ID] [--human]"
    " [--realtime] [--record | --record-on-detection] [--scores] [--mic-gain-bits N]"
    " [--vad NAME|PATH|DBFS] [--mqtt HOST:PORT [--mqtt-queue N]] [--cores N [--alternate]]"
)
SOURCES = ("--wav", "--stdin", "--mic", "--uart")
FLAGS = ("--stdin", "--mic", "--uart", "--human", "--realtime", "--record",
         "--record-on-detection", "--scores", "--alternate")  # fmt: skip
VALUES = ("--model", "--model-file", "--wav", "--settings", "--t0-ms", "--stats-ms",
          "--device", "--mic-gain-bits", "--vad", "--mqtt",
          "--mqtt-queue", "--cores")  # fmt: skip
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
    opts["gain_bits"] = _int(opts, "--mic-gain-bits", 0)
    opts["mqtt_queue"] = _int(opts, "--mqtt-queue", 16, low=1)
    opts["cores"] = _int(opts, "--cores", 1, low=1)
    if opts["cores"] > 2:
        raise ValueError("--cores must be 1 or 2, not {}".format(opts["cores"]))
    if "--alternate" in opts and opts["cores"] != 2:
        raise ValueError("--alternate needs --cores 2")
    return opts


def forget(name):
    # Unload a module of the package used only while setting up (its functions and names
    # are heap: a small board wants it back before the pipeline takes its buffers).

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


def device_id(name):
    # The hello's device id: --device (made topic-safe), else the board's own.
    from . import device

    name = device.safe(name) if name is not None else device.device_id()
    device = None
    forget("earshot.device")
    return name
