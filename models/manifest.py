# Freezes the models of models/ as the package `earshot_models` (one module per model,
# one bytes literal each: the model stays in flash). The modules are generated into
# build/models/{all,small}/ by `python -m earshot_host.catalog freeze` (run by the
# Makefile): `all` holds every model, `small` leaves out the models whose model.toml says
# freeze = "large" (hey_jarvis and vad: 34-50 KB of flash each).
# A board includes this file with large_models=False to freeze the small set.
options.defaults(large_models=True)
package(
    "earshot_models",
    base_path="../build/models/" + ("all" if options.large_models else "small"),
    opt=3,
)
