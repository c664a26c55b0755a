"""Small models built in memory for the unit tests (no download, no files)."""


def tiny_bert_classifier(num_labels: int = 3):
    """A 2-layer, 32-wide BERT sequence classifier in eval mode, seeded, with dropout off."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=num_labels,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return BertForSequenceClassification(config).eval()
