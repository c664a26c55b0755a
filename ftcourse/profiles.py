"""Profiles (the sizes every lesson runs at) and seeding.

Sizes live here and nowhere else: a notebook asks for its profile and reads the sizes from it,
so switching between the CI-sized ``fast`` run and the real ``full`` run is one parameter.
"""

from __future__ import annotations

import dataclasses
import numbers
import typing
from dataclasses import dataclass, field

from ftcourse.errors import UsageError
from ftcourse.runtime import pick_device


@dataclass(frozen=True)
class Profile:
    """How big a lesson runs.

    ``fast`` is what CI and the tests execute: each notebook in about two minutes on two CPU
    cores, with sizes chosen so that the effect a lesson teaches is still visible.
    ``full`` is the real lesson: the whole dataset (or a large slice on a CPU), more epochs.
    """

    name: str
    train_size: int | None  # training examples per run; None = the whole split
    eval_size: int | None  # validation / test examples scored; None = the whole split
    epochs: int  # passes over the training data
    batch_size: int  # examples per optimiser step
    max_seq_length: int  # tokens kept per text; tweets and questions fit in 64-128
    learning_rate: float = 2e-5  # AdamW; the usual value for fine-tuning small BERT models
    warmup_ratio: float = 0.1  # share of steps with a linearly rising learning rate
    eval_steps: int | None = None  # evaluate every N steps; None = once per epoch
    learning_curve_sizes: tuple[int, ...] = field(default_factory=tuple)  # lesson 01
    dedup_size: int | None = None  # lesson 02: texts searched for near-duplicates; None = all 24,783 tweets
    retrieval_epochs: int = 1  # lesson 07: passes over the 213 FAQ pairs
    retrieval_batch_sizes: tuple[int, ...] = (4, 16)  # lesson 07: batch sizes compared (in-batch negatives = size - 1)
    retrieval_learning_rate: float = 1e-4  # lesson 07: a small dataset, few steps
    retrieval_max_seq_length: int = 32  # lesson 07: tokens kept per FAQ answer (answers run to 700 words)
    retrieval_extras: bool = False  # lesson 07: also train the batch-size, hard-negative and Matryoshka models
    # lessons 07, 12, 13: compute MNRL with gradient caching, this many examples at a time (train_embedder's mini_batch_size):
    # the same loss and gradients, with the activations of a mini-batch instead of the whole batch. None = plain MNRL.
    retrieval_mini_batch_size: int | None = None
    # every lesson: train in bfloat16 autocast where the CPU multiplies bfloat16 natively (Intel AMX, AVX512-BF16); weights stay
    # fp32. lesson_setup passes it to ftcourse.runtime.use_cpu_bf16; GPUs choose their own mixed precision, MPS stays fp32.
    cpu_bf16: bool = False
    # every lesson: on a CPU, train with dropout off and plain attention (ftcourse.training.dropout_for_training); lesson_setup
    # passes it to ftcourse.runtime.use_cpu_training_without_dropout. GPUs keep the model's dropout.
    cpu_no_dropout: bool = False
    # where cpu_bf16 trains in bfloat16, also encode and predict in it (ftcourse.runtime.use_cpu_bf16_inference, set by
    # lesson_setup): off in every profile; a lesson that scores tens of thousands of texts turns it on with its BF16_INFERENCE
    # parameter once its reference run shows the same claims (lessons 13 and 14). Not lesson 12: there the reranker trained on
    # negatives mined with bfloat16 embeddings scored nDCG@10 0.407 against 0.441 (three runs, 2026-12-06).
    cpu_bf16_inference: bool = False
    sts_train_size: int | None = None  # lesson 05: STS-B training pairs per loss; None = all 5,749
    sts_dev_size: int | None = None  # lesson 05: STS-B dev pairs for the per-epoch evaluator; None = all 1,500
    sts_learning_rate: float = 2e-5  # lesson 05
    sts_epochs: int | None = None  # lesson 05: passes over STS-B per loss; None = epochs
    pair_train_size: int | None = None  # lesson 04: MRPC training pairs; None = all (minus a 400-pair dev slice)
    pair_learning_rate: float = 2e-5  # lesson 04
    head_learning_rate: float = (
        1e-3  # lesson 03: a classifier that starts from random learns at this rate, the encoder at the lesson's
    )
    triplet_per_class: int = 64  # lesson 06: Davidson training tweets per class (hate has 1,430 in all)
    triplet_eval_per_class: int = 100  # lesson 06: held-out tweets per class, as kNN neighbours and again as test
    milestone_learning_rate: float = (
        5e-5  # lesson 10: AdamW rate of the toxicity classifier (MiniLM is small: 2e-5 learns slowly)
    )
    milestone_bootstrap: int = 1000  # lesson 10: bootstrap resamples of the test split for confidence intervals
    imbalance_train_size: int | None = (
        None  # lesson 09: training tweets per method (five trainings); None = the whole train split
    )
    imbalance_eval_size: int | None = None  # lesson 09: validation and test tweets each; None = whole splits
    milestone_train_size: int | None = None  # lesson 10: training comments for both models; None = the whole train split
    shipping_speed_texts: int | None = (
        None  # lesson 15: test comments timed per variant and batch size; None = the whole test split
    )
    shipping_sts_pairs: int | None = None  # lesson 15: STS-B test pairs scored per embedder variant; None = all 1,379
    loop_train_size: int = 1500  # lesson 11: Davidson training tweets (balanced classes) of each classifier run and search trial
    loop_eval_size: int = 1000  # lesson 11: dev tweets (the search's objective) and test tweets, each
    loop_sts_train_size: int = 1000  # lesson 11: STS-B pairs of the hand-built embedding run
    search_trials: int = 10  # lesson 11: trials of the Trainer's Optuna search (the default recipe is trial 0)
    search_max_epochs: int = 3  # lesson 11: the largest num_train_epochs the search may pick
    overfit_train_size: int = 256  # lesson 11: a deliberately small training set that the model can memorise
    overfit_epochs: int = 20  # lesson 11: the epoch budget that early stopping cuts short
    loop_test_seeds: int = 3  # lesson 11: seeds per recipe in the test comparison (one run per recipe is a noisy measurement)
    rerank_max_length: int = 64  # lesson 12: tokens of (question + answer) the cross-encoder reads per pair
    rerank_negatives: int = 3  # lesson 12: hard negatives mined by the base bi-encoder per FAQ question
    rerank_epochs: float = 2  # lesson 12: passes of the cross-encoder over its (question, answer, label) pairs
    rerank_learning_rate: float = 1e-4  # lesson 12: the head starts from random; a higher rate lets it learn in few steps
    rerank_top_ks: tuple[int, ...] = (5, 10)  # lesson 12: bi-encoder candidates reranked per query (the lesson's effect is at 10)
    rerank_latency_queries: int | None = 24  # lesson 12: queries timed one at a time per setting; None = all 244
    silver_per_question: int = 3  # lesson 12: BM25 candidate answers per FAQ question labelled by the cross-encoder
    # Lesson 14 (little data). k = labelled examples per class; every k is drawn from the training split only.
    fewshot_k: tuple[int, ...] = (8, 16, 64)  # the few-shot curve: SetFit, a fine-tuned head and frozen + LR at each k
    fewshot_seeds: int = 5  # draws of the k examples (and training seeds) per k for SetFit and the fine-tuned head
    fewshot_frozen_seeds: int = 10  # draws per k for frozen embeddings + LR (seconds each: more draws, a steadier mean)
    fewshot_eval_size: int | None = None  # test tweets scored per task; None = the whole (official) test split
    fewshot_second_task: bool = True  # train SetFit and the head on TweetEval too (False: zero-shot and frozen + LR only)
    setfit_iterations: int = 20  # SetFit's pairing rounds (its default): 2 * 20 * n pairs from n examples
    setfit_max_pairs: int | None = None  # cap on the pairs per SetFit run; None = all of them
    setfit_learning_rate: float = 2e-5  # the contrastive stage (SetFit's default)
    fewshot_head_epochs: int = 20  # epochs of the classification head fine-tuned on the same k examples
    zero_shot_pairs: int = 16  # lesson 14: labelled MRPC pairs that pick the cosine threshold of the zero-shot pair baseline
    lora_train_size: int | None = 4000  # lesson 14: Davidson tweets (balanced) of the LoRA vs full fine-tuning runs
    lora_r: int = 8  # lesson 14: rank of the LoRA updates
    lora_learning_rate: float = 5e-4  # lesson 14: adapters start at zero and need a larger rate than full fine-tuning
    # Lesson 13 (data-centric). Every experiment fits logistic regressions on frozen MiniLM embeddings computed once per tweet
    # (or TF-IDF), so the sizes below cost encoding time, not training time.
    datacentric_pool_size: int | None = (
        None  # Davidson training tweets every experiment draws from; None = the whole training split
    )
    datacentric_test_size: int | None = None  # held-out Davidson tweets scored; None = the whole test split (20 %)
    datacentric_curve_sizes: tuple[int, ...] = (100, 300, 1000, 3000, 10000)  # training sizes of the learning curves
    datacentric_draws: int = 5  # draws of the training rows per size (and of the injected noise, and active-learning seed sets)
    noise_rates: tuple[float, ...] = (0.1, 0.3)  # shares of training labels flipped to another class
    noise_train_size: int = 4000  # training tweets of the noise experiment (the noisy sets and the clean ceiling)
    clean_label_cost: float = (
        2.0  # a careful (clean) label costs this many quick (noisy) ones: same budget, 1/cost as many clean labels
    )
    cleanlab_folds: int = 5  # folds of the out-of-fold probabilities confident learning reads
    augment_train_size: int = 300  # training tweets augmented (augmentation matters most when labels are few)
    augment_p_delete: float = 0.1  # random deletion: chance each token is dropped
    augment_swaps: int = 1  # random swap: token swaps per tweet
    al_seed_per_class: int = 10  # active learning: labelled tweets per class before the first round
    al_batch_size: int = 100  # active learning: tweets labelled per round
    al_rounds: int = 10  # active learning: rounds (final budget = 3 * al_seed_per_class + al_rounds * al_batch_size)
    al_strategy: str = "margin"  # active learning: "margin", "least_confidence" or "entropy" (ftcourse.datacentric.uncertainty)
    # Active learning with the encoder fine-tuned every round (one draw, al_fine_tune_rounds rounds of al_batch_size) beside the
    # frozen-embedding loop; False: the frozen loop only (each fine-tuned round costs a training run and a pass over the candidates).
    al_fine_tune: bool = True
    al_fine_tune_rounds: int = 5
    al_fine_tune_epochs: int = 3  # passes over the labelled tweets per round
    al_candidates: int | None = 2000  # unlabelled tweets the fine-tuned model scores per round (a random subset); None = all
    augment_min_similarity: float = 0.5  # model-based augmentation: a mined neighbour must be at least this cosine-similar
    # Learning curves of a pair task (STS-B, CoSENT) and a retrieval task (the COVID FAQ, MNRL): the encoder fine-tuned on
    # nested subsets, against the base model (no labels at all)
    pair_curve_sizes: tuple[int, ...] = (100, 500, 2000, 5749)
    pair_curve_test_size: int | None = None  # STS-B test pairs scored; None = all 1,379
    retrieval_curve_sizes: tuple[int, ...] = (25, 50, 100, 213)
    finetune_curve_draws: int = 2  # draws (subset orders and seeds) per size of the two fine-tuned curves
    finetune_curve_epochs: int = 2  # passes over each subset of the pair curve (the retrieval curve takes retrieval_epochs)
    # Lessons 01, 03, 09, 10: start the classification head from a linear probe on the frozen encoder
    # (ftcourse.classifier.warm_start); lesson 03 measures it against a random head.
    head_init: str | None = "linear_probe"


