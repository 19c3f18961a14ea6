# earshot — build, test and run. Thin on purpose: the logic lives in firmware/deps/*.sh,
# the board folders (boards/) and the host package (host_tools/).
#
#   make run                 the main job on the Unix port
#   make test                install everything, build every firmware, run all tests
#   make unix                build/unix/micropython
#   make qemu BOARD=qemu_m3  build/qemu_m3/firmware.elf (qemu_m0, qemu_m3, qemu_m4, qemu_m7, qemu_m33)
#   make firmware            the Unix port and every QEMU board
#   make natmod              earshot as native modules for stock MicroPython: build/natmod/<arch>/
#                            (x64, armv6m, armv7m, armv7emsp; OPS=micro_speech: only what it needs)
#   make stock               stock MicroPython (nothing of earshot inside) for tests/stock/
#   make board BOARD=pico_i2s    a real board (pico_i2s, pico2_i2s, nucleo_f411re_i2s) from
#                            MICROPY_DIR= a full upstream MicroPython tree (without it: the
#                            pinned tag, cloned); rp2 also needs picotool_DIR or picotool_ROOT
#                            (an installed picotool; else it is cloned and built). Writes
#                            build/BOARD/firmware.bin and fails when it does not fit the board
#   make deps                toolchains, MicroPython source, ulab (optional), .venv
#   make models              reconvert models/*/ (.esm and the figures in MODEL.md)
#   make bench               benchmarks: build/bench.json, docs/BENCHMARKS.md (not in CI)
#   make fuzz                10,000 mutated models on the Unix port and a native ASan harness
#   make test-sanitize       engine, front-end and fuzz tests on the ASan+UBSan Unix port
#   make test-reference      engine tests on the reference-kernel builds (both run by test)
#   make test-ulab           ulab tests on builds with ulab (ULAB_DIR=...; run by test when
#                            there is a ulab tree)
#   make soak                1 h of audio on the Unix port, 10 min on qemu_m4 (build/soak.json)
#
# Variables: MICROPY_DIR (a MicroPython tree to use instead of the pinned one),
# ULAB_DIR (a micropython-ulab checkout), ULAB=1 (build the Unix port / a QEMU board with
# it, in build/<target>-ulab/), TARGETS (for `make test`, e.g. unix,qemu_m3),
# KERNELS=reference (the portable reference kernels, built into build/<target>-reference/;
# default: optimized, in build/<target>/), SANITIZE=1 (the Unix port with ASan+UBSan, in
# build/unix-sanitize/), PYTEST_ARGS, V=1 (verbose MicroPython builds),
# BENCH_ARGS (e.g. --quick --targets qemu_m4 --models micro_speech).

include firmware/deps/versions.env

SHELL := /bin/bash
EARSHOT_DIR := $(CURDIR)
BUILD := $(EARSHOT_DIR)/build
DEPS := $(BUILD)/deps
VENV := $(EARSHOT_DIR)/.venv
PYTHON := $(VENV)/bin/python

QEMU_BOARDS := $(patsubst boards/%/mpconfigboard.mk,%,$(wildcard boards/qemu_*/mpconfigboard.mk))
BOARD ?= qemu_m3

# Kernel implementation compiled into the C module; each has its own build folders.
KERNELS ?= optimized
ifeq ($(KERNELS),optimized)
KSUFFIX :=
else ifeq ($(KERNELS),reference)
KSUFFIX := -reference
else
$(error KERNELS must be optimized or reference, not '$(KERNELS)')
endif

# SANITIZE=1: the Unix port with AddressSanitizer and UndefinedBehaviorSanitizer, in its
# own build folder build/unix$(KSUFFIX)-sanitize/ (boards/unix/mpconfigvariant.mk).
ifeq ($(SANITIZE),1)
SSUFFIX := -sanitize
else
SSUFFIX :=
endif
UNIX_BUILD = $(BUILD)/unix$(KSUFFIX)$(SSUFFIX)$(USUFFIX)
QEMU_BUILD = $(BUILD)/$(BOARD)$(KSUFFIX)$(USUFFIX)

