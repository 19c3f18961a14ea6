# Freezes every model of models/ as the package `earshot_models` (one module per model,
# one bytes literal each: the model stays in flash). The modules are generated into
# build/models/ by `python -m earshot_host.catalog freeze` (run by the Makefile).
package("earshot_models", base_path="../build/models", opt=3)
