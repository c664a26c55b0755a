"""Cross-encoders beside the embedder (lesson 12): one forward pass per (query, document) pair.

* :mod:`ftcourse.cross_encoder.trainer`: build a reranker from a checkpoint, mine its training pairs, train it
  (``train_cross_encoder``, ``ftcourse train-cross-encoder``).
* :mod:`ftcourse.cross_encoder.rerank`: retrieve with a bi-encoder, rerank its top k, time each stage per query
  (``ftcourse search --rerank``).
* :mod:`ftcourse.cross_encoder.augment`: Augmented SBERT: BM25 candidate pairs labelled by a cross-encoder (silver pairs).
"""
