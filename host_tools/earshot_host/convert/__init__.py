"""Convert full-integer int8 .tflite models into earshot model files."""

from .converter import ConvertedModel, convert_tflite
from .report import ModelReport, OpReportRow

__all__ = ["ConvertedModel", "ModelReport", "OpReportRow", "convert_tflite"]
