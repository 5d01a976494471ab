"""Derive ``archive.rng`` and ``archive.sch`` from ``archive.odd`` and the compiled ``tei_all.rng``.

The TEI ODD toolchain (TEI Stylesheets + the P5 source) is not available offline, so this script
applies the parts of ODD the customisation uses directly to ``tei_all.rng``:

- ``moduleRef/@include``: elements not listed are removed; every reference to them becomes
  ``notAllowed`` and the grammar is simplified (empty choices vanish, ``zeroOrMore`` of nothing is
  ``empty``, a definition that can no longer match is removed with its references);
- ``classSpec type="atts" mode="delete"``: references to the class's attributes are removed;
- ``attDef mode="delete"`` (in ``classSpec`` or ``elementSpec``): the attribute is removed;
- ``attDef mode="change"`` with ``datatype/dataRef/@key`` (a ``dataSpec`` of the ODD) or a
  closed ``valList``: the attribute's value pattern is replaced;
- ``constraintSpec scheme="schematron"``: ``sch:ns``, top-level ``sch:let`` and ``xsl:key`` go to
  the schema, each constraint's rules become one ``sch:pattern`` named after the constraintSpec.

Every operation only removes a choice, an optional attribute, or narrows a datatype, so a
document valid against the result is valid against ``tei_all.rng``; the script refuses to remove
an attribute that is not optional. Run ``python schemas/make_rng.py TEI_ALL_RNG [--check]``, where
``TEI_ALL_RNG`` is the official ``tei_all.rng`` (not in this repository: ``../shared/tei/`` here).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent

RNG_NS = "http://relaxng.org/ns/structure/1.0"
TEI_NS = "http://www.tei-c.org/ns/1.0"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"
XSL_NS = "http://www.w3.org/1999/XSL/Transform"
ANNOTATION_NS = "http://relaxng.org/ns/compatibility/annotations/1.0"
XSD_DATATYPES = "http://www.w3.org/2001/XMLSchema-datatypes"
ODD = {"tei": TEI_NS, "rng": RNG_NS, "sch": SCH_NS, "xsl": XSL_NS}


def rng(local: str) -> str:
    return f"{{{RNG_NS}}}{local}"


REF, DEFINE, ELEMENT, ATTRIBUTE = rng("ref"), rng("define"), rng("element"), rng("attribute")
NOT_ALLOWED, EMPTY, CHOICE = rng("notAllowed"), rng("empty"), rng("choice")
NAME_CLASSES = {rng(n) for n in ("name", "anyName", "nsName", "except")}
# patterns that match nothing as soon as one of their children matches nothing
STRICT = {rng(n) for n in ("group", "interleave", "oneOrMore", "list", "attribute", "element",
                          "mixed", "define")}


class OddError(Exception):
    """The ODD asks for something this processor cannot do safely."""


def load_odd(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot().find(".//tei:schemaSpec", ODD)


def included_elements(spec: etree._Element) -> set[str]:
    """``moduleRef/@include`` lists → the set of element names kept."""
    names: set[str] = set()
    for module in spec.iterfind("tei:moduleRef", ODD):
        names.update(module.get("include", "").split())
    return names


def strip_annotations(grammar: etree._Element) -> None:
    """Drop documentation, TEI's embedded Schematron and comments: archive.sch replaces them."""
    for node in list(grammar.iter()):
        if not isinstance(node.tag, str):
            node.getparent().remove(node)
        elif etree.QName(node).namespace not in (RNG_NS,):
            node.getparent().remove(node)
    for node in grammar.iter():
        for name in list(node.attrib):
            if name.startswith(f"{{{ANNOTATION_NS}}}"):
                del node.attrib[name]


def is_optional(pattern: etree._Element, defines: dict[str, etree._Element]) -> bool:
    """True when ``pattern`` (or the define it names) may match nothing: removing it narrows."""
    if pattern.tag in (rng("optional"), rng("zeroOrMore"), EMPTY):
        return True
    if pattern.tag == REF:
        target = defines.get(pattern.get("name", ""))
        return target is None or all(is_optional(child, defines) for child in target)
    if pattern.tag == CHOICE:
        return any(is_optional(child, defines) for child in pattern)
    if pattern.tag in (rng("group"), rng("interleave"), DEFINE):
        return all(is_optional(child, defines) for child in pattern)
    return False


