"""The editor's pages (``archive serve --editing``): the review queue of the recogniser's
proposals, editing and merging registry entries, and the audit log with undo.

Every change goes through :mod:`archive.curation`, as the command line's does (validated,
atomic, under the data lock, logged). Every writing route is a POST carrying the CSRF token
(:mod:`.auth` checks it) and wears a role decorator:

- ``/review``, ``/entities/<id>/edit``, ``/entities/<id>/merge``: editors (and admins).
- ``/log``: admins see every change and may undo any; editors see their own changes and may
  undo only those (an undo of another editor's change is refused with 403).

An edit form carries the ETag of the registry file it was made from (a hidden ``etag`` field,
or an ``If-Match`` header from script); a change made since is a 409 that names it (who, when,
what) and keeps the form. A data lock held by another writer is tried again for a moment, then
answered with 503 and ``Retry-After`` — nothing is ever written over another's change.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response as BaseResponse

from archive.curation import (
    AUTHORITIES,
    Change,
    EntryEdit,
    accept_proposal,
    edit_entry,
    entry_etag,
    get_change,
    latest,
    merge_entries,
    merge_proposal,
    reject_proposal,
    undo,
)
from archive.errors import ArchiveError, ConflictError, LockBusy
from archive.index import entity_mentions, entity_totals
from archive.registry import Entry

from .auth import editor_required
from .browse import page_number
from .data import entity_or_404, get_registry, get_settings, require_index, valid_id
from .entities import REGISTERS, kwic

__all__ = ["bp"]

bp = Blueprint("editing", __name__)

#: Proposals per page of the review queue, and contexts shown for each.
REVIEW_PAGE = 20
CONTEXTS = 5
#: Changes per page of the log (``LOG_PAGE_SIZE`` in the app's config).
LOG_PAGE = 50
#: How long a write waits for a data lock held by another writer, and what a 503 then says.
LOCK_TRIES = 10
LOCK_PAUSE = 0.1
RETRY_AFTER = 2
#: The register (URL segment) of each entry type, for the search as you type.
KINDS = {entry_type: kind for kind, (entry_type, _) in REGISTERS.items()}
TYPE_NAMES = {"person": "Person", "place": "Place", "org": "Organisation"}

Result = TypeVar("Result")


def write(call: Callable[[], Result]) -> Result:
    """``call()``, which writes through :mod:`archive.curation`; a data lock held by another
    writer is waited for a moment, then 503 with ``Retry-After`` (nothing written)."""
    for attempt in range(LOCK_TRIES):
        try:
            return call()
        except LockBusy as error:
            if attempt == LOCK_TRIES - 1:
                current_app.logger.warning("editing: %s", error)
            else:
                time.sleep(LOCK_PAUSE)
    raise ServiceUnavailable("Another change is being saved just now; nothing was written. "
                             "Try again in a moment.", retry_after=RETRY_AFTER)


def editor() -> str:
    """The name the log gives the logged-in editor."""
    return str(current_user.name)


def change_dict(change: Change) -> dict[str, Any]:
    """A logged change at the template edge: who, when, what, its files."""
    return {"id": change.id, "who": change.who, "when": change.when, "what": change.what,
            "files": [file.path for file in change.files], "undoes": change.undoes}


def conflict_changes(error: ConflictError) -> list[dict[str, Any]]:
    """The changes a :class:`ConflictError` names (those made since the editor's view)."""
    return [change_dict(change) for change in error.changes if isinstance(change, Change)]


def conflict_message(error: ConflictError) -> str:
    """What an editor whose form went stale is told (the changes are listed below it)."""
    if not error.changes:
        return message(error)
    return ("Changed since you opened it; nothing was saved. Your values are kept below: "
            "look at the change, then save again to put yours over it.")


def message(error: ArchiveError) -> str:
    """An error's one line for a page, its first letter a capital (no file path: the registry
    file is the server's business)."""
    text = error.message
    return text[:1].upper() + text[1:]


# -- the review queue ------------------------------------------------------------------------

def proposals() -> list[tuple[Entry, int]]:
    """Every proposal with its mentions, most mentioned first, then by name."""
    settings = get_settings()
    totals: dict[str, int] = {}
    for entry_type in KINDS:
        totals.update({ref: total for ref, (total, _, _) in
                       entity_totals(settings, entry_type).items()})
    found = [(entry, totals.get(entry.id, 0)) for entry in get_registry().entries.values()
             if entry.proposed]
    found.sort(key=lambda pair: (-pair[1], pair[0].name.casefold(), pair[0].id))
    return found


def review_data() -> dict[str, Any]:
    """One page of the review queue: each proposal with its first contexts (KWIC) and its
    count of mentions."""
    require_index()
    settings = get_settings()
    every = proposals()
    page = page_number()
    shown = []
    for entry, total in every[(page - 1) * REVIEW_PAGE:page * REVIEW_PAGE]:
        contexts = []
        for row in entity_mentions(settings, entry.id, CONTEXTS):
            url = url_for("documents.read", doc_id=row["doc"])
            contexts.append({"title": row["title"] or row["doc"], "target": row["target"],
                             "url": url + (f"#{row['target']}" if row["target"] else ""),
                             **kwic(row["text"], row["start"], row["end"], row["surface"])})
        shown.append({"id": entry.id, "type": entry.type, "type_name": TYPE_NAMES[entry.type],
                      "kind": KINDS[entry.type], "name": entry.name,
                      "variants": list(entry.variants), "mentions": total,
                      "contexts": contexts,
                      "url": url_for("entities.show", entity_id=entry.id)})
    pages = max(1, (len(every) + REVIEW_PAGE - 1) // REVIEW_PAGE)
    return {"proposals": shown, "total": len(every), "page": page, "pages": pages}


def review_page(error: str | None = None, status: int = 200,
                conflict: list[dict[str, Any]] | None = None) -> tuple[str, int]:
    return render_template("editing/review.html", **review_data(), error=error,
                           conflict=conflict or []), status


@bp.get("/review")
@editor_required
def review() -> tuple[str, int]:
    """The proposals waiting for review."""
    return review_page()


def resolve_target(text: str, entry_type: str, exclude: str) -> Entry:
    """The entry an editor named as a merge target: its id, or a name or variant that only
    one reviewed entry of ``entry_type`` has (a form sent without script).

    :raise ArchiveError: no such entry, or several (named).
    """
    text = " ".join(text.split())
    if not text:
        raise ArchiveError("choose the entry to merge into")
    registry = get_registry()
    entry = registry.get(text)
    if entry is not None and entry.id != exclude:
        if entry.type != entry_type:
            raise ArchiveError(f"{entry.name} ({entry.id}) is a {entry.type}, not a "
                               f"{entry_type}")
        if entry.proposed:
            raise ArchiveError(f"{entry.name} ({entry.id}) is itself a proposal: review it "
                               "first, or choose a reviewed entry")
        return entry
    wanted = text.casefold()
    found = [candidate for candidate in registry.entries.values()
             if candidate.type == entry_type and candidate.id != exclude
             and not candidate.proposed
             and any(name.casefold() == wanted for name in candidate.all_names)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ArchiveError(f"no {entry_type} named {text!r} in the registry: type a part of "
                           "the name and choose one")
    named = ", ".join(f"{candidate.name} ({candidate.id})" for candidate in found[:5])
    raise ArchiveError(f"several entries are named {text!r}: {named}; give the id")


def undecided(entry_id: str) -> Entry | tuple[str, int]:
    """Proposal ``entry_id``; when it is one no longer (another editor decided it), the queue
    with 409 naming the change that did."""
    entry = get_registry().get(entry_id) if valid_id(entry_id) else None
    if entry is not None and entry.proposed:
        return entry
    decided = [change for change in latest(get_settings())
               if re.search(rf"\bproposal {re.escape(entry_id)}\b", change.what)][:1]
    if not decided and entry is None:
        abort(404, f"No entity {entry_id!r}")
    label = f"{entry.name} ({entry_id})" if entry else entry_id
    return review_page(f"The proposal {label} was decided already; nothing was done.", 409,
                       [change_dict(change) for change in decided])


def decide(decision: Callable[[], Change], done: str) -> BaseResponse | tuple[str, int]:
    """Apply a review decision; back to the queue, or the queue with one line saying why
    nothing was done."""
    try:
        change = write(decision)
    except ConflictError as error:
        return review_page(message(error), 409, conflict_changes(error))
    except ArchiveError as error:
        return review_page(message(error), 400)
    files = sum(1 for file in change.files if file.path.startswith("tei/"))
    flash(f"{done} ({files} document{'' if files == 1 else 's'} changed; change {change.id} "
          "in the log).")
    return redirect(url_for("editing.review", page=request.form.get("page") or None))


@bp.post("/review/<entry_id>/accept")
@editor_required
def accept(entry_id: str) -> BaseResponse | tuple[str, int]:
    """Keep a proposal as a reviewed registry entry."""
    entry = undecided(entry_id)
    if not isinstance(entry, Entry):
        return entry
    return decide(lambda: accept_proposal(get_settings(), entry.id, editor=editor()),
                  f"Accepted {entry.name}")


@bp.post("/review/<entry_id>/merge")
@editor_required
def merge(entry_id: str) -> BaseResponse | tuple[str, int]:
    """Merge a proposal into a reviewed entry (``into``: its id, or a name only it has)."""
    entry = undecided(entry_id)
    if not isinstance(entry, Entry):
        return entry
    try:
        target = resolve_target(request.form.get("into", ""), entry.type, entry.id)
    except ArchiveError as error:
        return review_page(message(error), 400)
    return decide(lambda: merge_proposal(get_settings(), entry.id, target.id, editor=editor()),
                  f"Merged {entry.name} into {target.name}")


@bp.post("/review/<entry_id>/reject")
@editor_required
def reject(entry_id: str) -> BaseResponse | tuple[str, int]:
    """Reject a proposal: its names are never proposed again, its mentions unlinked."""
    entry = undecided(entry_id)
    if not isinstance(entry, Entry):
        return entry
    return decide(lambda: reject_proposal(get_settings(), entry.id, editor=editor()),
                  f"Rejected {entry.name}")


# -- registry entries ------------------------------------------------------------------------

def lines(text: str) -> list[str]:
    """The non-empty lines of a text area."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def form_values(entry: Entry) -> dict[str, Any]:
    """What the edit form shows for ``entry``."""
    idnos = {authority: "" for authority in AUTHORITIES}
    for authority, value in entry.idnos:
        if authority in idnos:
            idnos[authority] = value
    return {"name": entry.name, "variants": "\n".join(entry.variants),
            "birth": entry.birth or "", "death": entry.death or "",
            "geo": f"{entry.geo[0]}, {entry.geo[1]}" if entry.geo else "",
            "idnos": idnos, "notes": "\n\n".join(entry.notes)}


def posted_values(entry: Entry) -> dict[str, Any]:
    """The edit form as posted; a field not sent shows the entry's value (and is not
    changed: :func:`entry_edit`)."""
    form, shown = request.form, form_values(entry)
    values = {name: form.get(name, shown[name])
              for name in ("name", "variants", "birth", "death", "geo", "notes")}
    values["idnos"] = {authority: form.get(f"idno-{authority}", shown["idnos"][authority])
                       .strip() for authority in AUTHORITIES}
    return values


def entry_edit(entry: Entry) -> EntryEdit:
    """The change the posted form makes: each field sent (an empty one clears it); the fields
    not sent, and those an entry of its type lacks, are left alone."""
    form = request.form

    def sent(name: str) -> str | None:
        return form[name].strip() if name in form else None

    notes = sent("notes")
    variants = sent("variants")
    kept = form_values(entry)["idnos"]
    idnos = [f"{authority}:{value}" for authority in AUTHORITIES
             if (value := form.get(f"idno-{authority}", kept[authority]).strip())]
    return EntryEdit(
        name=sent("name"), variants=None if variants is None else lines(variants),
        birth=sent("birth") if entry.type == "person" else None,
        death=sent("death") if entry.type == "person" else None,
        geo=sent("geo") if entry.type == "place" else None,
        idnos=idnos if any(f"idno-{authority}" in form for authority in AUTHORITIES)
        else None,
        notes=None if notes is None else [
            " ".join(part.split()) for part in notes.replace("\r\n", "\n").split("\n\n")
            if part.strip()])


#: The edit form's fields as a conflict names them.
LABELS = {"name": "Name", "variants": "Other names", "birth": "Born", "death": "Died",
          "geo": "Coordinates", "notes": "Notes"}


def differences(current: Entry, values: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value saved now) of each field where the entry as saved now differs from what
    the editor sent: what the other change left there."""
    saved = form_values(current)
    found = [(LABELS[name], saved[name]) for name in LABELS
             if " ".join(saved[name].split()) != " ".join(str(values[name]).split())]
    found += [(authority, saved["idnos"][authority]) for authority in AUTHORITIES
              if saved["idnos"][authority] != values["idnos"][authority]]
    return found


def seen_etag() -> str | None:
    """The ETag the editor's form was made from: ``If-Match`` (script), else the form's."""
    header = request.headers.get("If-Match", "").strip()
    if header:
        return header.removeprefix("W/").strip('"')
    return request.form.get("etag") or None


def edit_page(entry: Entry, values: dict[str, Any], etag: str, *, error: str | None = None,
              conflict: list[dict[str, Any]] | None = None,
              saved: list[tuple[str, str]] | None = None, status: int = 200) -> BaseResponse:
    response = current_app.make_response((render_template(
        "editing/edit.html", entry=entry, type_name=TYPE_NAMES[entry.type], values=values,
        etag=etag, error=error, conflict=conflict or [], saved=saved or [],
        authorities=AUTHORITIES), status))
    response.headers["ETag"] = f'"{etag}"'
    return response


@bp.route("/entities/<entity_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(entity_id: str) -> BaseResponse:
    """The form that edits a registry entry; its POST saves it, or shows why not."""
    entry = entity_or_404(entity_id)
    settings = get_settings()
    if request.method == "GET":
        return edit_page(entry, form_values(entry), entry_etag(settings, entity_id))
    values = posted_values(entry)
    seen = seen_etag()
    try:
        change = write(lambda: edit_entry(settings, entity_id, entry_edit(entry),
                                          editor=editor(), seen=seen))
    except ConflictError as error:
        # the form keeps the editor's values, now over the current ETag: saving again puts
        # them over the other change, which the editor has then seen
        current = get_registry().require(entity_id)
        return edit_page(current, values, entry_etag(settings, entity_id),
                         error=conflict_message(error), conflict=conflict_changes(error),
                         saved=differences(current, values), status=409)
    except ArchiveError as error:
        return edit_page(entry, values, seen or entry_etag(settings, entity_id),
                         error=message(error), status=400)
    flash(f"Saved (change {change.id} in the log).")
    return redirect(url_for("entities.show", entity_id=entity_id))


@bp.route("/entities/<entity_id>/merge", methods=["GET", "POST"])
@editor_required
def merge_entry(entity_id: str) -> BaseResponse:
    """Merge this entry into another of its type (``into``): every pointer to it in the
    archive is rewritten, its names become the other's variants."""
    entry = entity_or_404(entity_id)
    settings = get_settings()
    into = request.form.get("into", "")
    if request.method == "GET":
        return merge_page(entry, into, entry_etag(settings, entity_id))
    seen = seen_etag()
    try:
        target = resolve_target(into, entry.type, entry.id)
        change = write(lambda: merge_entries(settings, target.id, entry.id, editor=editor(),
                                             seen=seen))
    except ConflictError as error:
        return merge_page(entry, into, entry_etag(settings, entity_id),
                          error=conflict_message(error), conflict=conflict_changes(error),
                          status=409)
    except ArchiveError as error:
        return merge_page(entry, into, seen or entry_etag(settings, entity_id),
                          error=message(error), status=400)
    files = sum(1 for file in change.files if file.path.startswith("tei/"))
    flash(f"Merged {entry.name} into {target.name}: {files} document"
          f"{'' if files == 1 else 's'} rewritten (change {change.id} in the log).")
    return redirect(url_for("entities.show", entity_id=target.id))


def merge_page(entry: Entry, into: str, etag: str, *, error: str | None = None,
               conflict: list[dict[str, Any]] | None = None, status: int = 200) -> BaseResponse:
    response = current_app.make_response((render_template(
        "editing/merge.html", entry=entry, type_name=TYPE_NAMES[entry.type],
        kind=KINDS[entry.type], into=into, etag=etag, error=error, conflict=conflict or []),
        status))
    response.headers["ETag"] = f'"{etag}"'
    return response


# -- the audit log ---------------------------------------------------------------------------

def may_undo(change_id: int) -> Change:
    """The logged change ``change_id``, when the user may undo it (an editor their own, an
    admin any); else 404 (no such change) or 403."""
    try:
        change = get_change(get_settings(), change_id)
    except ArchiveError:
        abort(404, f"No change {change_id} in the log.")
    if change.who != editor() and not is_admin():
        abort(403, "Only an admin may undo another editor's change.")
    return change


def is_admin() -> bool:
    return bool(current_user.has_role("admin"))


def visible_changes() -> list[Change]:
    """The changes the user may see, newest first: all for an admin, an editor's own else."""
    every = latest(get_settings())
    if is_admin():
        return every
    return [change for change in every if change.who == editor()]


def log_page(error: str | None = None, conflict: Sequence[dict[str, Any]] = (),
             status: int = 200) -> tuple[str, int]:
    every = latest(get_settings())
    undone = {change.undoes: change.id for change in every if change.undoes is not None}
    shown = visible_changes()
    page = page_number()
    size = int(current_app.config.get("LOG_PAGE_SIZE", LOG_PAGE))
    rows = []
    for change in shown[(page - 1) * size:page * size]:
        row = change_dict(change)
        row["undone_by"] = undone.get(change.id)
        rows.append(row)
    pages = max(1, (len(shown) + size - 1) // size)
    return render_template("editing/log.html", changes=rows, total=len(shown), page=page,
                           pages=pages, everyone=is_admin(), error=error,
                           conflict=list(conflict)), status


@bp.get("/log")
@editor_required
def log() -> tuple[str, int]:
    """The audit log: every change for admins, an editor's own for editors; newest first."""
    return log_page()


@bp.post("/log/<int:change_id>/undo")
@editor_required
def undo_change(change_id: int) -> BaseResponse | tuple[str, int]:
    """Undo a change (an editor only their own; an admin any): the files as before it, unless
    a later change touched them (409, naming it)."""
    settings = get_settings()
    may_undo(change_id)
    try:
        done = write(lambda: undo(settings, change_id, editor()))
    except ConflictError as error:
        return log_page(message(error), conflict_changes(error), 409)
    except ArchiveError as error:
        return log_page(message(error), status=400)
    flash(f"Undid change {change_id} (change {done.id} in the log).")
    return redirect(url_for("editing.log", page=request.form.get("page") or None))

