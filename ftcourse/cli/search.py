"""``ftcourse search``: the corpus texts closest to each query."""

from __future__ import annotations

import argparse

from ftcourse.cli.options import CONFIG_HELP, as_sentences, positive, required, resolve
from ftcourse.cli.report import say
from ftcourse.errors import UsageError
from ftcourse.files import read_texts

NAME = "search"

DEFAULTS: dict = {
    "model_dir": None,
    "corpus": None,
    "queries": None,
    "text_column": "text",
    "top_k": 5,
    "batch_size": 32,
    "rerank": None,  # a cross-encoder (train-cross-encoder --output) that reorders the embedder's candidates
    "candidates": 20,  # with --rerank: how many of the embedder's best texts the cross-encoder scores per query
}

TYPES = {"queries": None, "top_k": int, "batch_size": int, "candidates": int}


def add_parser(sub) -> None:
    """Register the command."""
    se = sub.add_parser(
        NAME,
        help="semantic search: the corpus texts closest to each query",
        description="Corpus embeddings are cached in the user's cache folder ($XDG_CACHE_HOME/ftcourse/embeddings, "
        "default ~/.cache/ftcourse/embeddings), keyed on the texts embedded and the model; never beside the corpus.",
    )
    se.add_argument("model_dir", nargs="?", help="a train-embedder --output, a model folder or a Hub id")
    se.add_argument("queries", nargs="*", help="queries (quote each one)")
    se.add_argument("--config", help=CONFIG_HELP)
    se.add_argument("--corpus", help="a .txt file (one text per line) or a table with a text column")
    se.add_argument("--text-column", help="text column of a table corpus (default: text)")
    se.add_argument("--top-k", type=int, help="results per query (default: 5)")
    se.add_argument("--batch-size", type=int, help="default: 32")
    se.add_argument(
        "--rerank",
        metavar="MODEL",
        help="a cross-encoder (the --output of train-cross-encoder, or a Hub id) that rescores the embedder's candidates",
    )
    se.add_argument(
        "--candidates", type=int, help="with --rerank: texts the cross-encoder scores per query, at least --top-k (default: 20)"
    )
    se.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    cli = {k: v for k, v in vars(args).items() if v != []}  # no queries typed must not hide the config file's list
    execute(resolve(DEFAULTS, TYPES, cli, args.config))
    return 0


def execute(options: dict) -> list[list[dict]]:
    """Run ``ftcourse search`` with resolved ``options`` (see :data:`DEFAULTS`).

    Encodes the queries with the model, ranks the corpus by cosine similarity
    (:func:`ftcourse.embedder.search.search`) and prints the top ``top_k`` per query. With ``rerank``, the
    cross-encoder scores each query's ``candidates`` best texts and the top ``top_k`` of its order are printed
    (:func:`ftcourse.cross_encoder.rerank.rerank_hits`).

    Returns:
        One list per query of ``{"rank", "score", "text", "corpus_id"}`` (and ``rerank_score`` with ``rerank``).
    """
    # The model stack loads only when a command needs it (see ftcourse.cli.train_classifier).
    from ftcourse.embedder.search import check_model_exists, corpus_embeddings, embedder_path, search
    from ftcourse.models import load_sentence_transformer

    required(options, "model_dir", "MODEL_DIR")
    required(options, "corpus", "--corpus corpus.txt")
    queries = [q for q in as_sentences(options["queries"]) if q.strip()]
    if not queries:
        raise UsageError('no query given. Fix: ftcourse search MODEL_DIR --corpus corpus.txt "your question" ...')
    positive(options, "top_k", "batch_size", "candidates")
    reranker_path = _reranker_path(options)
    texts = read_texts(options["corpus"], options["text_column"])
    model_path = embedder_path(options["model_dir"])
    check_model_exists(model_path)
    model = load_sentence_transformer(model_path)
    embeddings, cache, reused = corpus_embeddings(model, model_path, texts, options["batch_size"])
    where = f"{'reused from' if reused else 'computed and cached in'} {cache}" if cache else "computed (not cached)"
    say(f"corpus of {len(texts)} texts; embeddings {where}")
    depth = options["candidates"] if reranker_path else options["top_k"]
    results = search(model, queries, embeddings, texts, depth, options["batch_size"])
    if reranker_path:
        from ftcourse.cross_encoder.rerank import rerank_hits
        from ftcourse.cross_encoder.trainer import load_cross_encoder

        reranker = load_cross_encoder(reranker_path)
        say(f"reranking the top {min(depth, len(texts))} of each query with {options['rerank']}")
        results = [
            rerank_hits(reranker, query, rows, options["batch_size"])[: options["top_k"]]
            for query, rows in zip(queries, results, strict=True)
        ]
    for query, rows in zip(queries, results, strict=True):
        print(f"\nquery: {query}")
        for row in rows:
            rescored = f"rerank {row['rerank_score']:.3f}  " if "rerank_score" in row else ""
            print(f"  {row['rank']:>2}. {rescored}{row['score']:.3f}  {row['text'][:110]}")
    return results


def _reranker_path(options: dict) -> str | None:
    # Checked before the corpus is read or embedded: a wrong --rerank fails at once.
    if not options["rerank"]:
        return None
    from ftcourse.cross_encoder.trainer import check_cross_encoder

    if options["candidates"] < options["top_k"]:
        raise UsageError(
            f"--candidates {options['candidates']} is below --top-k {options['top_k']}: the reranker can only order what it is given. "
            f"Fix: --candidates {max(20, options['top_k'])}."
        )
    return check_cross_encoder(options["rerank"])
