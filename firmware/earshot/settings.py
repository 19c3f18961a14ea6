# Detector settings: one set of names on the device, the host commands and settings files.
#
#   option          key           meaning
#   --threshold P   threshold     probability 0..1: of the smoothed score (average rule),
#                                 the cutoff (esphome rule: int(P * 255) as a uint8)
#   --average-ms N  average_ms    the averaging window (esphome: the sliding window, N ms
#                                 of inferences: N // (hop_ms * every) outputs)
#   --min-count N   min_count     results needed in the window (average rule only)
#   --suppress-ms N suppress_ms   no detection within N ms after one (esphome: the
#                                 hold-off, N // hop_ms feature frames)
#   --every N       every         hops per inference
#   --gate DBFS     gate          energy gate: skip inference while the window is quieter
#                                 than DBFS (null: off)
#   --settings F    (a JSON object of some of the keys above: what `earshot calibrate`
#                   writes)
#
# The settings in force (detect.resolve) are, key by key, the last of: the model's
# defaults (metadata "detector" and "streaming"), the settings the model ships with
# (metadata "settings", written into a model by `earshot flash-model --settings`), a
# settings file, options. They are complete (every key, the rule too) and normalized to
# what the detector does: `hello` reports them. This module checks and reads settings;
# the detector's path does not import it unless there are settings to check.

KEYS = ("threshold", "average_ms", "min_count", "suppress_ms", "every", "gate")
OPTIONS = {
    "--threshold": "threshold",
    "--average-ms": "average_ms",
    "--min-count": "min_count",
    "--suppress-ms": "suppress_ms",
    "--every": "every",
    "--gate": "gate",
}
INTEGERS = ("average_ms", "min_count", "suppress_ms", "every")


def check(settings, where="settings"):
    # A dict of some of KEYS with values of the right type and range (ints for ms and
    # counts; gate may be None). Returns a new dict of the same values; raises ValueError
    # naming the problem (and where it came from) otherwise.
    if not isinstance(settings, dict):
        raise ValueError("{}: not a JSON object of detector settings".format(where))
    out = {}
    for key, value in settings.items():
        if key not in KEYS:
            raise ValueError("{}: unknown setting {!r} (known: {})".format(
                where, key, ", ".join(KEYS)))  # fmt: skip
        if value is None and key in ("gate", "min_count"):
            out[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("{}: {} must be a number, not {!r}".format(where, key, value))
        if key in INTEGERS:
            if value != int(value):
                raise ValueError("{}: {} must be a whole number, not {}".format(where, key, value))
            value = int(value)
            low = 0 if key == "suppress_ms" else 1
            if value < low:
                raise ValueError(
                    "{}: {} must be at least {}, not {}".format(where, key, low, value)
                )
        elif key == "threshold" and not 0.0 < value < 1.0:
            raise ValueError("{}: threshold must be between 0 and 1, not {}".format(where, value))
        elif key == "gate" and value > 0:
            raise ValueError("{}: gate is in dBFS (0 or below), not {}".format(where, value))
        out[key] = value
    return out


def parse_option(option, text):
    # The (key, value) of a command-line option of OPTIONS and its text.
    key = OPTIONS[option]
    try:
        value = float(text) if key in ("threshold", "gate") else int(text)
    except ValueError:
        raise ValueError("{} needs a number, not {!r}".format(option, text)) from None
    return key, check({key: value}, option)[key]


def load(path):
    # The settings of a JSON file (a settings file of `earshot calibrate`).
    import json

    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as err:
        raise ValueError("settings file {}: {}".format(path, err)) from None
    except ValueError:
        raise ValueError("settings file {}: not valid JSON".format(path)) from None
    return check(data, "settings file " + path)


def save(path, settings):
    # Write settings (checked) as a settings file.
    import json

    data = check(settings)
    with open(path, "w") as f:
        json.dump(data, f)
