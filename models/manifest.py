# Freezes models of models/ as the package `earshot_models` (one module per model, one
# bytes literal each: the model stays in flash). The modules are generated into
# build/models/ by `python -m earshot_host.catalog freeze` (run by the Makefile).
#
# A board's manifest chooses which models its image carries, so the image fits the
# board's firmware region:
#     include("../../models/manifest.py", models=("micro_speech", "mlperf_kws"))
# Without `models=` every model is frozen (the Unix port and the large QEMU boards).
# The package's NAMES lists the models an image actually holds.
names = options.models
files = None if names is None else ["__init__.py"] + [name + ".py" for name in names]
package("earshot_models", files=files, base_path="../build/models", opt=3)
