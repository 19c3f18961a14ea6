"""Front-end tables inside the model file: the converter stores every table of
build_tables (built with the model's own input quantization) in the constant blob, 16-byte
aligned, and describes them in metadata frontend.tables / frontend.scalars; format v1
stays valid and the tables read back are exactly build_tables'."""

from __future__ import annotations

import numpy as np
import pytest

from earshot_host.catalog import load_catalog
from earshot_host.convert import convert_tflite
from earshot_host.convert.frontend_tables import frontend_tables_of
from earshot_host.errors import EarshotError
from earshot_host.frontend.tables import build_tables
from earshot_host.modelfile import read_model

CATALOG = load_catalog()
WITH_FRONTEND = {"micro_speech": "tflm_micro", "mlperf_kws": "mfcc", "mlperf_sww": "logmel"}


@pytest.mark.parametrize("name", sorted(WITH_FRONTEND))
def test_committed_models_carry_their_tables(name):
    blob = CATALOG[name].model_path.read_bytes()
    model = read_model(blob)  # still a valid format-v1 file (every loader check)
    frontend = model.metadata["frontend"]
    assert frontend["type"] == WITH_FRONTEND[name]
    inp = model.metadata["inputs"][0]
    expected = build_tables(frontend, inp["scale"], inp["zero_point"])
    assert set(frontend["tables"]) == set(expected.arrays)
    for table, (offset, dtype, count) in frontend["tables"].items():
        array = expected.arrays[table]
        assert offset % 16 == 0, table
        assert model.blob_offset <= offset
        assert offset + count * array.itemsize <= model.blob_offset + model.blob_size, table
        assert dtype == array.dtype.name and count == array.size, table
    assert all(type(v) is int for v in frontend["scalars"].values())
    assert frontend["scalars"] == {
        k: int(v) for k, v in expected.scalars.items() if not isinstance(v, float)
    }
    back = frontend_tables_of(blob, model.metadata)
    for table, array in expected.arrays.items():
        assert back.arrays[table].dtype == array.dtype
        np.testing.assert_array_equal(back.arrays[table], array, err_msg=table)
    assert back.scalars == expected.scalars


def test_tables_do_not_overlap_the_model_constants():
    blob = CATALOG["micro_speech"].model_path.read_bytes()
    model = read_model(blob)
    spans = [(t.offset, t.offset + t.byte_size) for t in model.tensors if t.kind == 0]
    for offset, dtype, count in model.metadata["frontend"]["tables"].values():
        end = offset + count * (4 if dtype == "int32" else 2)
        assert all(end <= a or offset >= b for a, b in spans)


def test_frontend_without_type_is_kept_as_a_description():
    data = CATALOG["micro_speech"].source_path.read_bytes()
    converted = convert_tflite(data, name="m", frontend={"kind": "x", "window_ms": 30})
    assert converted.model.metadata["frontend"] == {"kind": "x", "window_ms": 30}


def test_unknown_frontend_type_is_an_error():
    data = CATALOG["micro_speech"].source_path.read_bytes()
    with pytest.raises(EarshotError, match="frontend type 'spectrogram' is unknown"):
        convert_tflite(data, name="m", frontend={"type": "spectrogram"})


def test_models_without_frontend_are_unchanged():
    model = read_model(CATALOG["mlperf_ad01"].model_path.read_bytes())
    assert "frontend" not in model.metadata
