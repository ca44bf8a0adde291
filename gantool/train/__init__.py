"""The shared training loop: every model, built-in or plugin, trains through `Trainer`."""
