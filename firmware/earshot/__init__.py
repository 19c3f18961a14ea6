# earshot: always-on audio machine learning for MicroPython (device side).
import sys

__version__ = "0.1.0"

platform = sys.platform

try:
    import _earshot

    has_cmodule = True
    kernels = _earshot.KERNELS
    from .model import Model  # noqa: F401

    def Frontend(model):
        # earshot.frontend.Frontend, imported on first use (every byte of RAM counts on
        # the smallest boards).
        from .frontend import Frontend

        return Frontend(model)

    def active_model():
        # The model this board runs when none is named: the newest valid model slot, else
        # the frozen default; its .source says which and why (earshot.store).
        from .store import active_model

        return active_model()

    def model_source():
        # Where active_model() would take its model from, without building it.
        from .store import selection

        return selection()[1]
except ImportError:
    has_cmodule = False
    kernels = None

try:
    from ulab import numpy as _np  # noqa: F401

    has_ulab = True
except ImportError:
    has_ulab = False
# Model.output_array() / input_array() make ndarray views: ulab built into this firmware
# with earshot (docs/ULAB.md); never in the native module.
ulab_views = has_cmodule and getattr(_earshot, "has_ulab", False)


def machine():
    # The board or host the firmware was built for, as the port reports it.
    impl = getattr(sys.implementation, "_machine", None)
    return impl or platform


def info():
    return {
        "version": __version__,
        "platform": platform,
        "machine": machine(),
        "cmodule": has_cmodule,
        "kernels": kernels,
        "ulab": has_ulab,
        "ulab_views": ulab_views,
        "model": model_source() if has_cmodule else None,
    }


def banner():
    return "earshot {} on {} ({}): C module {}, ulab {}".format(
        __version__,
        platform,
        machine(),
        "yes ({} kernels)".format(kernels) if has_cmodule else "no",
        "yes" if has_ulab else "no",
    )