def remove_pattern(pattern: etree._Element, defines: dict[str, etree._Element], why: str) -> None:
    if not is_optional(pattern, defines):
        raise OddError(f"{why}: {etree.tostring(pattern)[:120]!r} is required, cannot remove it")
    parent = pattern.getparent()
    parent.replace(pattern, etree.Element(EMPTY))


def delete_attribute_classes(spec: etree._Element, grammar: etree._Element,
                             defines: dict[str, etree._Element]) -> None:
    """``classSpec type="atts" mode="delete"`` → its ``.attributes`` / ``.attribute.*`` refs go."""
    for class_spec in spec.iterfind("tei:classSpec[@type='atts'][@mode='delete']", ODD):
        ident = class_spec.get("ident")
        if f"{ident}.attributes" not in defines:
            raise OddError(f"attribute class {ident} is not in tei_all.rng")
        for ref in list(grammar.iter(REF)):
            name = ref.get("name", "")
            if name == f"{ident}.attributes" or name.startswith(f"{ident}.attribute."):
                remove_pattern(ref, defines, f"deleting class {ident}")


def attribute_pattern(container: etree._Element, name: str) -> etree._Element | None:
    """The ``optional`` (or bare ``attribute``) declaring ``name`` directly in ``container``."""
    for attribute in container.iter(ATTRIBUTE):
        if attribute.get("name") == name:
            parent = attribute.getparent()
            return parent if parent.tag == rng("optional") else attribute
    return None


def new_value_pattern(att_def: etree._Element, spec: etree._Element) -> etree._Element:
    """The narrowed value pattern of an ``attDef mode="change"``."""
    data_ref = att_def.find("tei:datatype/tei:dataRef", ODD)
    if data_ref is not None:
        key = data_ref.get("key")
        data_spec = spec.find(f"tei:dataSpec[@ident='{key}']", ODD)
        if data_spec is None:
            raise OddError(f"dataRef key={key!r}: no dataSpec with that ident in the ODD")
        content = [c for c in data_spec.find("tei:content", ODD) if isinstance(c.tag, str)]
        return copy.deepcopy(content[0])
    values = att_def.findall("tei:valList[@type='closed']/tei:valItem", ODD)
    if values:
        choice = etree.Element(CHOICE)
        for item in values:
            etree.SubElement(choice, rng("value")).text = item.get("ident")
        return choice
    raise OddError(f"attDef {att_def.get('ident')}: mode='change' needs a dataRef or closed valList")


def apply_att_def(att_def: etree._Element, container: etree._Element, spec: etree._Element,
                  defines: dict[str, etree._Element], where: str) -> None:
    ident = att_def.get("ident", "")
    pattern = attribute_pattern(container, ident)
    if pattern is None:
        raise OddError(f"{where}: no attribute {ident} declared there in tei_all.rng")
    if att_def.get("mode") == "delete":
        remove_pattern(pattern, defines, f"{where}/@{ident}")
        return
    attribute = pattern if pattern.tag == ATTRIBUTE else pattern.find(ATTRIBUTE)
    for child in [c for c in attribute if c.tag not in NAME_CLASSES]:
        attribute.remove(child)
    attribute.append(new_value_pattern(att_def, spec))


def apply_attribute_changes(spec: etree._Element, defines: dict[str, etree._Element]) -> None:
    """``attDef`` in ``classSpec mode="change"`` and ``elementSpec mode="change"``."""
    for class_spec in spec.iterfind("tei:classSpec[@type='atts'][@mode='change']", ODD):
        ident = class_spec.get("ident")
        for att_def in class_spec.iterfind("tei:attList/tei:attDef", ODD):
            local = att_def.get("ident", "").replace("xml:", "xml")
            define = defines.get(f"{ident}.attribute.{local}")
            if define is None:
                raise OddError(f"classSpec {ident}: no attribute {att_def.get('ident')}")
            apply_att_def(att_def, define, spec, defines, ident)
    for element_spec in spec.iterfind("tei:elementSpec[@mode='change']", ODD):
        ident = element_spec.get("ident", "")
        define = defines.get(ident)
        if define is None:
            raise OddError(f"elementSpec {ident}: no such element in tei_all.rng")
        for att_def in element_spec.iterfind("tei:attList/tei:attDef", ODD):
            apply_att_def(att_def, define.find(ELEMENT), spec, defines, ident)


