"""Hook implementations: the `tokens` data kind, the oracle / words / textfile datasets, the
mle, gumbel-lstm and seqgan models, SeqGAN's paper recipe and `gantool text-curve`."""

from __future__ import annotations

from gantool import DataKindSpec, DatasetSpec, ModelSpec, OutputHooks, RecipeSpec, TrainingHooks, hookimpl, lazy

# what a token model cannot honour: D sees ids or one-hots, not images or packed rows
_TOKEN_D = {"instance_noise": "D sees token ids or one-hots, where noise has no meaning",
            "pack": "the text discriminators take one sequence per row",
            "minibatch_std": "the text discriminators take one sequence per row"}
_NO_D = {key: "the mle model trains no discriminator" for key in
         ("loss", "n_critic", "lr_d", "gp_lambda", "r1_gamma", "dragan_lambda", "label_smoothing", "clip_weights")}
_IDS = {key: "SeqGAN's D reads token ids, which a gradient penalty cannot interpolate" for key in
        ("gp_lambda", "r1_gamma", "dragan_lambda")}
# the `--set model.KEY` options each model reads (gantool_text/models.py: their defaults)
_D_OPTIONS = ("d_embed", "d_width", "d_widths", "d_sizes", "d_dropout")
MLE_OPTIONS = ("embed", "hidden", "temperature")
SEQGAN_OPTIONS = (*MLE_OPTIONS, *_D_OPTIONS, "mle_steps", "d_steps", "rollouts", "rollout_rate", "g_every")
GUMBEL_OPTIONS = (*MLE_OPTIONS, *_D_OPTIONS, "mle_steps", "beta_max", "anneal_steps")
# one batch a step; lr 1e-2 is SeqGAN's Adam rate (for G; D uses --lr-d when set)
_DEFAULTS = {"data": "oracle", "batch_size": 64, "lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "log_every": 50,
             "sample_every": 500, "checkpoint_every": 0}


def _outputs() -> OutputHooks:
    return OutputHooks(exports=lazy("gantool_text.models", "exports"))


@hookimpl
def register_data_kinds(register):
    register(DataKindSpec(
        name="tokens", summary="token sequences [N, T] with a vocabulary: text previews, .txt samples, NLL/BLEU",
        preview=lazy("gantool_text.kind", "TokenPreview"), write=lazy("gantool_text.kind", "write_tokens"),
        suffixes=(".txt", ".npz"), default_output="samples.txt",
        metrics=("nll_oracle", "nll_test", "bleu", "selfbleu"),
        evaluate=lazy("gantool_text.evaluate", "evaluate_tokens"),
        onnx_metadata=lazy("gantool_text.kind", "onnx_metadata"),
    ))


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="oracle", summary="SeqGAN's synthetic benchmark: an N(0,1) LSTM oracle, 10k+10k "
                         "sequences of 20 tokens (vocabulary 5,000)", load=lazy("gantool_text.datasets", "load_oracle"),
                         data_kind="tokens", arg_help="SEED", options=("sequences",)))
    register(DatasetSpec(name="words", summary="English words (web2 list of english-words), letters as tokens, "
                         "up to 16", load=lazy("gantool_text.datasets", "load_words"), data_kind="tokens", options=()))
    register(DatasetSpec(name="textfile", summary="one sentence a line, whitespace tokens, top-K vocabulary "
                         "(data.vocab_size, data.max_len)", load=lazy("gantool_text.datasets", "load_textfile"),
                         data_kind="tokens", arg_help="PATH", options=("vocab_size", "max_len")))


@hookimpl
def register_models(register):
    prepare = lazy("gantool_text.networks", "prepare")
    register(ModelSpec(
        name="mle", summary="an LSTM trained by maximum likelihood only, sampled at a temperature: the baseline",
        build=lazy("gantool_text.models", "build_mle"), data_kind="tokens", options=MLE_OPTIONS,
        defaults={**_DEFAULTS, "steps": 5000},
        training=TrainingHooks(make_step=lazy("gantool_text.steps", "MLEStep"), prepare=prepare,
                               unsupported={**_TOKEN_D, **_NO_D}),
        outputs=_outputs()))
    register(ModelSpec(
        name="seqgan", summary="SeqGAN: LSTM G, CNN D, MLE and D pre-training, REINFORCE with Monte-Carlo rollouts",
        build=lazy("gantool_text.models", "build_seqgan"), data_kind="tokens", options=SEQGAN_OPTIONS,
        defaults={**_DEFAULTS, "steps": 2500},
        training=TrainingHooks(make_step=lazy("gantool_text.steps", "SeqGANStep"), prepare=prepare,
                               unsupported={**_TOKEN_D, **_IDS,
                                            "loss": "SeqGAN's D is a binary classifier and G's reward its probability"}),
        outputs=_outputs()))
    register(ModelSpec(
        name="gumbel-lstm", summary="an LSTM G through Gumbel-softmax with annealed temperature, relativistic loss "
        "(RelGAN without relational memory)",
        build=lazy("gantool_text.models", "build_gumbel"), data_kind="tokens", options=GUMBEL_OPTIONS,
        defaults={**_DEFAULTS, "steps": 4000, "loss": "ragan", "lr": 1e-2},
        training=TrainingHooks(make_step=lazy("gantool_text.steps", "GumbelStep"), prepare=prepare,
                               unsupported=_TOKEN_D),
        outputs=_outputs()))


@hookimpl
def register_commands(app):
    from gantool_text.cli import text_curve

    app.command("text-curve")(text_curve)


@hookimpl
def register_recipes(register):
    # SeqGAN as published (Yu et al. 2017, and its authors' code), in steps of one batch of 64
    # (10,000 oracle sequences: 156 batches an epoch): 80 MLE epochs; D pre-trained 50 x 3
    # epochs on 10,000 real + 10,000 generated; 200 adversarial G batches, each followed by
    # 5 x 3 D epochs (4,688 batches). Not reproduced: the L2 penalty of 0.2 on D's output layer.
    register(RecipeSpec(
        name="paper", model="seqgan",
        summary="SeqGAN's published settings: 12 D filter sizes (1-20) of 100-200, 80 + 150 pre-training "
                "epochs, 200 G batches each after 15 D epochs, lr 1e-2 (G) / 1e-4 (D); about a million steps",
        settings={"data": "oracle", "batch_size": 64, "lr": 0.01, "lr_d": 1e-4, "steps": 12_500 + 47_000 + 200 * 4_688,
                  "model.embed": 32, "model.hidden": 32, "model.mle_steps": 12_500, "model.d_steps": 47_000,
                  "model.rollouts": 16, "model.rollout_rate": 0.8, "model.g_every": 4_688, "model.d_embed": 64,
                  "model.d_sizes": "1,2,3,4,5,6,7,8,9,10,15,20",
                  "model.d_widths": "100,200,200,200,200,100,100,100,100,100,160,160", "model.d_dropout": 0.25},
        results="not run here (days of CPU); the paper reports NLL-oracle 8.74 against MLE's 9.04",
    ))
