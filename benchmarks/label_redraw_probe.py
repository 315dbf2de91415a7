"""A probe, not a feature: the label input's random parts drawn again at every training step.

    HETGAT_DATA=../shared/data python -m benchmarks.label_redraw_probe --seeds 0 1 2 \\
        --cases hgb:imdb/hgt-3layers-macrof1-labels

hetgat draws the training nodes' parts once (:mod:`hetgat.datasets.labels`), so a training
node sees the same label input at every epoch, and the model can fit that one input. Here each
training step draws new parts (seeded by the run's seed and the step), as the label trick of
"Bag of Tricks for Node Classification with GNNs" (Wang et al., 2021) masks a new random set
of training labels each epoch. Every draw leaves a training node's own part out, so its own
label never reaches its input; validation and test nodes' input does not change (it is
propagated from every training label in every draw). Full-batch training only, this process
only.
"""

from __future__ import annotations

import sys


def patch() -> None:
    """Make this process's full-batch training draw new label parts before each step."""
    import hetgat.train.fullbatch as fullbatch
    from hetgat.datasets.labels import label_input

    add_label_input = fullbatch.add_label_input

    def add_redrawn_label_input(model, data, model_config, seed):
        add_label_input(model, data, model_config, seed)
        if not model_config.label_hops:
            return
        steps = [0]

        def redraw(module, args):
            if module.training:
                steps[0] += 1
                values, part = label_input(
                    data,
                    model_config.label_hops,
                    model_config.label_partitions,
                    seed * 100_003 + steps[0],
                )
                module.inputs.set_label_input(values.to(module.inputs.label_input), part)

        model.register_forward_pre_hook(redraw)

    fullbatch.add_label_input = add_redrawn_label_input


def main(argv=None) -> None:
    from benchmarks import accuracy_hetero

    patch()
    accuracy_hetero.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
