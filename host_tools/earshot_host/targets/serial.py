"""Boards with a MicroPython console on a serial port as targets: QEMU boards, the
emulated Pico, a real board's USB or UART port. All are driven the same way, through the
raw REPL (runner.serial); they differ only in how the port comes to be (the runner)."""

from __future__ import annotations

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from ..errors import EarshotError
from ..flash_model import BoardModel, Checkpoint, FlashResult, Tamper, board_model, flash_model
from ..infer import PlacedModel
from ..model_spec import ModelSource
from ..runner import Progress
from ..runner.serial import SerialRunner
from ..session import Session, listen_serial
from .base import Listening, Target, frozen_expressions


def slot_buffer(label: str, crc: int) -> str:
    """Device expression of the model bytes in a slot (in place), checked by CRC."""
    return f"__import__('earshot.store').store.slot_payload({label!r}, {crc})"


class SerialTarget(Target):
    """A board in raw REPL. Models: frozen when the firmware has them, else into a model
    slot of its flash (run in place), else (no slots) into its heap."""

    runner: SerialRunner

    def put_model(self, source: ModelSource, progress: Progress | None = None) -> PlacedModel:
        info = self.info(refresh=True)  # a soft reset; the store as it is now
        if source.frozen and source.name in info.frozen:
            buffer, model = frozen_expressions(source.name)
            return PlacedModel(buffer, "frozen", ("--model", source.name), model)
        if info.slots:
            if info.active_crc == source.crc and info.active_slot:
                label = info.active_slot  # already there (flash kept it): not sent again
            else:
                label = self.flash_model(source, progress).slot
            return PlacedModel(slot_buffer(label, source.crc), f"slot {label}", ())
        buffer = self.upload("model.esm", source.blob, progress)
        return PlacedModel(buffer, "heap", None)

    def flash_model(
        self,
        source: ModelSource,
        progress: Progress | None = None,
        tamper: Tamper | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> FlashResult:
        self._info = None
        return flash_model(self.runner, source, progress, tamper=tamper, checkpoint=checkpoint)

    def model_status(self) -> BoardModel:
        return board_model(self.runner)

    def fresh_session(self) -> SerialTransport:
        """The board's mpremote transport, soft-reset and in raw REPL."""
        return self.runner.fresh_session()

    def serial_port(self) -> str:
        return self.runner.open_port()

    def session(self, request: Listening) -> Session:
        args = self.model_args(request.model)
        try:
            transport = self.runner.fresh_session()
            return listen_serial(
                transport,
                args,
                request.samples,
                request.realtime,
                request.on_message,
                device_args=request.device_args,
                lines=request.lines,
                sample_rate=request.rate,
                expect_hop=request.hop,
            )
        except (TransportError, OSError) as err:
            self.runner.close()
            raise EarshotError(f"{self.name}: {err}") from err