PROFILES: dict[str, Profile] = {
    "fast": Profile(
        name="fast",
        train_size=1000,
        eval_size=500,
        epochs=1,
        batch_size=16,
        max_seq_length=64,
        learning_rate=5e-5,  # one short epoch: a higher rate lets the effect show
        learning_curve_sizes=(100, 300, 1000),
        dedup_size=10000,  # the search cost grows with n^2; 10,000 tweets still hold hundreds of duplicate pairs
        retrieval_epochs=1,
        retrieval_batch_sizes=(4, 16),
        retrieval_learning_rate=1e-4,
        retrieval_max_seq_length=32,  # the first ~25 words of an answer: enough to show the effect on 2 CPU cores
        retrieval_extras=False,  # four more trainings would take minutes on a CPU
        sts_train_size=480,  # 30 steps per loss: 160 pairs left every gain within the noise; 480 show it (measured, issue 15)
        sts_dev_size=100,
        sts_learning_rate=5e-5,
        pair_train_size=192,  # 12 steps per loss
        pair_learning_rate=1e-4,
        triplet_per_class=64,  # 192 tweets: 12 steps per loss
        triplet_eval_per_class=100,
        milestone_learning_rate=1e-4,  # about 60 steps: a higher rate lets the model learn the labels in one short epoch
        milestone_bootstrap=200,
        imbalance_train_size=400,  # five trainings of MiniLM on 2 CPU cores: each must take well under a minute
        imbalance_eval_size=300,
        milestone_train_size=600,  # training is most of the lesson time on a CPU; 600 comments already beat chance on every label
        loop_train_size=240,  # lesson 11: 80 tweets per class, 15 steps per epoch: the search's four trials fit in about a minute
        loop_eval_size=200,
        loop_sts_train_size=160,
        search_trials=4,
        search_max_epochs=2,
        overfit_train_size=48,  # 16 tweets per class, three steps per epoch: memorised within a few epochs
        overfit_epochs=10,
        shipping_speed_texts=128,  # lesson 15: batch 1 runs one forward pass per comment; 128 keep the six timings to seconds
        shipping_sts_pairs=400,  # lesson 15: three embedder variants x 800 sentences, seconds each
        rerank_max_length=64,  # lesson 12: a question and the start of its answer; 2 epochs over ~750 pairs take about a minute
        rerank_negatives=3,
        rerank_epochs=2,
        rerank_learning_rate=1e-4,
        rerank_top_ks=(5, 10),
        rerank_latency_queries=24,
        silver_per_question=3,
        fewshot_k=(8, 32),  # two points of the curve, one draw each for the trained methods: the story, not its spread
        fewshot_seeds=1,
        fewshot_frozen_seeds=5,
        fewshot_eval_size=300,
        fewshot_second_task=False,  # TweetEval gets zero-shot and frozen + LR only
        setfit_iterations=5,
        setfit_max_pairs=256,  # 16 steps of 16 pairs per SetFit run
        setfit_learning_rate=5e-5,
        fewshot_head_epochs=5,  # k=8: 15 steps of 8, k=32: 60 steps: about SetFit's compute at each k
        zero_shot_pairs=16,
        lora_train_size=300,  # 100 tweets per class, one epoch, for each of the two runs
        lora_learning_rate=1e-3,
        # lesson 13: 3,000 tweets encoded once (about 40 s at one thread on a shared core), then only logistic regressions
        datacentric_pool_size=2000,
        datacentric_test_size=1000,
        datacentric_curve_sizes=(50, 100, 300, 1000, 2000),
        datacentric_draws=3,
        noise_train_size=1000,
        augment_train_size=150,  # 50 tweets per class: few labels, where token edits could matter
        al_seed_per_class=10,
        al_batch_size=40,
        al_rounds=8,  # 30 + 8 x 40 = 350 labels, out of a pool of 2,000
        al_fine_tune=False,  # the frozen loop only: a fine-tune per round would take minutes on a CPU
        pair_curve_sizes=(100, 500),
        pair_curve_test_size=500,
        retrieval_curve_sizes=(50, 213),
        finetune_curve_draws=1,
    ),
    "full": Profile(
        name="full",
        train_size=None,
        eval_size=None,
        epochs=3,
        batch_size=32,
        max_seq_length=128,
        learning_rate=2e-5,
        learning_curve_sizes=(250, 1000, 4000, 16000),
        retrieval_epochs=4,
        retrieval_batch_sizes=(8, 64),
        retrieval_learning_rate=5e-5,
        retrieval_max_seq_length=256,
        retrieval_extras=True,
        sts_train_size=None,
        sts_dev_size=None,
        sts_learning_rate=2e-5,
        pair_train_size=None,
        pair_learning_rate=2e-5,
        triplet_per_class=600,
        triplet_eval_per_class=400,
        milestone_learning_rate=5e-5,
        milestone_bootstrap=1000,
        milestone_train_size=None,
        rerank_max_length=256,
        rerank_negatives=7,
        rerank_epochs=3,
        rerank_learning_rate=5e-5,
        rerank_top_ks=(5, 10, 20, 50),
        rerank_latency_queries=None,
        silver_per_question=10,
    ),
}