# A MicroPython tree given by the user is used as is; otherwise the pinned one is fetched.
ifdef MICROPY_DIR
MPY_DIR := $(abspath $(MICROPY_DIR))
MPY_SOURCE_DEP :=
else
MPY_DIR := $(DEPS)/micropython
MPY_SOURCE_DEP := $(MPY_DIR)/.earshot-source
endif

CMODULES := firmware/cmodules

# ulab: the user's checkout, else the pinned tag if it could be fetched (decided at
# recipe time, after `deps` has run). ULAB=1 builds the Unix port and QEMU boards with it,
# in build/<target>-ulab/ (docs/ULAB.md); their other builds leave it out, so that the
# main test suite tests what CI builds. Real boards (`make board`) include it when there
# is a tree.
ULAB_PINNED := $(DEPS)/ulab
ulab_dir = $(if $(ULAB_DIR),$(abspath $(ULAB_DIR)),$(if $(wildcard $(ULAB_PINNED)/code/micropython.mk),$(ULAB_PINNED)))
ifeq ($(ULAB),1)
USUFFIX := -ulab
else
USUFFIX :=
endif
# The ulab tree a Unix or QEMU build includes (fails when ULAB=1 has none to include).
build_ulab = $(if $(USUFFIX),$(or $(ulab_dir),$(error ULAB=1 needs ULAB_DIR=/path/to/micropython-ulab (or the pinned tree in $(ULAB_PINNED), fetched by make deps when the network allows))))

# Arguments every MicroPython port build gets. MPY_LIB_DIR points at a folder of ours
# (earshot freezes nothing from micropython-lib, which Debian's +ds tree lacks).
MPY_CROSS := $(BUILD)/mpy-cross/mpy-cross
# GIT_CEILING_DIRECTORIES: the fetched tree is inside earshot's checkout, and MicroPython's
# version header must not pick up earshot's commits (every commit would rebuild it).
MPY_MAKE_ARGS = --no-print-directory $(if $(V),V=1) \
	MICROPY_MPYCROSS=$(MPY_CROSS) MICROPY_MPYCROSS_DEPENDENCY=$(MPY_CROSS) \
	MPY_LIB_DIR=$(BUILD)/mpy-lib EARSHOT_DIR=$(EARSHOT_DIR) EARSHOT_KERNELS=$(KERNELS)
MPY_MAKE = GIT_CEILING_DIRECTORIES=$(DEPS) $(MAKE) $(MPY_MAKE_ARGS)

# A firmware build folder starts afresh when its configuration changes (build-dir.sh): the
# board folder, the shared layers, the C modules' build files, and this key.
CMODULE_BUILD_FILES := $(wildcard $(CMODULES)/*/micropython.mk $(CMODULES)/*/micropython.cmake)
build_dir = EARSHOT_BUILD_KEY="micropython=$(MPY_DIR) ulab=$(ulab_dir)" \
	firmware/deps/build-dir.sh $(1) $(2) firmware/config $(CMODULE_BUILD_FILES)


.PHONY: FORCE all deps deps-apt deps-retry models frozen-models unix qemu firmware stock stock-board natmod board test run bench lint clean distclean help \
	fuzz test-sanitize test-reference test-ulab soak
all: firmware

help:
	@sed -n '2,33p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------------------- deps
deps: deps-apt $(MPY_SOURCE_DEP) $(DEPS)/.ulab-tried $(VENV)/.installed $(BUILD)/mpy-lib/README.md \
	$(DEPS)/umqtt/umqtt/simple.py \
	$(DEPS)/node/.installed

deps-apt:
	@firmware/deps/apt-packages.sh

# Checked at every build (content digest, ~0.1 s); rewritten only when fetched again.
$(MPY_DIR)/.earshot-source: firmware/deps/versions.env FORCE | deps-apt
	@firmware/deps/micropython.sh $(MPY_DIR)