def simplify(grammar: etree._Element, dead: set[str]) -> None:
    """Propagate ``notAllowed`` and drop ``empty`` to a fixpoint; ``dead`` collects defines lost."""
    changed = True
    while changed:
        changed = False
        # a define left with nothing but <empty/> (deleted attributes) is inlined away
        hollow = {d.get("name") for d in grammar.iter(DEFINE) if len(d) == 1 and d[0].tag == EMPTY}
        for ref in list(grammar.iter(REF)):
            if ref.get("name") in dead:
                ref.getparent().replace(ref, etree.Element(NOT_ALLOWED))
                changed = True
            elif ref.get("name") in hollow:
                ref.getparent().replace(ref, etree.Element(EMPTY))
                changed = True
        for node in list(grammar.iter(NOT_ALLOWED)):
            parent = node.getparent()
            if not _attached(node, grammar) or parent.tag == rng("start"):
                continue
            if parent.tag == CHOICE:
                parent.remove(node)
                if len(parent) == 0:
                    parent.getparent().replace(parent, etree.Element(NOT_ALLOWED))
            elif parent.tag in (rng("optional"), rng("zeroOrMore")):
                parent.getparent().replace(parent, etree.Element(EMPTY))
            elif parent.tag == DEFINE:
                dead.add(parent.get("name", ""))
                parent.getparent().remove(parent)
            elif parent.tag in STRICT:
                parent.getparent().replace(parent, etree.Element(NOT_ALLOWED))
            else:
                continue
            changed = True
        for node in list(grammar.iter(EMPTY)):
            parent = node.getparent()
            if not _attached(node, grammar):
                continue
            siblings = [c for c in parent if c is not node and c.tag not in NAME_CLASSES]
            if parent.tag in (rng("group"), rng("interleave"), DEFINE, ELEMENT, rng("optional"),
                              rng("zeroOrMore"), rng("oneOrMore")) and siblings:
                parent.remove(node)
                changed = True
        for wrapper in list(grammar.iter(rng("optional"), rng("zeroOrMore"), rng("group"))):
            parent = wrapper.getparent()
            if len(wrapper) == 1 and wrapper[0].tag == EMPTY and parent is not None:
                parent.replace(wrapper, wrapper[0])
                changed = True


def _attached(node: etree._Element, root: etree._Element) -> bool:
    """False once an ancestor was removed earlier in the same simplification pass."""
    for ancestor in node.iterancestors():
        if ancestor is root:
            return True
    return False


def remove_unreachable(grammar: etree._Element) -> None:
    defines = {d.get("name"): d for d in grammar.iter(DEFINE)}
    seen: set[str] = set()
    todo = [r.get("name") for r in grammar.find(rng("start")).iter(REF)]
    while todo:
        name = todo.pop()
        if name in seen or name not in defines:
            continue
        seen.add(name)
        todo.extend(r.get("name") for r in defines[name].iter(REF))
    for name, define in defines.items():
        if name not in seen:
            grammar.remove(define)


