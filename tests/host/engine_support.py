"""Paths and cached conversions shared by the host tests of the int8 inference engine."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from earshot_host.convert import ConvertedModel, convert_tflite

ROOT = Path(__file__).resolve().parents[2]

REFERENCE_DIR = ROOT / "tests" / "data" / "reference"  # golden spectrograms
CONFORMANCE_DIR = ROOT / "tests" / "data" / "conformance"
MODELS_DIR = ROOT / "models"

# The reference .tflite files live in models/<name>/ (with their provenance in MODEL.md).
REFERENCE_MODELS = {
    "micro_speech": MODELS_DIR / "micro_speech" / "micro_speech_quantized.tflite",
    "kws_ref_model": MODELS_DIR / "mlperf_kws" / "kws_ref_model.tflite",
    "str_ww_ref_model": MODELS_DIR / "mlperf_sww" / "str_ww_ref_model.tflite",
    "ad01_int8": MODELS_DIR / "mlperf_ad01" / "ad01_int8.tflite",
    "pretrainedResnet_quant": MODELS_DIR / "mlperf_resnet8" / "pretrainedResnet_quant.tflite",
}
MICRO_SPEECH_LABELS = ["silence", "unknown", "yes", "no"]


@cache
def converted(path: Path, fc_rounding: str = "double") -> ConvertedModel:
    """Convert a .tflite once per test session."""
    return convert_tflite(path.read_bytes(), name=path.stem, fc_rounding=fc_rounding)


@cache
def micro_speech_model() -> ConvertedModel:
    return convert_tflite(
        REFERENCE_MODELS["micro_speech"].read_bytes(),
        name="micro_speech",
        labels=MICRO_SPEECH_LABELS,
        frontend={"kind": "tflm_micro_frontend", "window_ms": 30, "stride_ms": 20},
        detector={"threshold": 200, "suppression_ms": 1500},
    )
