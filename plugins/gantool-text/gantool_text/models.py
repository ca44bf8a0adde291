"""`build` for the three models (same generator; what differs is the discriminator and the
schedule their steps read from `generator.train_options`) and the export graphs.

Scaled-down defaults for a 2-core CPU (the paper's settings are the `paper` recipe in the
README): MLE pre-training in steps of one batch, not epochs; SeqGAN's D with 4 filter
sizes (2-5) of 64 channels instead of 12 sizes (1-20) of 100-200, trained once per G step
on that step's fakes instead of 5 x 3 epochs.
"""

from __future__ import annotations

from gantool import ExportGraph, ExportInput, GanModules, ModelArgs
from gantool_text.networks import SequenceNLL, Tempered, TokenGenerator, Unused, discriminator, generator


def build_mle(args: ModelArgs) -> GanModules:
    return GanModules(generator(args), Unused())


def build_seqgan(args: ModelArgs) -> GanModules:
    g = generator(args)
    g.train_options = {"mle_steps": args.int_option("mle_steps", 2000, minimum=0),
                       "d_steps": args.int_option("d_steps", 300, minimum=0),
                       "rollouts": args.int_option("rollouts", 16),
                       "rollout_rate": args.float_option("rollout_rate", 0.8, 0.0, 1.0),
                       "g_every": args.int_option("g_every", 1)}
    return GanModules(g, discriminator(args))


def build_gumbel(args: ModelArgs) -> GanModules:
    g = generator(args)
    g.train_options = {"mle_steps": args.int_option("mle_steps", 2000, minimum=0),
                       "beta_max": args.float_option("beta_max", 100.0, 1.0),
                       "anneal_steps": args.int_option("anneal_steps", 2000)}
    return GanModules(g, discriminator(args))


def exports(g: TokenGenerator, args: ModelArgs) -> dict[str, ExportGraph]:
    """generator.onnx: z [N, T] -> samples (token ids); generator-nll.onnx: tokens -> each
    sequence's NLL, for NLL-test in `gantool eval`; generator-tempered.onnx: (z,
    temperature [N]) -> samples, for `gantool text-curve`."""
    steps = args.data_dim
    z = ExportInput("z", "float32", ("batch", steps))
    return {"": ExportGraph(g, (z,), "samples"),
            "tempered": ExportGraph(Tempered(g), (z, ExportInput("temperature", "float32", ("batch",), example=0.8)),
                                    "samples"),
            "nll": ExportGraph(SequenceNLL(g), (ExportInput("tokens", "int64", ("batch", steps), example="ones"),),
                               "nll")}