# The pinned ulab is tried once (a marker), and not at all when ULAB_DIR names a tree.
$(DEPS)/.ulab-tried: firmware/deps/versions.env
	@$(if $(ULAB_DIR),true,firmware/deps/ulab.sh $(ULAB_PINNED) && mkdir -p $(@D) && touch $@)

deps-retry:
	rm -rf $(DEPS)/.ulab-tried $(ULAB_PINNED).unavailable
	$(MAKE) deps

$(VENV)/.installed: host_tools/requirements.txt pyproject.toml
	@test -x $(PYTHON) || python3 -m venv $(VENV) || { echo "earshot deps: error: cannot create $(VENV) (need python3 with venv)" >&2; exit 1; }
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r host_tools/requirements.txt \
		|| { echo "earshot deps: error: pip could not install host_tools/requirements.txt" >&2; exit 1; }
	@$(PYTHON) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . \
		|| { echo "earshot deps: error: pip could not install the earshot host package" >&2; exit 1; }
	@touch $@

# micropython-lib's umqtt.simple (PyPI sdist, pinned): frozen into the Unix port for --mqtt.
$(DEPS)/umqtt/umqtt/simple.py: firmware/deps/versions.env
	@firmware/deps/umqtt.sh $(DEPS)/umqtt

# rp2040js for the emulated Pico (host_tools/rp2040js), from its package.json + lock.
# Without node/npm only the emulated-Pico target is missing: a warning, not a failure.
$(DEPS)/node/.installed: host_tools/rp2040js/package.json host_tools/rp2040js/package-lock.json
	@mkdir -p $(@D) && cp host_tools/rp2040js/package.json host_tools/rp2040js/package-lock.json $(@D)/
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "earshot deps: warning: no npm: the emulated Pico (rp2040js) is unavailable (apt install nodejs npm)" >&2; \
	elif (cd $(@D) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null); then \
		touch $@; \
	else echo "earshot deps: warning: npm could not install rp2040js: the emulated Pico is unavailable" >&2; fi

$(BUILD)/mpy-lib/README.md:
	@mkdir -p $(@D) && echo "Stands in for micropython-lib: earshot freezes nothing from it." > $@

$(MPY_CROSS): $(MPY_SOURCE_DEP) | deps-apt
	@$(MAKE) --no-print-directory -C $(MPY_DIR)/mpy-cross BUILD=$(BUILD)/mpy-cross PROG=mpy-cross >/dev/null

# -------------------------------------------------------------------------- models
models: deps
	@$(PYTHON) -m earshot_host.catalog convert

# The frozen package earshot_models (models/manifest.py freezes it); files are rewritten
# only when a model changed.
frozen-models: deps
	@$(PYTHON) -m earshot_host.catalog freeze $(BUILD)/models

# ------------------------------------------------------------------------ firmware
unix: deps frozen-models $(MPY_CROSS)
	@$(call build_dir,$(UNIX_BUILD),boards/unix)
	@ULAB=$(build_ulab) firmware/deps/usercmodules.sh $(UNIX_BUILD)/usercmodules $(CMODULES)/earshot
	@$(MPY_MAKE) -C $(MPY_DIR)/ports/unix VARIANT_DIR=$(EARSHOT_DIR)/boards/unix \
		BUILD=$(UNIX_BUILD) PROG=micropython EARSHOT_SANITIZE=$(SANITIZE) \
		USER_C_MODULES=$(UNIX_BUILD)/usercmodules
	@echo "earshot: built $(UNIX_BUILD)/micropython ($(KERNELS) kernels$(if $(SSUFFIX), with ASan+UBSan)$(if $(USUFFIX), with ulab))"

