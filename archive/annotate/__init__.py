"""Annotation: the recogniser (registry names, spaCy NER, coreference, dates) and applying
its mentions to a TEI tree without changing a character of the text.
"""

from .apply import NO_NAMES_INSIDE, NO_TAG_INSIDE, RESP_COMPONENTS, annotate, document_date, wrap
from .dates import DateContext, find_dates
from .models import CURRENT_FILE, META_KEY, current_model, models_dir
from .ner import MODEL, load_nlp
from .recognise import Recogniser

__all__ = [
    "CURRENT_FILE", "DateContext", "META_KEY", "MODEL", "NO_NAMES_INSIDE", "NO_TAG_INSIDE",
    "RESP_COMPONENTS", "Recogniser",
    "annotate", "current_model", "document_date", "find_dates", "load_nlp", "models_dir", "wrap"
]