# The full profile without a CUDA GPU: the whole data where it fits, otherwise the largest slice
# that keeps a notebook under about 25 minutes on two CPU cores (measured: bench/results/course_runtime_full.md).
FULL_ON_CPU: dict = {
    "epochs": 2,
    "train_size": 4000,  # lessons 01 and 02: Davidson fine-tunes run at about 30 tweets/s on two cores
    "eval_size": 2000,
    "learning_curve_sizes": (250, 1000, 4000),
    "imbalance_train_size": 3000,  # lesson 09 trains five models: 5 x 2 epochs x 3,000 tweets
    "imbalance_eval_size": 1500,
    # lesson 05: one pass over all 5,749 STS-B pairs per loss, at the fast profile's 5e-5. For CosineSimilarityLoss the second
    # and third epochs moved test Spearman by +0.002 and +0.000 (bench/results/stsb_recipe.md); at one epoch of 2e-5 CoSENT and
    # AnglE stayed at the base model's score (an earlier reference run) while CosineSimilarityLoss gained.
    "sts_epochs": 1,
    "sts_learning_rate": 5e-5,
    # lesson 12: on a CPU every reranked candidate costs a forward pass per query; 128 tokens and k <= 20 keep it to minutes
    # (its full run's time at two threads: bench/results/course_runtime_full.md)
    "rerank_max_length": 128,
    "rerank_top_ks": (5, 10, 20),
    "rerank_latency_queries": 48,
    # lesson 14: 2 draws per k instead of 5, a 600-tweet test sample per task, SetFit capped at 500 pairs per run, 2,000 tweets for
    # LoRA vs full fine-tuning. Measured: with 3 draws, 1,000 test tweets and 1,000 pairs it took 73 min at one thread on two
    # shared cores (2026-12-05), over the half-hour aim; these sizes cut the few-shot curve's work by about half.
    "fewshot_seeds": 2,
    "fewshot_eval_size": 600,
    "setfit_max_pairs": 500,
    "lora_train_size": 2000,
    # lessons 07, 12, 13: MNRL at batch 64 x 256 tokens peaked at 9.5 GiB on the FAQ pairs and 15.1 GiB on lesson 07's triplets; its
    # cached form, 16 examples at a time, at 3.4-3.5 GiB with nDCG@10 within 0.008 (bench/results/ranking_loss_memory.md). Lesson 07's
    # whole full run: 16.0 -> 4.1 GiB, lesson 12's 9.8 -> 4.0 GiB. The price is a second forward pass per step.
    "retrieval_mini_batch_size": 16,
    # every lesson, on a CPU with AMX or AVX512-BF16 (elsewhere it changes nothing): bfloat16 autocast trained lesson 01's classifier
    # 1.40x and an STS-B embedder 1.60x faster than fp32, with the same test scores (macro-F1 0.665 / 0.664, Spearman 0.8480 /
    # 0.8480; bench/results/cpu_bf16.md, one thread); whole lessons at two threads: 10 4.7 -> 3.6 min, 07 12.7 -> 11.1 min, their
    # effects unchanged to three decimals (bench/results/lesson_bf16.md). Inference stays fp32 but where a lesson asks (cpu_bf16_inference)
    "cpu_bf16": True,
    # every lesson, on a CPU: train with dropout off and eager attention (ftcourse.training.dropout_for_training). Drawing dropout's
    # masks was 28 % of a bf16 training step here (bench/results/train_step_profile.md). Three seeds of lesson 01's classifier and
    # lesson 05's STS-B embedder (bench/results/dropout_cost*.md, 2026-12-06): classifier 1.29x, 0.99x (a busy machine), 1.37x;
    # embedder 1.28x, 1.35x, 1.55x; no test score lower (macro-F1 +0.013, +0.032, +0.006; Spearman +0.0001, +0.003, +0.006, the
    # last two with intervals above 0)
    "cpu_no_dropout": True,
    # lesson 13: one draw of the pair and retrieval curves (each point is a fine-tune; 5,749 STS-B pairs for two epochs alone take
    # minutes at one thread); the Davidson experiments keep their draws, they refit logistic regressions
    "finetune_curve_draws": 1,
    # lesson 13 keeps two passes over each STS-B subset (finetune_curve_epochs). One pass was measured (2026-12-06, bfloat16, two
    # threads): the 5,749-pair point took 134 s instead of 222 (2026-12-05), but the 2,000-pair point no longer beat the base (Spearman
    # 0.827, interval [-0.005, +0.018]; two passes: 0.853, [+0.022, +0.045]), which moved the curve's crossing from 2,000 to 5,749
    # lesson 11: six trials, not ten. The seeded TPE sampler draws its first ten trials at random, so trials 0-5 are the same
    # either way; in the ten-trial reference run of 2026-12-05 the best was trial 2, and trials 6-9 took 127 of the search's 386 s
    "search_trials": 6,
}