qemu: deps frozen-models $(MPY_CROSS)
	@test -f boards/$(BOARD)/mpconfigboard.mk || { echo "earshot: error: no QEMU board '$(BOARD)' (have: $(QEMU_BOARDS))" >&2; exit 1; }
	@$(call build_dir,$(QEMU_BUILD),boards/$(BOARD))
	@ULAB=$(build_ulab) firmware/deps/usercmodules.sh $(QEMU_BUILD)/usercmodules \
		$(CMODULES)/earshot $(CMODULES)/qemu_board
	@$(MPY_MAKE) -C $(MPY_DIR)/ports/qemu BOARD=$(BOARD) BOARD_DIR=$(EARSHOT_DIR)/boards/$(BOARD) \
		BUILD=$(QEMU_BUILD) FROZEN_MANIFEST=$(EARSHOT_DIR)/boards/$(BOARD)/manifest.py \
		USER_C_MODULES=$(QEMU_BUILD)/usercmodules
	@echo "earshot: built $(QEMU_BUILD)/firmware.elf ($(KERNELS) kernels$(if $(USUFFIX), with ulab))"

firmware: unix
	@for b in $(QEMU_BOARDS); do $(MAKE) --no-print-directory qemu BOARD=$$b || exit 1; done

# ------------------------------------------------------------------ stock firmware
# Stock MicroPython (boards/stock_*): the pinned source built as it ships, with nothing of
# earshot inside; earshot comes to it as native modules (`make natmod`). Each folder's
# stock.mk names the port, the build folder and the port's make arguments.
STOCK_BOARDS := $(patsubst boards/%/stock.mk,%,$(wildcard boards/stock_*/stock.mk))
ifneq ($(filter stock-board,$(MAKECMDGOALS)),)
include boards/$(BOARD)/stock.mk
endif

stock: deps
	@for b in $(STOCK_BOARDS); do $(MAKE) --no-print-directory stock-board BOARD=$$b || exit 1; done

stock-board: deps $(MPY_CROSS)
	@test -f boards/$(BOARD)/stock.mk || { echo "earshot: error: no stock board '$(BOARD)' (have: $(STOCK_BOARDS))" >&2; exit 1; }
	@firmware/deps/build-dir.sh $(BUILD)/$(STOCK_BUILD) boards/$(STOCK_BUILD)
	@GIT_CEILING_DIRECTORIES=$(DEPS) $(MAKE) --no-print-directory $(if $(V),V=1) -C $(MPY_DIR)/ports/$(STOCK_PORT) \
		MICROPY_MPYCROSS=$(MPY_CROSS) MICROPY_MPYCROSS_DEPENDENCY=$(MPY_CROSS) \
		BUILD=$(BUILD)/$(STOCK_BUILD) $(STOCK_ARGS) >$(BUILD)/$(STOCK_BUILD).log 2>&1 \
		|| { tail -30 $(BUILD)/$(STOCK_BUILD).log >&2; echo "earshot: error: stock firmware $(STOCK_BUILD) failed (log: $(BUILD)/$(STOCK_BUILD).log)" >&2; exit 1; }
	@echo "earshot: built stock MicroPython $(BUILD)/$(STOCK_BUILD) ($(BOARD))"

# -------------------------------------------------------------------- natmod
# earshot for stock MicroPython (docs/STOCK.md): build/natmod/<arch>/ holds the native
# module _earshot.mpy, the package earshot/*.mpy and mip's package.json; copying the
# folder's contents to a board's /lib is the install. firmware/natmod/Makefile builds one
# architecture with the pinned py/dynruntime.mk. NATMOD_ARCHS picks architectures; OPS
# (e.g. OPS=micro_speech, or kernel and front-end names) leaves out what a model does not
# need, into build/natmod-<OPS>/ (firmware/natmod/ops.mk).
NATMOD_ARCHS ?= x64 armv6m armv7m armv7emsp
OPS ?= all
comma := ,
NATMOD_OUT := $(BUILD)/natmod$(if $(filter-out all,$(OPS)),-$(subst $(comma),-,$(OPS)))
natmod: deps $(MPY_CROSS)
	@for a in $(NATMOD_ARCHS); do \
		$(MAKE) --no-print-directory -C firmware/natmod MPY_DIR=$(MPY_DIR) ARCH=$$a OPS=$(OPS) \
			BUILD=$(NATMOD_OUT)/obj/$$a OUT=$(NATMOD_OUT)/$$a PYTHON=$(PYTHON) MPY_CROSS=$(MPY_CROSS) \
			>$(NATMOD_OUT)-$$a.log 2>&1 || { tail -30 $(NATMOD_OUT)-$$a.log >&2; \
			echo "earshot: error: natmod $$a failed (log: $(NATMOD_OUT)-$$a.log)" >&2; exit 1; }; \
		$(PYTHON) -m earshot_host.natmod package $(NATMOD_OUT)/$$a || exit 1; \
	done

