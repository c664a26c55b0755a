"""``ftcourse search``: the corpus texts closest to each query."""

from __future__ import annotations

import argparse

from ftcourse.cli.options import CONFIG_HELP, as_sentences, positive, required, resolve
from ftcourse.cli.report import say
from ftcourse.errors import UsageError
from ftcourse.files import read_texts

NAME = "search"

DEFAULTS: dict = {"model_dir": None, "corpus": None, "queries": None, "text_column": "text", "top_k": 5, "batch_size": 32}

TYPES = {"queries": None, "top_k": int, "batch_size": int}


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
    se.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    cli = {k: v for k, v in vars(args).items() if v != []}  # no queries typed must not hide the config file's list
    execute(resolve(DEFAULTS, TYPES, cli, args.config))
    return 0


def execute(options: dict) -> list[list[dict]]:
    """Run ``ftcourse search`` with resolved ``options`` (see :data:`DEFAULTS`).

    Encodes the queries with the model, ranks the corpus by cosine similarity
    (:func:`ftcourse.embedder.search.search`) and prints the top ``top_k`` per query.

    Returns:
        One list per query of ``{"rank", "score", "text", "corpus_id"}``.
    """
    # The model stack loads only when a command needs it (see ftcourse.cli.train_classifier).
    from ftcourse.embedder.search import check_model_exists, corpus_embeddings, embedder_path, search
    from ftcourse.models import load_sentence_transformer

    required(options, "model_dir", "MODEL_DIR")
    required(options, "corpus", "--corpus corpus.txt")
    queries = [q for q in as_sentences(options["queries"]) if q.strip()]
    if not queries:
        raise UsageError('no query given. Fix: ftcourse search MODEL_DIR --corpus corpus.txt "your question" ...')
    positive(options, "top_k", "batch_size")
    texts = read_texts(options["corpus"], options["text_column"])
    model_path = embedder_path(options["model_dir"])
    check_model_exists(model_path)
    model = load_sentence_transformer(model_path)
    embeddings, cache, reused = corpus_embeddings(model, model_path, texts, options["batch_size"])
    where = f"{'reused from' if reused else 'computed and cached in'} {cache}" if cache else "computed (not cached)"
    say(f"corpus of {len(texts)} texts; embeddings {where}")
    results = search(model, queries, embeddings, texts, options["top_k"], options["batch_size"])
    for query, rows in zip(queries, results, strict=True):
        print(f"\nquery: {query}")
        for row in rows:
            print(f"  {row['rank']:>2}. {row['score']:.3f}  {row['text'][:110]}")
    return results