def get_profile(name: str = "fast", device: str | None = None, **overrides) -> Profile:
    """Return the named profile, with any non-None keyword overriding one of its fields.

    ``full`` on a CUDA GPU uses the whole data; on a CPU (or Apple MPS) it takes the sizes in
    :data:`FULL_ON_CPU`, so that each notebook finishes in under about 25 minutes on two CPU cores (measured:
    ``bench/results/course_runtime_full.md``).

    Args:
        name: ``"fast"`` or ``"full"``.
        device: ``"cuda"``, ``"mps"`` or ``"cpu"``; default: the best device here (``pick_device``).
        **overrides: field values to replace (``None`` values are ignored, so a notebook's
            ``TRAIN_SIZE = None`` parameter means "take the profile's size"). Each must have its field's type: a bool
            for a switch, an int (not a bool) for a size, a number for a rate, a list or tuple for a tuple field.

    Returns:
        The :class:`Profile`.

    Raises:
        UsageError: an unknown profile or field, or an override of the wrong type (the message names the field, the
            value and the type it takes).
    """
    key = str(name).lower()
    if key not in PROFILES:
        raise UsageError(f"Unknown profile {name!r}: choose one of {sorted(PROFILES)} (PROFILE parameter or --profile).")
    profile = PROFILES[key]
    if key == "full":
        if (device or pick_device()) != "cuda":
            profile = dataclasses.replace(profile, **FULL_ON_CPU)
    known = {f.name for f in dataclasses.fields(Profile)}
    unknown = set(overrides) - known
    if unknown:
        raise UsageError(f"Unknown profile field(s) {sorted(unknown)}; known fields: {sorted(known)}.")
    changes = {k: v for k, v in overrides.items() if v is not None}
    for field_name, value in changes.items():
        _check_override(field_name, value)
    return dataclasses.replace(profile, **changes) if changes else profile


def _accepts(kind, value) -> bool:
    # bool is an int in Python: a size of True, or a switch of 1, is a slip the notebook's parameter cell should show
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    if typing.get_origin(kind) is tuple:
        (element, *_) = typing.get_args(kind)
        return isinstance(value, (tuple, list)) and all(_accepts(element, item) for item in value)
    return any(_accepts(option, value) for option in typing.get_args(kind) if option is not type(None))


def _check_override(field_name: str, value) -> None:
    kind = typing.get_type_hints(Profile)[field_name]
    if not _accepts(kind, value):
        shown = kind.__name__ if isinstance(kind, type) else str(kind).replace("NoneType", "None")
        raise UsageError(
            f"Profile field {field_name!r} was given {value!r} ({type(value).__name__}); it takes {shown}. Fix: give it a value "
            "of that type, or None to keep the profile's, in the notebook's parameters cell (or the keyword of lesson_setup)."
        )
