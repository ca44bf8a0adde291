"""gantool-audio: WaveGAN and SpecGAN on spoken digits synthesised offline with espeak-ng,
the `audio` data kind (WAV output, waveform/spectrogram previews) and a shipped digit
classifier for scores."""

PLUGIN = "gantool-audio"