# Real boards (kind rp2 / stm32 in boards/boards.toml), with the port's own build, from
# MICROPY_DIR= a full upstream tree (else the pinned tag with the board's submodules, which
# needs the network), checked to fit the board's firmware region: earshot_host.board_build.
BOARD_MPY_DIR := $(if $(MICROPY_DIR),$(MPY_DIR),$(DEPS)/micropython-full)
board: deps frozen-models $(MPY_CROSS)
	@$(PYTHON) -m earshot_host.board_build $(BOARD) --micropython $(BOARD_MPY_DIR) \
		--build $(BUILD)/$(BOARD) $(if $(MICROPY_DIR),,--fetch) $(if $(ulab_dir),--ulab $(ulab_dir)) \
		-- env GIT_CEILING_DIRECTORIES=$(DEPS) $(MAKE) $(MPY_MAKE_ARGS)

# ---------------------------------------------------------------------- run & test
# The main job: the detector on the Unix port, listening in real time to a demo stream of
# reference clips over silence and noise (build/demo/stream.wav).
DEMO_WAV := $(BUILD)/demo/stream.wav
run: unix
	@$(PYTHON) -m earshot_host.scenes demo $(DEMO_WAV)
	@$(UNIX_BUILD)/micropython -m earshot --model micro_speech --wav $(DEMO_WAV) --realtime --human

# pytest's status 5 (no tests collected) is a failure too: there must be tests.
# The stock MicroPython firmwares and earshot's native modules are built for tests/stock/.
# After the whole suite on every target, the engine and front-end tests again on the Unix
# port built with ASan+UBSan (test-sanitize) and on the reference kernels (test-reference).
test: lint firmware stock natmod
	@EARSHOT_KERNELS=$(KERNELS) $(PYTHON) -m pytest $(if $(TARGETS),--targets $(TARGETS)) $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "earshot: error: pytest collected no tests" >&2; exit 1; fi; \
	[ $$status -eq 0 ] || exit $$status
	@$(MAKE) --no-print-directory test-sanitize
	@$(MAKE) --no-print-directory test-reference
	@$(if $(ulab_dir),$(MAKE) --no-print-directory test-ulab,echo "earshot: the ulab tests did not run: no ULAB_DIR and no pinned ulab tree in $(ULAB_PINNED) (make test-ulab ULAB_DIR=/path/to/micropython-ulab runs them)")

# The optimized kernels' and FFTs' oracle: the engine and front-end tests on builds with
# the reference kernels and FFTs (bit-exact either way), on the Unix port and the
# DSP-extension board.
REFERENCE_TARGETS ?= unix,qemu_m4
REFERENCE_TESTS := tests/firmware/test_engine.py tests/firmware/test_models.py \
	tests/firmware/test_kernels.py tests/firmware/test_frontend.py
test-reference:
	@$(MAKE) --no-print-directory unix KERNELS=reference
	@$(MAKE) --no-print-directory qemu BOARD=qemu_m4 KERNELS=reference
	@EARSHOT_KERNELS=reference $(PYTHON) -m pytest --targets $(REFERENCE_TARGETS) $(REFERENCE_TESTS) $(PYTEST_ARGS)

# The bindings' tests of the C Model object, binding fuzzing and unaligned samples run on
# the sanitized Unix port too.
SANITIZE_TESTS += tests/firmware/test_model_object.py tests/firmware/test_binding_fuzz.py \
	tests/firmware/test_unaligned_samples.py

