"""The Unix port as a target: one process per run, models and data as files."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import EarshotError
from ..infer import ModelSource, PlacedModel
from ..runner import Progress
from ..runner.unix import UnixRunner
from ..session import Hop, OnMessage, Session, device_argv, listen_code
from .base import Target, frozen_expressions


class UnixTarget(Target):
    """build/unix/micropython: reads the WAV itself (--wav), protocol lines on stdin."""

    runner: UnixRunner

    def put_model(self, source: ModelSource, progress: Progress | None = None) -> PlacedModel:
        if source.frozen and source.name in self.info().frozen:
            buffer, model = frozen_expressions(source.name)
            return PlacedModel(buffer, "frozen", ("--model", source.name), model)
        name = "model.esm"
        buffer = self.upload(name, source.blob, progress)
        path = str(self.runner.workdir / name)
        return PlacedModel(
            buffer, "file", ("--model-file", path), f"earshot.Model.from_file({path!r})"
        )

    def _model_args(self, model: ModelSource | None) -> tuple[str, ...]:
        if model is None:
            return ()
        placed = self.put_model(model)
        assert placed.device_args is not None
        return placed.device_args

    def listen_audio(
        self,
        model: ModelSource | None,
        wav: Path,
        samples: np.ndarray,
        rate: int,
        hop: Hop | None,
        device_args: Sequence[str],
        on_message: OnMessage | None,
        realtime: bool,
    ) -> Session:
        del samples, rate, hop  # the firmware reads the WAV itself (and checks its rate)
        source = ["--wav", str(Path(wav).resolve()), *(["--realtime"] if realtime else [])]
        argv = device_argv(self._model_args(model), device_args, source)
        return self._session([str(self.runner.firmware), "-m", "earshot", *argv], on_message)

    def listen_lines(
        self, model: ModelSource | None, lines: Iterable[bytes], device_args: Sequence[str] = ()
    ) -> Session:
        code = listen_code(self._model_args(model), device_args)
        return self._session([str(self.runner.firmware), "-c", code], None, b"".join(lines))

    def _session(
        self, args: list[str], on_message: OnMessage | None, stdin: bytes | None = None
    ) -> Session:
        session = Session()
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.runner.workdir,
            )
        except OSError as err:
            raise EarshotError(f"{self.name}: cannot run {args[0]}: {err.strerror}") from err
        with proc:
            assert proc.stdout is not None and proc.stderr is not None
            if stdin is not None:
                # Small streams in tests; a long one would go through a writer thread.
                out, err = proc.communicate(stdin)
                for line in out.decode(errors="replace").splitlines():
                    session.take(line, on_message)
                session.error = err.decode(errors="replace")
                return session
            for raw in proc.stdout:
                session.take(raw.decode(errors="replace"), on_message)
            session.error = proc.stderr.read().decode(errors="replace")
        return session
