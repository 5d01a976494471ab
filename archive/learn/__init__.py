"""Learning: the archive's tagger measured on tagged TEI (``archive evaluate``) and its NER
fine-tuned on the archive's vetted annotations (``archive train``).
"""

from .align import Block, GoldSpan, read_blocks, text_of_document
from .evaluate import Score, evaluate_documents, score
from .train import Trained, collect, train

__all__ = [
    "Block", "GoldSpan", "Score", "Trained", "collect", "evaluate_documents", "read_blocks",
    "score", "text_of_document", "train"
]
