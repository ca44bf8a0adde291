"""ACGAN (Odena et al. 2017): D also classifies, and both networks are trained to get the
class right: D on real and generated images, G on its own images.

The discriminator has two heads on the DCGAN features: the adversarial logit (what the
loss and any gradient penalty see, via `forward`) and the class logits (`heads`). The
step adds `aux_weight` x cross-entropy through AdversarialStep.judge: D's classifier learns
from real images only, G is trained to make its images classified as asked. The paper
also trains D's classifier on fakes; on MNIST that let G and D agree on a private code for
the label (G's class loss fell to 0.04 while a real-trained classifier put 30 % of its
samples in the asked class after one epoch).

Real-only classification has its own failure: G draws one prototype per class that the
classifier is sure of (docs/benchmarks.md, 2026-12-02). Two options, off by default until
measured at full length: `model.twin` adds TAC-GAN's twin classifier (Gong et al. 2019), which
learns the fakes' labels while G is scored by the real classifier's cross-entropy minus the
twin's; `model.projection` adds cgan's projection term to the adversarial logit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gantool.models.conditional import DCGANFeatures, build_conditional
from gantool.specs import GanModules, ModelArgs
from gantool.train.step import AdversarialStep, StepContext


class ACGANDiscriminator(nn.Module):
    def __init__(self, channels: int, image_size: int, ndf: int, num_classes: int, batchnorm: bool,
                 projection: bool = False, twin: bool = False):
        super().__init__()
        self.features = DCGANFeatures(channels, image_size, ndf, batchnorm)
        self.adversarial = nn.Linear(self.features.width, 1)
        self.classifier = nn.Linear(self.features.width, num_classes)
        # projection: the adversarial logit also judges the (image, label) pair, as cgan's D does
        self.embed = nn.Embedding(num_classes, self.features.width) if projection else None
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, 0.0, 0.02)
        # twin (TAC-GAN, Gong et al. 2019): a second classifier that learns the fakes' labels
        self.twin = nn.Linear(self.features.width, num_classes) if twin else None

    def all_heads(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        h = self.features(x)
        logits = self.adversarial(h).squeeze(1)
        if self.embed is not None and labels is not None:
            logits = logits + (self.embed(labels).to(h.dtype) * h).sum(dim=1)
        return logits, self.classifier(h), (self.twin(h) if self.twin is not None else None)

    def heads(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.all_heads(x, labels)[:2]

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None, both_heads: bool = False):
        # every head through forward, so a DDP wrapper sees the call
        return self.all_heads(x, labels) if both_heads else self.all_heads(x, labels)[0]


class ACGANStep(AdversarialStep):
    def __init__(self, ctx: StepContext, aux_weight: float = 1.0, classify_fakes: bool = False):
        super().__init__(ctx)
        self.aux_weight, self.classify_fakes = aux_weight, classify_fakes

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None, role: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        logits, class_logits, twin_logits = self.d_net(role)(x, labels, both_heads=True)

        def ce(out: torch.Tensor) -> torch.Tensor:
            return F.cross_entropy(out.float(), labels)

        if role == "real":
            return logits, self.aux_weight * ce(class_logits)
        if role == "fake":  # D's classifier learns fakes only as the paper's does; the twin always
            terms = ([ce(class_logits)] if self.classify_fakes else []) + ([ce(twin_logits)] if twin_logits is not None else [])
            return logits, (self.aux_weight * sum(terms)) if terms else None
        # G: be classified as asked by the real-trained classifier, and not easier than that
        # by the twin (which would mean a few easy images per class)
        aux = ce(class_logits) - (ce(twin_logits) if twin_logits is not None else 0.0)
        return logits, self.aux_weight * aux


def build(args: ModelArgs) -> GanModules:
    return build_conditional(args, "acgan", ACGANDiscriminator, projection=args.bool_option("projection", False),
                             twin=args.bool_option("twin", False))


def make_step(ctx: StepContext) -> ACGANStep:
    return ACGANStep(ctx)
