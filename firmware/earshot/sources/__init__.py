# Audio sources. Every source has the same interface, so the pipeline never knows which
# one feeds it:
#
#   fill(ring) -> bool   put the next block(s) of int16 mono samples into the ring;
#                        False at the end of the stream (the last block is zero-padded)
#   sample_rate          samples per second
#   close()
#
# wav.WavSource (PCM16 WAV file), stdin.StdinSource (raw s16le PCM on standard input),
# uart.LineSource (framed text lines from the host over the console UART) and
# i2s.I2SSource (a MEMS microphone through machine.I2S).