def make_rng(odd_path: Path, tei_all: Path) -> bytes:
    """Apply the ODD to tei_all.rng and return the customised RELAX NG schema.

    :raise OddError: the ODD asks for an unsupported or widening change.
    """
    spec = load_odd(odd_path)
    grammar = etree.parse(str(tei_all)).getroot()
    strip_annotations(grammar)
    defines = {d.get("name", ""): d for d in grammar.iter(DEFINE)}
    keep = included_elements(spec)
    element_defines = {name for name, d in defines.items() if d.find(ELEMENT) is not None}
    unknown = keep - element_defines
    if unknown:
        raise OddError(f"moduleRef includes elements not in tei_all.rng: {sorted(unknown)}")
    delete_attribute_classes(spec, grammar, defines)
    apply_attribute_changes(spec, defines)
    dead = element_defines - keep
    for name in dead:
        grammar.remove(defines[name])
    start = grammar.find(rng("start"))
    start.clear()
    choice = etree.SubElement(start, CHOICE)
    for name in spec.get("start", "TEI").split():
        etree.SubElement(choice, REF, name=name)
    simplify(grammar, dead)
    lost = (dead - (element_defines - keep)) & element_defines
    if lost:
        raise OddError(f"elements that can no longer occur (a required child was removed): "
                       f"{sorted(lost)}")
    remove_unreachable(grammar)
    header = etree.Comment(
        f" Generated by schemas/make_rng.py from archive.odd and {tei_all.name}; do not edit. "
    )
    grammar.insert(0, header)
    etree.cleanup_namespaces(grammar, top_nsmap={None: RNG_NS}, keep_ns_prefixes=[])
    grammar.set("datatypeLibrary", XSD_DATATYPES)
    etree.indent(grammar, space="  ")
    return etree.tostring(grammar, xml_declaration=True, encoding="UTF-8") + b"\n"


def make_sch(odd_path: Path) -> bytes:
    """Collect the ODD's Schematron constraintSpecs into one ISO Schematron schema."""
    spec = load_odd(odd_path)
    sch = etree.Element(f"{{{SCH_NS}}}schema", nsmap={"sch": SCH_NS, "xsl": XSL_NS},
                        queryBinding="xslt")
    etree.SubElement(sch, f"{{{SCH_NS}}}title").text = (
        "TEI Archive editorial constraints (generated from archive.odd by make_rng.py; do not edit)")
    top = {f"{{{SCH_NS}}}ns", f"{{{SCH_NS}}}let", f"{{{XSL_NS}}}key"}
    patterns = []
    for constraint_spec in spec.iterfind("tei:constraintSpec[@scheme='schematron']", ODD):
        rules = []
        for node in constraint_spec.find("tei:constraint", ODD):
            if not isinstance(node.tag, str):
                rules.append(copy.deepcopy(node))
            elif node.tag in top:
                sch.append(copy.deepcopy(node))
            else:
                rules.append(copy.deepcopy(node))
        if any(isinstance(rule.tag, str) for rule in rules):
            pattern = etree.Element(f"{{{SCH_NS}}}pattern", id=constraint_spec.get("ident", ""))
            pattern.extend(rules)
            patterns.append(pattern)
    sch.extend(patterns)
    etree.cleanup_namespaces(sch, top_nsmap={"sch": SCH_NS, "xsl": XSL_NS})
    etree.indent(sch, space="  ")
    return etree.tostring(sch, xml_declaration=True, encoding="UTF-8") + b"\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tei_all", type=Path, nargs="?", metavar="TEI_ALL_RNG",
                        help="the official TEI P5 tei_all.rng, e.g. ../shared/tei/tei_all.rng")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the committed files differ from what would be written")
    args = parser.parse_args(argv)
    if args.tei_all is None:
        return _error("give the path of tei_all.rng, the official TEI P5 schema "
                      "(e.g. ../shared/tei/tei_all.rng)")
    try:
        with args.tei_all.open("rb"):
            pass
    except OSError as error:
        return _error(f"{args.tei_all}: cannot read tei_all.rng: {error.strerror}")
    odd = HERE / "archive.odd"
    try:
        rng_data = make_rng(odd, args.tei_all)
    except etree.XMLSyntaxError as error:
        return _error(f"{args.tei_all}: not a RELAX NG schema: {error}")
    outputs = {HERE / "archive.rng": rng_data, HERE / "archive.sch": make_sch(odd)}
    stale = [path for path, data in outputs.items()
             if not path.exists() or path.read_bytes() != data]
    if args.check:
        for path in stale:
            print(f"{path.name} is out of date: run python schemas/make_rng.py TEI_ALL_RNG",
                  file=sys.stderr)
        return 1 if stale else 0
    for path, data in outputs.items():
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    return 0


def _error(message: str) -> int:
    """One line on standard error; the exit status of a usage error."""
    print(f"make_rng.py: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
