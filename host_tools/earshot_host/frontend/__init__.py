"""Reference audio front ends (NumPy) and the host-side tables the device front ends use.

- ``tables.build_tables(frontend)``: integer tables for a model's [frontend] metadata.
- ``tflm_micro``: TFLM micro front end, bit-exact with TensorFlow's audio_microfrontend.
- ``mfcc`` / ``logmel``: float64 references of the MLPerf training front ends (tf.signal
  semantics) and the fixed-point pipelines the device runs.
- ``wav``: PCM16 WAV reading / writing for host tools and tests.
"""
