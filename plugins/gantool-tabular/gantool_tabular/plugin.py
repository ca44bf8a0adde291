"""Hook implementations: the ctgan model, the csv and sklearn datasets, `gantool table-data`."""

from __future__ import annotations

from gantool import DatasetSpec, ModelFlag, ModelSpec, TrainingHooks, hookimpl, lazy


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="ctgan",
        summary="CTGAN for tables: mode-specific normalisation, conditional training-by-sampling, WGAN-GP with packing",
        build=lazy("gantool_tabular.model", "build"),
        training=TrainingHooks(
            prepare=lazy("gantool_tabular.model", "prepare"), make_step=lazy("gantool_tabular.step", "make_step"),
            unsupported={"pack": "ctgan packs rows itself (model.pac)",
                         "minibatch_std": "ctgan's critic packs rows itself (model.pac)",
                         "label_smoothing": "ctgan's critic loss is Wasserstein, which has no targets to smooth",
                         "loss": "ctgan's critic is Wasserstein with its own pack-wise gradient penalty"}),
        data_kind="table",
        options=("pac",),  # prepare adds the fitted column transforms after this check
        flags=(ModelFlag("--discrete", "data.discrete", "CSV columns to treat as categories (comma-separated)", "COL,..."),),
        # the paper's Adam 2e-4, betas (0.5, 0.9) and pac 10; batch 100 rather than 500 and
        # 2,000 steps rather than 300 epochs: on the small tables this is demonstrated on, 300
        # epochs are 300 steps (wine: classifier ratio 0.47), 2,000 steps reach 0.97-1.03
        defaults={"data": "sklearn:breast-cancer", "batch_size": 100, "steps": 2000, "latent_dim": 128,
                  "optimizer": "adam", "lr": 2e-4, "beta1": 0.5, "beta2": 0.9, "log_every": 50, "sample_every": 400,
                  "checkpoint_every": 0},
    ))


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="csv", summary="a CSV table with a header row (--discrete COL,... for numeric categories)",
                         load=lazy("gantool_tabular.datasets", "load_csv"), data_kind="table", arg_help="PATH",
                         options=("discrete", "encoding")))
    register(DatasetSpec(name="sklearn", summary="a table scikit-learn ships: breast-cancer, wine, iris",
                         load=lazy("gantool_tabular.datasets", "load_sklearn"), data_kind="table", arg_help="NAME",
                         options=()))


@hookimpl
def register_commands(app):
    from gantool_tabular.cli import table_data

    app.command("table-data")(table_data)
