"""The version of the index's schema: an index of another version is rebuilt in full (SQLite),
or published into a new schema (PostgreSQL)."""

SCHEMA_VERSION = "15"  # 2: path is the file name in tei/; 3: facet_values_value holds passage;
# 4: no index on facet_values (passage, ...), which nothing read; 5: element_names and
# attribute_values kept in document order (rows appended as documents are, deleted by range),
# their lookup indexes made at the end of a rebuild; 6: the mentions' ref and date indexes
# hold only the mentions with a ref, and the dates (covering the date filter); mentions are
# indexed by (doc, passage), for the mentions of one passage; 7: passages derived from the
# structure (tei.passages), passages.xml_id holds each one's citation address; passages.words
# (also in the full-text index) the words markup splits a word into ("prov" of
# prov<ex>inciae</ex>), where there are any; 8: the facet postings as arrays (postings), written
# by each update and read lazily by each process; only leaf passages keep their text (a passage
# holding others has '', its leaves hold its words); facet values numbered once (facet_keys, with
# their counts) and each document's rows as numbers (facet_rows, passage 0: the document's),
# facet_values and facet_totals being views of them; element names and attribute values
# numbered so too (element_keys, attribute_keys; element_rows, attribute_rows), element_names
# and attribute_values being views; 9: the postings kept in segments
# (a base, and one per update of the documents it added, with those it deleted), merged by
# each reader, and with each the entities and years named in its passages; 10: the passages'
# texts packed per document (texts; archive.index.texts), the full-text index contentless
# (content=''): its tokens only, snippets made of the texts of the hits shown; each mention's
# type, ref, surface and dates numbered once (mention_keys), its rows numbers (mention_rows),
# mentions being a view; the passages indexed by doc alone (passages_doc), not by
# (doc, xml_id), which nothing looked up; 11: the texts deflated with a preset dictionary
# made by each rebuild (meta 'texts'; archive.index.texts.make_dictionary); 12: the mentions'
# rows without a rowid, clustered by (doc, passage, seq) (seq: a mention's number in its
# document, the mentions' order with doc; passage 0 outside any) and indexed by key alone, each
# holding its length instead of its end; 13: each document's facet rows packed in one record
# (facet_docs; archive.index.facetrows), facet_rows being a view of them; 14: no index of the
# passages by document (passages_doc): a document's passages, numbered in a row, found by their
# range (passage_ranges; archive.index.texts.passages_of); 15: each document's passages packed in
# one record with their range (passage_docs; archive.index.passagerows), passages being a view
# of them and passage_ranges gone

#: The ``meta`` key that tells which full rebuild made the index (it numbers every document and
#: passage anew): an index published from another is published again in full.
REBUILD = "rebuild"

#: The name of the stored list of the postings' live segments ((number, weight) of each, the
#: base first; archive.index.postings), which a publish to PostgreSQL copies last.
SEGMENTS = "segments"

#: A mention's place in the order of the index's mentions (``mentions.mention``, made by
#: archive.index.db's view; PostgreSQL's ``mention_rows.rowid``, archive.index.pg): its
#: document's number, then its number in its document (``seq``: 0, 1, ... in the document's
#: order), in one integer. The mentions' rows are clustered by (doc, passage, seq), which the
#: mentions of one passage are read by (passage 0: outside any passage, NULL in the view), with
#: one index by key; each row holds its length, not its end (a smaller number).
MENTION_ORDER = "doc * 4294967296 + seq"
