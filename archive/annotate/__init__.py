"""Annotation: the recogniser (registry names, spaCy NER, coreference, dates) and applying
its mentions to a TEI tree without changing a character of the text.
"""

from .apply import annotate
from .dates import DateContext, find_dates
from .recognise import Recogniser

__all__ = [
    "DateContext", "Recogniser", "annotate", "find_dates"
]
