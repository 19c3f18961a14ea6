"""Model fuzzing: mutants of valid earshot models run on the Unix firmware (models/FORMAT.md
§5 must refuse each with a reason, or the engine must run it correctly)."""

from .mutations import Mutant, mutate
from .runner import Case, FirmwareFuzzer, Report, base_models, generate, make_case, save_failure

__all__ = [
    "Case",
    "FirmwareFuzzer",
    "Mutant",
    "Report",
    "base_models",
    "generate",
    "make_case",
    "mutate",
    "save_failure",
]
