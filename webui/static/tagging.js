/* Correcting tags in the reading view (archive serve --editing, editors only; webui/tagging.py).

   Select words in a passage and press "Tag the selected text" (or T): a dialog tags them as a
   person, place, organisation or date, linked to a registry entry found as you type (or a new
   one), a date with the normalised value the server proposes. A tag is changed from the same
   dialog: Alt+click it, or Tab to it and press E (retype, relink, remove, split, join). Either
   can be applied to every occurrence of the form in the document or the archive, after a
   preview of the places. Offsets are counted in the passage's text as the server counts them:
   every element of a passage carries data-o/data-e (its start and end there); text the page
   adds (citation labels, note marks, date values, line numbers) stands outside such elements,
   and a data-atom element (a note mark) stands for text shown elsewhere. */
(function () {
  "use strict";

  const meta = document.querySelector('meta[name="archive-document"]');
  const text = document.getElementById("ui-text");
  if (!meta || !text || !window.archiveEditing) return;
  const doc = meta.getAttribute("content");
  let etag = meta.dataset.etag;
  const TAGS = { persName: "person", placeName: "place", orgName: "org", date: "date" };
  const LABELS = { person: "Person", place: "Place", org: "Organisation", date: "Date" };
  const REGISTERS = { person: "persons", place: "places", org: "orgs" };
  const DONE_KEY = "archive-tagging-done";
  const MENTIONS = Object.keys(TAGS).map((name) => '[data-passage] [data-tei="' + name + '"][data-o]').join(", ");

  function el(name, attributes, ...children) {
    const node = document.createElement(name);
    Object.entries(attributes || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    children.forEach((child) => node.append(child));
    return node;
  }

  /* --- offsets ------------------------------------------------------------------------------ */

  function isSource(node) {
    const parent = node.parentElement;
    return !!parent && parent.hasAttribute("data-o") && !parent.closest("[data-atom]");
  }

  function lastEnd(element) {
    let end = null;
    element.querySelectorAll("[data-e]").forEach((inner) => {
      if (!inner.parentElement.closest("[data-atom]") || inner.hasAttribute("data-atom")) {
        end = Math.max(end === null ? 0 : end, Number(inner.dataset.e));
      }
    });
    return end;
  }

  /* Where ``node`` begins in its passage's text. */
  function startOf(node) {
    let count = 0;
    let current = node;
    for (;;) {
      for (let prev = current.previousSibling; prev; prev = prev.previousSibling) {
        if (prev.nodeType === Node.ELEMENT_NODE) {
          if (prev.hasAttribute("data-e")) return Number(prev.dataset.e) + count;
          const end = lastEnd(prev);
          if (end !== null) return end + count;
        } else if (prev.nodeType === Node.TEXT_NODE && isSource(prev)) {
          count += prev.length;
        }
      }
      const parent = current.parentElement;
      if (!parent) return count;
      if (parent.hasAttribute("data-o") && !parent.closest("[data-atom]")) {
        return Number(parent.dataset.o) + count;
      }
      current = parent;
    }
  }

  function endOf(node) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (node.hasAttribute("data-e")) return Number(node.dataset.e);
      const end = lastEnd(node);
      return end === null ? startOf(node) : end;
    }
    return isSource(node) ? startOf(node) + node.length : startOf(node);
  }

  /* A boundary point of a range → an offset in the passage's text. */
  function offsetAt(container, offset) {
    if (container.nodeType === Node.TEXT_NODE) {
      return isSource(container) ? startOf(container) + Math.min(offset, container.length)
        : startOf(container);
    }
    const child = container.childNodes[offset];
    if (child) return startOf(child);
    if (container.hasAttribute && container.hasAttribute("data-e")) return Number(container.dataset.e);
    return container.lastChild ? endOf(container.lastChild) : startOf(container);
  }

  /* The passage's words within a range, as the server's text has them. */
  function rangeText(range, passage) {
    const walker = document.createTreeWalker(passage, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    let out = "";
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!range.intersectsNode(node)) continue;
      if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.dataset.tei === "lb" && node.hasAttribute("data-o")) out += "\n";
        continue;
      }
      if (!isSource(node)) continue;
      let value = node.data;
      if (node === range.endContainer) value = value.slice(0, range.endOffset);
      if (node === range.startContainer) value = value.slice(range.startOffset);
      out += value;
    }
    return out;
  }

  /* The selection as {passage, start, end, text}, or a reason why it cannot be tagged. */
  function selected() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) {
      return { error: "Select some words of the text first." };
    }
    const range = selection.getRangeAt(0);
    const begin = range.startContainer.parentElement || range.startContainer;
    const passage = begin.closest && begin.closest("[data-passage]");
    const last = range.endContainer.parentElement || range.endContainer;
    if (!passage || !text.contains(passage) || passage !== (last.closest && last.closest("[data-passage]"))) {
      return { error: "Select words within one paragraph (passage) of the text." };
    }
    let start = offsetAt(range.startContainer, range.startOffset);
    let end = offsetAt(range.endContainer, range.endOffset);
    let words = rangeText(range, passage);
    const lead = words.length - words.trimStart().length;
    const trail = words.length - words.trimEnd().length;
    words = words.trim();
    start += lead;
    end -= trail;
    if (!words || end - start !== words.length) {
      return { error: "These words cannot be tagged here (they cross a note or a line break): select fewer." };
    }
    return { passage: passage.id, start: start, end: end, text: words };
  }

  function tagOf(element) {
    return {
      passage: element.closest("[data-passage]").id,
      start: Number(element.dataset.o), end: Number(element.dataset.e),
      type: TAGS[element.dataset.tei], text: element.textContent,
      entity: element.dataset.entity || null, element: element,
    };
  }

  function wordsOf(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    return rangeText(range, element.closest("[data-passage]")).trim() || element.textContent.trim();
  }

  /* --- talking to the server ------------------------------------------------------------------ */

  async function post(url, body, withEtag) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (withEtag) headers["If-Match"] = '"' + etag + '"';
    const response = await window.archiveEditing.send(url, { method: "POST", headers: headers, body: JSON.stringify(body) });
    let data = {};
    try { data = await response.json(); } catch (error) { data = { error: response.statusText }; }
    return { status: response.status, data: data, retry: response.headers.get("Retry-After") };
  }

  function problem(answer) {
    const data = answer.data || {};
    if (answer.status === 409 && data.changes && data.changes.length) {
      const list = el("ul", { class: "tagging-changes" });
      data.changes.forEach((change) => list.append(el("li", { text: change.who + ", " + change.when + ": " + change.what })));
      const reload = el("button", { type: "button", id: "ui-tag-reload", class: "secondary", text: "Reload the page" });
      reload.addEventListener("click", () => window.location.reload());
      return [el("p", { text: "Someone else changed this document since you opened it:" }), list,
        el("p", { text: "Nothing was saved. Reload the page to see their change, then make yours again." }), reload];
    }
    if (answer.status === 503) {
      return [el("p", { text: (data.error || "The archive is busy.") + " (Try again in " + (answer.retry || "a few") + " s.)" })];
    }
    return [el("p", { text: data.error || "The change was refused (" + answer.status + ")." })];
  }

  function done(answer, passage) {
    sessionStorage.setItem(DONE_KEY, JSON.stringify({ doc: doc, what: answer.data.what, undo: answer.data.undo }));
    if (passage) {
      if (window.location.hash !== "#" + passage) {
        history.replaceState(null, "", "#" + passage);
      }
    }
    window.location.reload();
  }

  /* --- the dialog ---------------------------------------------------------------------------- */

  const dialog = el("dialog", { id: "ui-tag-dialog", class: "tagging", "aria-labelledby": "ui-tag-title" });
  document.body.append(dialog);
  let opener = null;
  dialog.addEventListener("close", () => { if (opener && document.contains(opener)) opener.focus(); });

  function field(label, input, hint) {
    const wrapper = el("p", { class: "tagging-field" }, el("label", { for: input.id, text: label }), input);
    if (hint) wrapper.append(el("span", { class: "hint", id: input.id + "-hint", text: hint }));
    return wrapper;
  }

  function open(state) {
    dialog.replaceChildren();
    const isNew = !state.tag;
    const words = isNew ? state.text : wordsOf(state.tag.element);
    dialog.append(el("h2", { id: "ui-tag-title", text: (isNew ? "Tag " : "Change the tag of ") + "\u201c" + words + "\u201d" }));
    if (!isNew) {
      dialog.append(el("p", { class: "hint", text: "Now: " + LABELS[state.tag.type].toLowerCase() + (state.tag.entity ? ", linked to " + state.tag.entity : state.tag.type === "date" ? "" : ", linked to no entry") + "." }));
    }
    const form = el("form", { method: "dialog", novalidate: true });
    dialog.append(form);

    const types = el("fieldset", { class: "tagging-types" }, el("legend", { text: "Type" }));
    Object.keys(LABELS).forEach((kind) => {
      const id = "ui-tag-type-" + kind;
      types.append(el("span", {}, el("input", { type: "radio", name: "type", id: id, value: kind, checked: kind === (isNew ? "person" : state.tag.type) }), el("label", { for: id, text: LABELS[kind] })));
    });
    form.append(types);

    // registry entry: search as you type, or a new entry
    const entityBox = el("div", { class: "tagging-entity" });
    const search = el("input", { id: "ui-tag-search", type: "search", autocomplete: "off", role: "combobox", "aria-expanded": "false", "aria-controls": "ui-tag-suggestions", "aria-autocomplete": "list", "aria-describedby": "ui-tag-search-hint" });
    const suggestions = el("ul", { id: "ui-tag-suggestions", role: "listbox", "aria-label": "Registry entries" });
    const chosen = el("p", { class: "tagging-chosen", id: "ui-tag-chosen", "aria-live": "polite" });
    entityBox.append(field("Registry entry", search, "Type part of a name, then choose an entry."), suggestions, chosen);
    const newEntry = el("button", { type: "button", id: "ui-tag-new", class: "secondary" });
    const noEntry = el("button", { type: "button", id: "ui-tag-none", class: "secondary", text: "No entry" });
    entityBox.append(el("p", { class: "tagging-row" }, newEntry, noEntry));
    form.append(entityBox);

    const when = el("input", { id: "ui-tag-when", type: "text", autocomplete: "off", "aria-describedby": "ui-tag-when-hint" });
    const dateBox = el("div", { class: "tagging-date" }, field("Normalised date (@when)", when, "Proposed by the date normaliser; change it if it is wrong (YYYY, YYYY-MM, YYYY-MM-DD)."));
    form.append(dateBox);

    const every = el("input", { type: "checkbox", id: "ui-tag-every" });
    const scope = el("select", { id: "ui-tag-scope" }, el("option", { value: "document", text: "in this document" }), el("option", { value: "archive", text: "in the whole archive" }));
    form.append(el("p", { class: "tagging-row" }, every, el("label", { for: "ui-tag-every", text: "Apply to every occurrence of \u201c" + words + "\u201d" }), el("label", { for: "ui-tag-scope", class: "visually-hidden", text: "Where" }), scope));
    const preview = el("div", { class: "tagging-preview", id: "ui-tag-preview" });
    form.append(preview);

    const message = el("div", { class: "tagging-message", role: "alert", id: "ui-tag-message" });
    form.append(message);
    const actions = el("p", { class: "tagging-actions" });
    const save = el("button", { type: "submit", id: "ui-tag-save", text: "Save" });
    actions.append(save);
    let removeButton = null;
    let splitAt = null;
    if (!isNew) {
      removeButton = el("button", { type: "button", id: "ui-tag-remove", class: "secondary", text: "Remove tag" });
      actions.append(removeButton);
      splitAt = el("input", { id: "ui-tag-split-at", type: "number", min: "1", max: String(words.length - 1), value: String(Math.max(1, words.indexOf(" ") + 1 || 1)), class: "narrow" });
      const split = el("button", { type: "button", id: "ui-tag-split", class: "secondary", text: "Split" });
      const join = el("button", { type: "button", id: "ui-tag-join", class: "secondary", text: "Join with the next tag" });
      form.append(el("p", { class: "tagging-row" }, el("label", { for: "ui-tag-split-at", text: "Split before character" }), splitAt, split, join));
      split.addEventListener("click", () => edit({ op: "split", at: Number(splitAt.value) }));
      join.addEventListener("click", () => edit({ op: "join" }));
      removeButton.addEventListener("click", () => edit({ op: "remove" }));
    }
    actions.append(el("button", { type: "button", class: "secondary", id: "ui-tag-cancel", text: "Cancel" }));
    form.append(actions);
    actions.lastChild.addEventListener("click", () => dialog.close());

    let entity = isNew ? null : state.tag.entity;
    let newName = null;
    function kind() { return form.querySelector('input[name="type"]:checked').value; }
    function showChosen() {
      chosen.textContent = newName ? "A new entry: \u201c" + newName + "\u201d" : entity ? "Linked to: " + (state.names && state.names[entity] || entity) : "Linked to no entry.";
      newEntry.textContent = "New entry \u201c" + (search.value.trim() || words) + "\u201d";
    }
    state.names = {};
    function choose(id, name) {
      entity = id; newName = null; state.names[id] = name;
      suggestions.replaceChildren(); search.setAttribute("aria-expanded", "false");
      showChosen();
    }
    let asked = 0;
    async function suggest() {
      const q = search.value.trim();
      const mine = ++asked;
      if (!q || kind() === "date") { suggestions.replaceChildren(); search.setAttribute("aria-expanded", "false"); return; }
      const response = await fetch("/api/entities/" + REGISTERS[kind()] + "?q=" + encodeURIComponent(q));
      if (mine !== asked || !response.ok) return;
      const data = await response.json();
      suggestions.replaceChildren();
      data.entries.slice(0, 8).forEach((entry, index) => {
        const life = [entry.birth, entry.death].filter(Boolean).join("\u2013");
        const option = el("li", { role: "option", id: "ui-tag-option-" + index, tabindex: "-1", "data-id": entry.id, text: entry.name + (life ? " (" + life + ")" : "") + " \u00b7 " + entry.id });
        option.addEventListener("click", () => choose(entry.id, entry.name));
        option.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(entry.id, entry.name); search.focus(); }
          else if (event.key === "ArrowDown" && option.nextSibling) { event.preventDefault(); option.nextSibling.focus(); }
          else if (event.key === "ArrowUp") { event.preventDefault(); (option.previousSibling || search).focus(); }
        });
        suggestions.append(option);
      });
      if (!data.entries.length) suggestions.append(el("li", { class: "hint", text: "No entry found." }));
      search.setAttribute("aria-expanded", data.entries.length ? "true" : "false");
      showChosen();
    }
    search.addEventListener("input", suggest);
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && suggestions.querySelector("[role=option]")) {
        event.preventDefault(); suggestions.querySelector("[role=option]").focus();
      }
    });
    newEntry.addEventListener("click", () => { newName = search.value.trim() || words; entity = null; showChosen(); });
    noEntry.addEventListener("click", () => { newName = null; entity = null; showChosen(); });

    async function proposeDate() {
      const response = await fetch("/api/edit/documents/" + encodeURIComponent(doc) + "/date?text=" + encodeURIComponent(words), { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      const value = data.attributes.when || [data.attributes.from || data.attributes.notBefore, data.attributes.to || data.attributes.notAfter].filter(Boolean).join("/");
      if (!when.value) when.value = value;
    }
    function sync() {
      const date = kind() === "date";
      entityBox.hidden = date;
      dateBox.hidden = !date || !isNew;
      if (date && isNew) proposeDate();
      if (!date && entity === null && !newName) suggest();
      preview.replaceChildren();
    }
    types.addEventListener("change", () => { if (!isNew && kind() !== state.tag.type) { entity = null; } sync(); });
    every.addEventListener("change", () => preview.replaceChildren());
    scope.addEventListener("change", () => preview.replaceChildren());

    async function edit(body) {
      message.replaceChildren();
      const request = Object.assign({ passage: state.passage || state.tag.passage }, body);
      if (!isNew) request.tag = { start: state.tag.start, end: state.tag.end, type: state.tag.type };
      const answer = await post("/api/edit/documents/" + encodeURIComponent(doc) + "/tags", request, true);
      if (answer.status === 200) done(answer, request.passage);
      else message.replaceChildren(...problem(answer));
    }

    async function applyEverywhere() {
      const target = { type: kind(), entity: kind() === "date" ? null : entity };
      if (preview.dataset.ready !== "1") {
        const answer = await post("/api/edit/apply-all/preview", Object.assign({ form: words, scope: scope.value, doc: doc }, target), false);
        if (answer.status !== 200) { message.replaceChildren(...problem(answer)); return; }
        const places = answer.data.places;
        preview.replaceChildren();
        preview.places = places;
        if (!places.length) { preview.append(el("p", { text: "No occurrence to change: every one is tagged so already (or cannot be tagged)." })); return; }
        preview.append(el("p", { id: "ui-tag-preview-title", text: places.length + " place" + (places.length === 1 ? "" : "s") + " will be " + (target.type === "date" ? "tagged as dates" : "tagged as " + LABELS[target.type].toLowerCase() + (target.entity ? " (" + target.entity + ")" : newName ? " (a new entry)" : "")) + ":" }));
        const list = el("ol", { class: "kwic", tabindex: "0", "aria-labelledby": "ui-tag-preview-title" });
        places.forEach((place) => list.append(el("li", {}, el("span", { class: "where", text: place.doc + " \u00b7 " + place.passage + (place.action === "retag" ? " (retag)" : "") + " " }), "\u2026" + place.before, el("mark", { text: place.text }), place.after + "\u2026")));
        preview.append(list);
        preview.dataset.ready = "1";
        save.textContent = "Apply to " + places.length + " place" + (places.length === 1 ? "" : "s");
        save.focus();
        return;
      }
      const answer = await post("/api/edit/apply-all", Object.assign({ places: preview.places, new: newName }, target), false);
      if (answer.status === 200) done(answer, state.passage || state.tag.passage);
      else message.replaceChildren(...problem(answer));
    }
    const resetPreview = () => { preview.dataset.ready = ""; save.textContent = "Save"; };
    [types, every, scope].forEach((control) => control.addEventListener("change", resetPreview));
    entityBox.addEventListener("click", resetPreview);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (every.checked) { applyEverywhere(); return; }
      const type = kind();
      const target = type === "date" ? {} : { entity: entity, new: newName };
      if (isNew) {
        edit(Object.assign({ op: "add", start: state.start, end: state.end, text: state.text, type: type, when: type === "date" ? when.value.trim() || null : null }, target));
      } else if (type !== state.tag.type) {
        edit(Object.assign({ op: "retype", type: type }, target));
      } else if (type !== "date") {
        edit(Object.assign({ op: "relink" }, target));
      } else {
        dialog.close();
      }
    });

    sync();
    showChosen();
    opener = document.activeElement;
    dialog.showModal();
    (isNew ? types.querySelector("input:checked") : types.querySelector("input:checked")).focus();
  }

  /* --- how an editor opens it ---------------------------------------------------------------- */

  const status = el("div", { class: "tagging-status", id: "ui-tag-status", role: "status" });
  const hint = el("p", { class: "note", text: "Select words and press the button (or T) to tag them; Alt+click a tag, or Tab to it and press E, to change it." });
  const tagButton = el("button", { type: "button", id: "ui-tag-selection", text: "Tag the selected text\u2026" });
  const panelError = el("p", { class: "note", id: "ui-tag-error", role: "alert" });
  const panel = el("section", { class: "tagging-panel", "aria-labelledby": "ui-tagging-title" }, el("h2", { id: "ui-tagging-title", text: "Correct tags" }), tagButton, hint, panelError, status);
  const legend = document.querySelector(".legend");
  (legend || text).prepend(panel);

  function tagSelection() {
    const found = selected();
    panelError.textContent = found.error || "";
    if (!found.error) open(found);
  }
  // keep the selection when the button is pressed with the mouse
  tagButton.addEventListener("mousedown", (event) => event.preventDefault());
  tagButton.addEventListener("click", tagSelection);

  function prepare(root) {
    root.querySelectorAll(MENTIONS).forEach((mention) => {
      if (!mention.hasAttribute("tabindex") && mention.tagName !== "A") mention.setAttribute("tabindex", "0");
      mention.classList.add("editable");
    });
  }
  prepare(text);
  new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach((node) => {
    if (node.nodeType === Node.ELEMENT_NODE) prepare(node);
  }))).observe(text, { childList: true, subtree: true });

  document.addEventListener("click", (event) => {
    const mention = event.altKey && event.target.closest && event.target.closest(MENTIONS);
    if (!mention) return;
    event.preventDefault();
    event.stopPropagation();
    opener = mention;
    open({ tag: tagOf(mention) });
  }, true);
  document.addEventListener("keydown", (event) => {
    if (dialog.open || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const key = event.key.toLowerCase();
    const mention = target.closest && target.closest(MENTIONS);
    if (key === "e" && mention) {
      event.preventDefault();
      open({ tag: tagOf(mention) });
    } else if (key === "t" && !window.getSelection().isCollapsed) {
      event.preventDefault();
      tagSelection();
    }
  });

  // the selection as the server counts it (also for tests: archiveTagging.selected())
  window.archiveTagging = { selected: selected };

  // what was just saved, with its undo
  const last = JSON.parse(sessionStorage.getItem(DONE_KEY) || "null");
  sessionStorage.removeItem(DONE_KEY);
  if (last && last.doc === doc) {
    status.append(el("span", { text: (last.undo ? "Saved: " : "") + last.what + " " }));
    if (last.undo) {
      const undo = el("button", { type: "button", id: "ui-tag-undo", class: "secondary", text: "Undo" });
      status.append(undo);
      undo.addEventListener("click", async () => {
        const answer = await post(last.undo, {}, false);
        if (answer.status === 200) {
          sessionStorage.setItem(DONE_KEY, JSON.stringify({ doc: doc, what: "Undone: " + last.what, undo: null }));
          window.location.reload();
        } else {
          status.replaceChildren(...problem(answer));
        }
      });
    }
  }
})();
