"""gantool-text: sequence GANs (SeqGAN, a Gumbel-softmax LSTM) and their MLE baseline on
token data, as a gantool plugin: the `tokens` data kind, the `oracle`, `words` and
`textfile` datasets, and token metrics (NLL-oracle, NLL-test, BLEU, Self-BLEU)."""

__version__ = "0.1.0"
PLUGIN = "gantool-text"  # named in every error this plugin raises