# ulab (docs/ULAB.md): the Unix port and ULAB_BOARD built with ulab (ULAB=1, in
# build/unix-ulab/ and build/$(ULAB_BOARD)-ulab/), then tests/ulab/ on both.
ULAB_BOARD ?= qemu_m4
test-ulab:
	@$(MAKE) --no-print-directory unix ULAB=1
	@$(MAKE) --no-print-directory qemu BOARD=$(ULAB_BOARD) ULAB=1
	@EARSHOT_ULAB=1 $(PYTHON) -m pytest --targets unix,$(ULAB_BOARD) tests/ulab $(PYTEST_ARGS)

# Benchmarks (docs/BENCHMARKS.md): both kernel builds of every emulated target, then
# earshot_host.bench. The Unix binaries keep their symbols (STRIP=true) for callgrind's
# per-kernel counts; a stripped one is relinked.
bench: deps stock natmod
	@$(MAKE) --no-print-directory natmod OPS=micro_speech
	@for k in optimized reference; do s=$$([ $$k = reference ] && echo -reference); \
		nm $(BUILD)/unix$$s/micropython 2>/dev/null | grep -q " es_model_run" || rm -f $(BUILD)/unix$$s/micropython; \
		$(MAKE) --no-print-directory firmware KERNELS=$$k STRIP=true || exit 1; done
	@$(PYTHON) -m earshot_host.bench --natmod $(BENCH_ARGS)

# ------------------------------------------------------------------- reliability
# Model fuzzing: FUZZ_CASES mutants of every valid model on the Unix firmware (SANITIZE=1:
# the ASan+UBSan build) and on the native harness (exact-size buffers, ASan+UBSan).
FUZZ_CASES ?= 10000
FUZZ_SEED ?= 1
fuzz: unix
	@$(PYTHON) -m earshot_host.fuzz.native $(BUILD)/fuzz/model_fuzz
	@EARSHOT_KERNELS=$(KERNELS) $(PYTHON) -m earshot_host.fuzz --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) $(if $(SSUFFIX),--sanitize)
	@$(PYTHON) -m earshot_host.fuzz --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) --native $(BUILD)/fuzz/model_fuzz

# The engine, front-end and fuzz tests on the Unix port built with ASan+UBSan.
SANITIZE_TESTS := tests/firmware/test_engine.py tests/firmware/test_engine_hostile.py \
	tests/firmware/test_stateful_hostile.py tests/firmware/test_frontend.py tests/firmware/test_fuzz.py
test-sanitize:
	@$(MAKE) --no-print-directory unix SANITIZE=1
	@EARSHOT_SANITIZE=1 EARSHOT_KERNELS=$(KERNELS) $(PYTHON) -m pytest --targets unix $(SANITIZE_TESTS) $(PYTEST_ARGS)

# The always-on pipeline over SOAK_MINUTES of generated audio on the Unix port (as fast as
# it goes), then SOAK_QEMU_MINUTES on qemu_m4 (as fast as the emulator goes: slower than
# real time here; the board's own clock says whether it keeps up); figures in build/soak.json.
SOAK_MINUTES ?= 60
SOAK_QEMU_MINUTES ?= 10
soak: unix
	@$(MAKE) --no-print-directory qemu BOARD=qemu_m4
	@rm -f $(BUILD)/soak.json
	@$(PYTHON) -m earshot_host.soak --minutes $(SOAK_MINUTES) --json $(BUILD)/soak.json
	@$(PYTHON) -m earshot_host.soak --board qemu_m4 --minutes $(SOAK_QEMU_MINUTES) --json $(BUILD)/soak.json

# ruff (installed into .venv by `make deps`) on the whole repository; run by `make test`.
lint: deps
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(BUILD)/natmod $(BUILD)/natmod-* $(addprefix $(BUILD)/,$(patsubst boards/%/,%,$(dir $(wildcard boards/stock_*/stock.mk)))) $(BUILD)/unix $(BUILD)/unix-reference $(BUILD)/unix-sanitize $(BUILD)/unix-reference-sanitize $(BUILD)/fuzz $(addprefix $(BUILD)/,$(QEMU_BOARDS) $(addsuffix -reference,$(QEMU_BOARDS))) $(BUILD)/mpy-cross

distclean:
	rm -rf $(BUILD) $(VENV)
