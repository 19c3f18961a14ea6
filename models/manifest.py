# Freezes models of models/ as the package `earshot_models` (one module per model, one
# bytes literal each: the model stays in flash). The modules are generated into
# build/models/{all,small}/ by `python -m earshot_host.catalog freeze` (run by the
# Makefile): `all` holds every model, `small` leaves out the models whose model.toml says
# freeze = "large" (hey_jarvis and vad: 34-50 KB of flash each).
#
# A board's manifest chooses what its image carries, so the image fits the board's
# firmware region: `large_models=False` freezes the small set, and `models=` names the
# models one by one (from every model):
#     include("../../models/manifest.py", models=("micro_speech", "mlperf_kws"))
# The package's NAMES lists the models an image actually holds.
options.defaults(large_models=True)
names = options.models
files = None if names is None else ["__init__.py"] + [name + ".py" for name in names]
package(
    "earshot_models",
    files=files,
    base_path="../build/models/" + ("all" if options.large_models or names else "small"),
    opt=3,
)
