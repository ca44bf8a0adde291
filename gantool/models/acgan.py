"""ACGAN (Odena et al. 2017): D also classifies, and both networks are trained to get the
class right: D on real and generated images, G on its own images.

The discriminator has two heads on the DCGAN features: the adversarial logit (what the
loss and any gradient penalty see, via `forward`) and the class logits (`heads`). The
step adds `aux_weight` x cross-entropy through AdversarialStep.judge: D's classifier learns
from real images only, G is trained to make its images classified as asked. The paper
also trains D's classifier on fakes; on MNIST that let G and D agree on a private code for
the label (G's class loss fell to 0.04 while a real-trained classifier put 30 % of its
samples in the asked class after one epoch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gantool.models.conditional import DCGANFeatures, build_conditional
from gantool.specs import GanModules, ModelArgs
from gantool.train.step import AdversarialStep, StepContext


class ACGANDiscriminator(nn.Module):
    def __init__(self, channels: int, image_size: int, ndf: int, num_classes: int, batchnorm: bool):
        super().__init__()
        self.features = DCGANFeatures(channels, image_size, ndf, batchnorm)
        self.adversarial = nn.Linear(self.features.width, 1)
        self.classifier = nn.Linear(self.features.width, num_classes)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.adversarial(h).squeeze(1), self.classifier(h)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None, both_heads: bool = False):
        # both heads through forward, so a DDP wrapper sees the call
        return self.heads(x) if both_heads else self.heads(x)[0]


class ACGANStep(AdversarialStep):
    def __init__(self, ctx: StepContext, aux_weight: float = 1.0, classify_fakes: bool = False):
        super().__init__(ctx)
        self.aux_weight, self.classify_fakes = aux_weight, classify_fakes

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None, role: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        logits, class_logits = self.d_net(role)(x, both_heads=True)
        if role == "fake" and not self.classify_fakes:
            return logits, None
        return logits, self.aux_weight * F.cross_entropy(class_logits.float(), labels)


def build(args: ModelArgs) -> GanModules:
    return build_conditional(args, "acgan", ACGANDiscriminator)


def make_step(ctx: StepContext) -> ACGANStep:
    return ACGANStep(ctx)
