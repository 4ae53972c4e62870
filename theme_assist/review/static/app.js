// theme_assist review page. Plain JavaScript, no build step, nothing loaded from elsewhere.
// All text from the project (transcripts, code names, coder names) is put on the page with textContent /
// text nodes only, never parsed as HTML.
"use strict";

const state = {
  token: "",
  coder: "",
  coders: [],         // the coders of the project when the page loaded
  blind: false,
  noSuggestions: false, // review --no-suggestions: the engine's suggestions are shown nowhere
  learning: true, // the engine refits on the decisions (review --refit-every above 0)
  exclusive: false,   // one code per segment: a new code takes the place of the coder's own
  project: "",
  codebook: null,
  codebookVersion: 0, // the version of the codes loaded; a newer one on the server makes the page reload them
  codebookReload: false,
  documentsVersion: 0, // the version of the documents listed; another on the server makes the page list them anew
  codes: [],          // codable codes: {id, name, definition, path}
  codeNames: {},      // id -> name, every code
  items: [],          // queue items
  listed: false,      // the first list has come (or failed to): before it the keys say the segments are loading
  index: -1,          // position of the shown segment in items
  segment: null,      // the shown segment's detail
  selected: 0,        // selected suggestion
  codeDialogMode: "replace",
  codeDialogSegment: "", // the segment the code chooser was opened for
  bulkItems: [],
  bulkCode: "",       // the code whose suggestions the bulk table lists (the buttons answer them with it)
  bulkTicket: 0,      // the latest bulk request; older answers are dropped
  view: "review",
  lastRun: null,      // the latest model run the server reported
  queueTicket: 0,     // the latest queue request; older answers are dropped
  showTicket: 0,      // the latest segment request
  saving: false,      // a decision is being saved and its segment (or the bulk table) shown anew
  slow: false,        // ... and has been for 5 s (the project file locked by another program?)
  advancing: false,   // the page is going on by itself to the next segment after a decision (afterDecision)
  refused: false,     // a key was refused as "Still saving" (stillSaving) while the keys were held (holdingKeys)
  filterKeyed: false, // the filters were last used from the keyboard
  lastFilter: null, // the drop-down the pointer last chose from (Tab goes back to it)
  undoable: [],       // ids of this tab's own decisions not undone (a bulk batch by its latest id): "u" undoes the last
  undoNamed: 0,       // the decision the server named when it refused the last undo: the next "u" undoes it
  relisting: false,   // the list is loaded anew after a segment the server no longer has (listAnew)
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) { node.replaceChildren(); return node; }

// ------------------------------------------------------------------ server
async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: { Accept: "application/json" } };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-Session-Token"] = state.token;
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {  // no answer at all: the browser says only "Failed to fetch"
    throw new Error("the review server is not answering (was theme-assist review stopped?)");
  }
  let payload = null;
  try { payload = await response.json(); } catch (_) { payload = null; }
  if (!response.ok) {
    // a write refused for its token: the server was restarted since the page loaded (a new token), said in words
    const restart = response.status === 403 && options.body !== undefined && await restarted();
    const error = new Error(restart ? RESTARTED : problem(response, payload && payload.detail));
    error.status = response.status;
    error.payload = payload;
    throw error;
  }
  return payload;
}

const RESTARTED = "the review server was restarted since this page was loaded: reload the page, then go on (the " +
  "decisions saved are kept)";

// Whether the server now answers with another session token than the page's: theme-assist review started anew.
async function restarted() {
  try {
    const response = await fetch("/api/session", { headers: { Accept: "application/json" } });
    return response.ok && (await response.json()).token !== state.token;
  } catch (_) {
    return false;
  }
}

// A refusal in words: the server's message, or each field a request got wrong ("min_score: Input should be…"),
// never the raw JSON of a validation error.
function problem(response, detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail.map((error) => {
      const where = (error.loc || []).filter((part) => !["body", "query", "path"].includes(part)).join(" ");
      return where ? `${where}: ${error.msg}` : String(error.msg);
    }).join("; ");
  }
  return `${response.status} ${response.statusText}`.trim();
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== "" && value !== null) search.set(key, value);
  return search.toString();
}

function setStatus(message, kind) {
  const node = $("save-status");
  node.textContent = message;
  node.className = "status" + (kind ? " " + kind : "");
}

// ------------------------------------------------------------------ start
async function start() {
  const session = await api("/api/session");
  state.token = session.token;
  state.blind = session.blind;
  state.learning = session.learning;
  state.project = session.project;
  state.documentsVersion = session.documents_version;  // read by the server before the documents load
  document.title = `${session.project} · theme_assist review`;
  $("blind-badge").hidden = !session.blind;
  // "Not coded yet" leaves out the segments others coded: blind, it would tell which (the server refuses it)
  if (session.blind) $("filter-status").querySelector("option[value='uncoded']").remove();
  if (session.no_suggestions) suggestionsOff();
  // the mode, said before the first decision too (the badges stand in the top bar, which the dialog covers)
  const modes = [session.blind && "blind-badge", session.no_suggestions && "no-suggestions-badge"].filter(Boolean);
  if (modes.length) {
    $("coder-mode").textContent = modes.map((id) => $(id).textContent.replace(/\s+/g, " ").trim() + ".").join(" ");
    $("coder-mode").hidden = false;
    $("coder-input").setAttribute("aria-describedby", "coder-mode");
  }
  listCoders(session.coders);

  await loadCodebook();
  await loadDocuments();
  bindControls();
  const saved = localStorage.getItem("theme_assist.coder") || "";
  if (saved) await useCoder(saved, true); else askCoder();
}

// The document filter's options, from the documents in the project now; a document chosen that is no longer in it
// (withdrawn or replaced since: theme-assist project withdraw / replace) gives way to "All documents".
async function loadDocuments() {
  const documents = await api("/api/documents");
  const select = $("filter-document");
  const chosen = select.value;
  select.replaceChildren(...Array.from(select.options).filter((option) => !option.value));  // "All documents"
  for (const doc of documents) {
    const label = doc.site ? `${doc.document} (${doc.site})` : doc.document;
    select.append(el("option", { value: doc.document }, label));
  }
  if (documents.some((doc) => doc.document === chosen)) select.value = chosen;
}

// The documents' version now, noted before they are loaded anew after a refusal: the next poll then does not load
// them anew again for the change the refusal found (its words would give way to the poll's).
async function noteDocumentsVersion() {
  if (state.coder) {
    state.documentsVersion = (await api("/api/progress?" + query({ coder: state.coder }))).documents_version;
  }
}

// A segment the server no longer has (404: its document withdrawn or replaced from a terminal while the page was
// open): ``said`` (the server's words) stays on screen while the documents and the list are loaded anew, and the
// coder goes on from where they were to the next segment still listed, not to one of a document no longer in.
// ``loaded``: what is said once the list has come; ``kind``: its status class.
async function listAnew(said, loaded = `${said} — the list was loaded anew.`, kind = "error") {
  if (state.relisting) return;
  state.relisting = true;
  try {
    const ahead = state.items.slice(Math.max(state.index, 0)).map((item) => item.segment_id);
    await noteDocumentsVersion();
    await loadDocuments();
    const ticket = ++state.queueTicket;
    const result = await api("/api/queue?" + query(filters()));
    if (ticket !== state.queueTicket) return;
    state.items = result.items;
    const listed = new Set(state.items.map((item) => item.segment_id));
    const goTo = ahead.find((id) => listed.has(id));
    state.index = goTo ? state.items.findIndex((item) => item.segment_id === goTo) : state.items.length ? 0 : -1;
    sayCount(result);
    renderQueue();
    updateProgress(result.progress);
    await show(state.index);
    setStatus(loaded, kind);
  } catch (error) {
    setStatus(`${said} — the list could not be loaded anew: ${error.message}`, "error");
  } finally {
    state.relisting = false;
  }
}

// Documents added, withdrawn, restored, replaced or given new metadata from a terminal while the page is open
// (theme-assist project add, withdraw, restore, replace, metadata), found by the poll: the document filter and the
// list anew, the coder on their segment if it is still in, else on the next one still listed (as listAnew goes on);
// in bulk review the table anew (the list follows on going back to it). While a decision is being saved, or the
// list is loaded anew already, the next poll does it.
async function documentsChanged(version) {
  if (state.saving || state.relisting) return;
  if (state.view !== "bulk") {
    await listAnew("The project's documents changed", "The project's documents changed: the list was loaded anew.",
      "saved");
    return;
  }
  state.documentsVersion = version;
  await loadDocuments();
  if ($("bulk-actions").hidden) return;
  await loadBulk();
  setStatus("The project's documents changed: the table was loaded anew.", "saved");
}

// review --no-suggestions: the badge, and neither the filters that act on the suggestions nor bulk review (of them).
function suggestionsOff() {
  state.noSuggestions = true;
  $("no-suggestions-badge").hidden = false;
  for (const control of [$("filter-code"), $("filter-min"), $("filter-max")]) {
    control.disabled = true;
    control.setAttribute("aria-describedby", "filters-off");  // read as dimmed, and why
  }
  $("filters-off").hidden = false;
  // "Most informative first" follows the engine's uncertainty about its suggestions (the server refuses it)
  $("filter-order").querySelector("option[value='active']").remove();
  $("filter-order").disabled = true;
  $("filter-order").setAttribute("aria-describedby", "order-off");
  $("order-off").hidden = false;
  $("bulk-form").hidden = true;
  $("bulk-off").hidden = false;
  // the tab says why: its panel has nothing to focus, and a screen reader went from the tab on to the filters
  $("tab-bulk").setAttribute("aria-describedby", "bulk-off");
  // nothing to accept or reject, ever: those buttons and keys' hints go, and choosing a code is the main action
  for (const id of ["btn-accept", "btn-reject", "keys-suggestions", "keys-pick"]) $(id).hidden = true;
  $("btn-choose").classList.add("primary");
  $("btn-choose").firstChild.textContent = "Choose a code ";
  $("suggestions-title").textContent = "Suggested codes: not shown";
}

// The project's current codebook: its codes, their names, its one-code-per-segment rule and its version.
async function loadCodebook() {
  const codebook = await api("/api/codebook");
  state.codebook = codebook;
  state.codebookVersion = codebook.version;
  state.exclusive = codebook.exclusive;
  state.codes = [];
  state.codeNames = {};
  indexCodes(codebook.codes, []);
  fillCodeSelects();
  $("project-name").textContent = `${state.project} · ${codebook.name}`;
}

// The codebook revised while the page is open (theme-assist project codebook, which can rename and merge codes):
// the codes reloaded, and the list and the segment on screen with them, which stays; a code chosen from the old
// codes would be refused. ``refused``: the message of a decision the server refused, said first.
async function reloadCodebook(refused) {
  if (state.codebookReload) return;
  state.codebookReload = true;
  try {
    await loadCodebook();
    if ($("code-dialog").open) renderCodeTree();
    const said = `${refused ? `Not saved: ${refused} — the` : "The"} codebook changed (version ${state.codebookVersion}): ` +
      `codes reloaded${refused ? ", choose again" : ""}.`;
    if (state.view === "bulk") {
      if (!$("bulk-actions").hidden) await loadBulk();
    } else if (state.segment) {
      await loadQueueAt(state.segment.segment_id);
    } else {
      await loadQueue();
    }
    setStatus(said, refused ? "error" : "saved");
  } catch (error) {
    setStatus(`The codebook changed: could not reload it: ${error.message}`, "error");
  } finally {
    state.codebookReload = false;
  }
}

function indexCodes(codes, path) {
  for (const code of codes) {
    state.codeNames[code.id] = code.name;
    if (code.codable) state.codes.push({ id: code.id, name: code.name, definition: code.definition, path: path.slice() });
    indexCodes(code.children, path.concat(code.name));
  }
}

// The code drop-downs anew (after a codebook revision too): a chosen code the codebook still has stays chosen.
function fillCodeSelects() {
  for (const select of [$("filter-code"), $("bulk-code")]) {
    const chosen = select.value;
    select.replaceChildren(...Array.from(select.options).filter((option) => !option.value));  // "Any code"
    for (const code of state.codes) select.append(el("option", { value: code.id }, code.name));
    if (state.codes.some((code) => code.id === chosen)) select.value = chosen;
  }
}

// The coders offered in the name box, and those a name differing only in case is asked about (the form's submit).
function listCoders(names) {
  state.coders = names;
  const list = clear($("coder-list"));
  for (const name of names) list.append(el("option", { value: name }));
}

// A coder whose decision was saved has coded: a name differing from theirs only in case is asked about from now on.
function hasCoded() {
  if (!state.coders.includes(state.coder)) listCoders([...state.coders, state.coder].sort());
}

// The dialog anew, without the case warning of an earlier one (closed with Escape, it stood over the coder's own
// name); the coders asked again, as coders in other tabs or windows may have started since the page loaded.
function askCoder() {
  $("coder-input").value = state.coder;
  $("coder-alike").hidden = true;
  $("coder-alike").dataset.name = "";
  $("coder-dialog").showModal();
  $("coder-input").focus();
  api("/api/session").then((session) => listCoders(session.coders)).catch(() => {});  // kept as they were
}

// ``reloaded``: the page has just (re)loaded: the coder's filters and segment kept in this tab come back.
async function useCoder(name, reloaded) {
  state.coder = name.trim();
  state.undoable = [];  // another coder's decisions are not this tab's to undo
  state.undoNamed = 0;
  localStorage.setItem("theme_assist.coder", state.coder);
  $("coder-name").textContent = state.coder;
  await loadQueue(reloaded ? restorePlace() : undefined);
  refreshProgress();
}

// The coder's filters and segment on screen, kept for a reload of this tab (sessionStorage: a new tab starts
// afresh), per project.
function placeKey() { return `theme_assist.place.${state.project}`; }

function keepPlace() {
  const place = { coder: state.coder, order: $("filter-order").value, document: $("filter-document").value,
    status: $("filter-status").value, segment: state.segment ? state.segment.segment_id : "" };
  sessionStorage.setItem(placeKey(), JSON.stringify(place));
}

// The place keepPlace kept, where it is this coder's: its filters set again (one whose option is gone, such as a
// document no longer in the project, stays at its default) and its segment returned, "" for none.
function restorePlace() {
  let place = null;
  try { place = JSON.parse(sessionStorage.getItem(placeKey())); } catch (_) { place = null; }
  if (!place || place.coder !== state.coder) return "";
  for (const name of ["order", "document", "status"]) {
    const select = $(`filter-${name}`);
    if (Array.from(select.options).some((option) => option.value === place[name])) select.value = place[name];
  }
  return typeof place.segment === "string" ? place.segment : "";
}

// ------------------------------------------------------------------ queue
function filters() {
  const off = state.noSuggestions;  // the server refuses these filters then
  return {
    coder: state.coder, order: $("filter-order").value, document: $("filter-document").value,
    code: off ? "" : $("filter-code").value, min_score: off ? "" : $("filter-min").value || 0,
    max_score: off ? "" : $("filter-max").value || 1, status: $("filter-status").value,
  };
}

// Status "Not coded yet": the segments no coder has coded (no imported coding, no coder's decision), the share of
// a second coder in a reliability round; "To review" lists the imported codings' segments too.
function nobodys() { return $("filter-status").value === "uncoded"; }

function scoreFiltersValid() {
  const boxes = [$("filter-min"), $("filter-max")];
  if (boxes.every((box) => box.checkValidity())) return true;
  setStatus("Could not load the queue: scores go from 0 to 1 (for example 0.25).", "error queue-error");
  return false;
}

async function loadQueue(keepSegment) {
  const ticket = ++state.queueTicket;  // filters changed quickly: only the latest answer is shown
  const shown = state.showTicket;  // a segment chosen while the list loads (a click, a key) stays on screen
  if (!scoreFiltersValid()) { state.listed = true; return; }  // the keys answer as with no list, not "still loading"
  try {
    const result = await api("/api/queue?" + query(filters()));
    if (ticket !== state.queueTicket) return;
    const chosen = chosenSince(shown);
    // said of the list before: a filter's error, or its end (it stood over the new list's first segment)
    if (["queue-error", "end"].some((kind) => $("save-status").classList.contains(kind))) setStatus("");
    state.items = result.items;
    state.listed = true;
    sayCount(result);
    let index = chosen ? queuePosition(chosen)
      : keepSegment ? state.items.findIndex((item) => item.segment_id === keepSegment) : -1;
    if (index < 0) index = state.items.length ? 0 : -1;
    state.index = index;  // the queue highlights the segment about to be shown, not the old position
    renderQueue();
    updateProgress(result.progress);
    await show(index);
  } catch (error) {
    state.listed = true;  // the keys then say there is nothing to decide, not "still loading" for ever
    setStatus(`Could not load the queue: ${error.message}`, "error queue-error");
    if (error.status === 404 && !state.relisting) await listAnew(`Could not load the queue: ${error.message}`);
  }
}

// How many segments the filters match (``result``: the queue's answer).
function sayCount(result) {
  $("queue-count").textContent = `${result.matching} segment${result.matching === 1 ? "" : "s"} match` +
    (!nobodys() ? "" : result.matching ? `: nobody has coded ${result.matching === 1 ? "it" : "them"} yet`
      : ": someone has coded every segment here") +  // "0 …: nobody has coded them yet" read as the opposite
    (result.matching > result.items.length ? ` (first ${result.items.length} listed)` : "");
}

// The segment the coder chose (a click, a key) since segment request ``shown``, while a list loaded: it stays on
// screen when the list comes. "" when they chose none.
function chosenSince(shown) {
  return state.showTicket !== shown && state.items[state.index] ? state.items[state.index].segment_id : "";
}

function renderQueue() {
  // the entry the coder had reached with Tab keeps the focus where the list is made anew (after an undo): it
  // fell to the page's top, and the next Tab started again from the header
  const focused = document.activeElement && document.activeElement.closest("#queue li");
  const refocus = focused ? focused.dataset.id : null;
  const list = clear($("queue"));
  state.items.forEach((item, i) => {
    const mine = item.mine && item.mine.length;  // the coder's own codes, else the engine's best suggestion
    const head = el("div", { class: "q-head" },
      el("span", {}, statusMark(item.status), el("bdi", {}, item.document), item.speaker ? " · " : "",
        item.speaker ? el("bdi", {}, item.speaker) : ""),
      el("span", {}, item.code && !mine ? `${Math.round(item.score * 100)}%` : ""));
    const code = mine ? el("div", { class: "q-code q-mine", dir: "auto", title: "Your code" }, "✓ ", item.mine.join(", "))
      : item.code ? el("div", { class: "q-code", dir: "auto", title: "Suggested code" }, item.code_name) : null;
    // a code of the coder's here that a codebook revision split: first in the list until recoded
    const recode = item.status === "open" && item.recode && item.recode.length
      ? el("div", { class: "q-recode", dir: "auto" }, splitWords(item.recode)) : null;
    // a button inside the list item (one as the item would leave the list without items, for a screen reader)
    const choose = (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); show(i); } };
    const entry = el("li", { class: item.status + (i === state.index ? " current" : ""),
      dataset: { id: item.segment_id } },
      el("div", { class: "q-entry", role: "button", tabindex: "0", onclick: () => show(i), onkeydown: choose },
        head, recode, code,
        el("div", { class: "q-text", dir: "auto" }, item.text)));
    list.append(entry);
  });
  if (refocus === null) return;
  const again = [...list.children].find((entry) => entry.dataset.id === refocus) || list.querySelector("li.current");
  if (again) again.querySelector(".q-entry").focus({ preventScroll: true });
}

// "Work was split: recode", for the codes a codebook revision split that the coder gave a segment before.
function splitWords(names) {
  return `${names.join(", ")} ${names.length > 1 ? "were" : "was"} split: recode`;
}

// A queue entry's status as a mark and in words, not by the colour of a dot alone (a colour-blind coder, a screen
// reader).
const STATUS_MARKS = {
  open: ["○", "to review"], coded: ["✓", "coded by you"], rejected: ["✗", "rejected by you"],
  skipped: ["–", "a speaker the project skips: not to review"],
};

function statusMark(status) {
  const [mark, words] = STATUS_MARKS[status] || STATUS_MARKS.open;
  return el("span", { class: "dot", role: "img", "aria-label": words, title: words, dataset: { status } }, mark);
}

function markQueue() {
  const nodes = $("queue").children;
  for (let i = 0; i < nodes.length; i++) {
    const item = state.items[i];
    nodes[i].className = item.status + (i === state.index ? " current" : "");
    const mark = nodes[i].querySelector(".dot");
    if (mark.dataset.status !== item.status) mark.replaceWith(statusMark(item.status));  // not 500 marks a move
    const recode = nodes[i].querySelector(".q-recode");
    if (recode) recode.hidden = item.status !== "open";  // recoded since
    const button = nodes[i].querySelector(".q-entry");
    if (i === state.index) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
  }
  const current = nodes[state.index];
  if (current) scrollQueueTo(current);
}

// The queue scrolled within itself to show an entry; the window stays (scrollIntoView scrolled it too: at 200% zoom,
// with the queue stacked with the segment, the page jumped to the queue at every segment, the buttons off screen).
function scrollQueueTo(entry) {
  const sidebar = entry.closest(".sidebar");
  const box = entry.getBoundingClientRect();
  const top = sidebar.getBoundingClientRect().top + sidebar.clientTop;  // inside its borders
  const bottom = top + sidebar.clientHeight;
  if (box.top < top) sidebar.scrollTop -= top - box.top;
  else if (box.bottom > bottom) sidebar.scrollTop += Math.min(box.bottom - bottom, box.top - top);
}

// ------------------------------------------------------------------ one segment
async function show(index) {
  const ticket = ++state.showTicket;
  state.index = index;
  markQueue();  // at once: decisions wait until the segment is on screen (showingCurrent)
  const has = index >= 0 && index < state.items.length;
  $("segment").hidden = !has;
  $("empty-message").hidden = has;
  if (!has) { state.segment = null; keepPlace(); return; }
  try {
    const id = state.items[index].segment_id;
    const segment = await api(`/api/segments/${encodeURIComponent(id)}?` + query({ coder: state.coder }));
    if (ticket !== state.showTicket) return;
    const kept = keptSuggestion(segment);
    state.segment = segment;
    state.selected = kept >= 0 ? kept : firstOpenSuggestion();
    if (state.items[index].placeholder) fillPlaceholder(state.items[index], segment);
    renderSegment();
    markQueue();
    keepPlace();
  } catch (error) {
    if (ticket !== state.showTicket) return;  // a segment the coder has left: the one shown since stands
    setStatus(`Could not load the segment: ${error.message}`, "error");
    if (error.status === 404) await listAnew(`Could not load the segment: ${error.message}`);
  }
}

// A segment outside the filters shown after an undo: its queue entry says what it is, as the others do.
function fillPlaceholder(item, segment) {
  const top = segment.suggestions[0];
  Object.assign(item, { document: segment.document, speaker: segment.speaker || "", text: segment.text.slice(0, 160),
    code: top ? top.code : "", code_name: top ? top.code_name : "", score: top ? top.score : 0,
    status: statusOf(segment), mine: segment.mine.codes.map((c) => c.name), placeholder: false });
  renderQueue();
}

// A segment's status in the queue, from the coder's codes and rejections on it as the server gave them.
function statusOf(segment) {
  return segment.mine.codes.length ? "coded" : segment.mine.rejected.length ? "rejected"
    : segment.skipped ? "skipped" : "open";
}

// The suggestion the coder chose (↑/↓, a click) when the segment on screen comes again (a list loaded after the
// key, a codebook revision): its place among the new suggestions, or -1 for another segment or a code no longer
// suggested. A key pressed next must answer the suggestion the coder chose, not the first again.
function keptSuggestion(segment) {
  const before = state.segment && state.segment.segment_id === segment.segment_id ? selectedSuggestion() : null;
  return before ? segment.suggestions.findIndex((s) => s.code === before.code) : -1;
}

// The first suggestion the coder has not rejected; none (-1) when they rejected all: a key must not answer one
// of those by default.
function firstOpenSuggestion() {
  const rejected = new Set(state.segment.mine.rejected.map((c) => c.id));
  return state.segment.suggestions.findIndex((s) => !rejected.has(s.code));
}

function turnNode(turn) {
  return el("div", { class: "turn", dir: "auto" }, el("span", { class: "who" }, turn.speaker ? el("bdi", {}, turn.speaker) : "",
    turn.speaker ? ": " : ""), el("bdi", {}, turn.text));
}

function renderSegment() {
  const s = state.segment;
  // the same segment anew (after a decision that leaves it on screen): the turns before it stay as scrolled
  const scrolled = $("segment").dataset.id === s.segment_id ? $("context-before").scrollTop : null;
  $("segment").dataset.id = s.segment_id;
  // the heading short (a screen reader jumping between headings heard every metadata field), the fields beside it;
  // the id as the exported tables give it: "Segment 9" alone was taken for id p02:9, where ids count from 0
  clear($("segment-meta")).append("Document ", el("strong", {}, el("bdi", {}, s.document)), ", ",
    el("span", { title: "Its segment_id in the exported tables" }, `segment ${s.position + 1} (id `,
      el("bdi", {}, s.segment_id), ")"));
  const fields = clear($("segment-fields"));
  // every field of the study's metadata, not only the demo's (site, country, participant_group)
  for (const [key, value] of Object.entries(s.metadata)) {
    if (!value) continue;
    fields.append(el("div", {}, el("dt", {}, key.replaceAll("_", " ")), " ", el("dd", {}, el("bdi", {}, value))));
  }
  fields.hidden = !fields.children.length;
  clear($("context-before")).append(...s.before.map(turnNode));
  clear($("context-after")).append(...s.after.map(turnNode));
  $("current-speaker").textContent = s.speaker || "";
  $("current-text").textContent = s.text;

  const note = $("recode-note");
  note.hidden = !(s.recode && s.recode.length);
  note.textContent = note.hidden ? "" : splitWords(s.recode) + " (a codebook revision split the code given here: "
    + "choose the code it is now)";
  const mine = clear($("my-codes"));
  if (s.mine.codes.length) mine.append(...s.mine.codes.map((c) => el("span", { class: "chip", dir: "auto" }, c.name)));
  else mine.append(el("span", { class: "none" }, "none yet"));
  const rejected = clear($("my-rejected"));
  if (s.mine.rejected.length) rejected.append(...s.mine.rejected.map((c) => el("span", { class: "chip rejected", dir: "auto" }, c.name)));
  else rejected.append(el("span", { class: "none" }, "none"));
  $("others-block").hidden = s.others === null;
  const others = clear($("others"));
  if (s.others && s.others.length) {
    for (const other of s.others) {
      others.append(el("span", { class: "chip other" }, el("bdi", {}, other.coder), ": ",
        ...other.codes.flatMap((code, i) => [i ? ", " : "", el("bdi", {}, code)])));
    }
  } else if (s.others) others.append(el("span", { class: "none" }, "none"));

  renderRunInfo();
  renderSuggestions();
  fitContextBefore(scrolled);
}

// The turns before the segment, kept to a third of the window's height (style.css), show their end, next to the
// segment: a long previous turn pushed the segment below the first screen of a phone. Clipped, the box scrolls
// (with the keys too: it takes the focus) and fades at its top while there is more above. `scrolled`: where the
// coder left it, for the segment shown anew (null: a segment newly shown, scrolled to the end).
function fitContextBefore(scrolled) {
  const box = $("context-before");
  box.scrollTop = scrolled ?? box.scrollHeight;
  markClipped(box);
}

// Whether the box is clipped changes with the window too (a phone turned, a window narrowed): only a clipped box
// takes the focus, for its keys.
function markClipped(box) {
  const clipped = box.scrollHeight > box.clientHeight + 1;
  if (clipped) box.setAttribute("tabindex", "0"); else box.removeAttribute("tabindex");
  box.classList.toggle("more-above", box.scrollTop > 0);
}

// The suggestions on screen are those of the run that was latest when the segment loaded; after a background
// refit they stay (a key pressed must answer what the coder read) and the newer run shows from the next segment.
function renderRunInfo() {
  const s = state.segment;
  const node = clear($("run-info"));
  if (!s || state.noSuggestions) return;
  node.append(s.run ? `model run ${s.run.id}` : "no model run yet");
  const shown = s.run ? s.run.id : null;
  if (state.lastRun !== null && state.lastRun !== shown) {
    node.append(` · the engine has learnt more (run ${state.lastRun}): new suggestions show from the next segment `,
      el("button", { type: "button", class: "link", id: "refresh-queue", onclick: () => loadQueue(s.segment_id) },
        "update the list"));
  }
}

// ``focus``: the selected suggestion takes the focus (↑/↓); one the list had keeps it, redrawn (after a decision too).
function renderSuggestions(focus = false) {
  const s = state.segment;
  const list = $("suggestions");
  focus = focus || list.contains(document.activeElement);
  clear(list);
  const applied = new Set(s.mine.codes.map((c) => c.id));
  const rejected = new Set(s.mine.rejected.map((c) => c.id));
  if (!s.suggestions.length) {
    // focusable as a suggestion is: after a decision the focus stays in the list (a screen reader hears why none)
    list.append(el("li", { class: "abstain", tabindex: "-1" }, state.noSuggestions
      ? "Coding without suggestions: choose a code (c) or skip (s)."
      : s.withheld
      ? "Blind mode: no suggestions here, as another coder has coded this segment and the engine learnt their codes. Choose a code (c) or skip (s)."
      : s.abstained ? "The engine found no code that fits. Choose one (c) or skip (s)."
      : s.skipped ? "No suggestions: the project skips this speaker's turns. Choose a code (c) or skip (s)."
      : "No suggestions yet. Choose a code (c) or skip (s)."));
  }
  s.suggestions.forEach((suggestion, i) => {
    const stateLabel = applied.has(suggestion.code) ? "accepted" : rejected.has(suggestion.code) ? "rejected" : "";
    const percent = Math.round(suggestion.score * 100);
    const bar = el("span", { class: "score-bar" }, el("span", { class: "score-fill" }));
    bar.firstChild.style.width = `${percent}%`;
    const evidence = el("ul", { class: "evidence" }, ...suggestion.evidence.map((quote) =>
      el("li", { dir: "auto" }, quote.anchor ? "Codebook: " : "“", el("bdi", {}, quote.text),
        quote.anchor ? "" : "”", el("span", { class: "sim" }, `(${Math.round(quote.similarity * 100)}% similar)`))));
    // the selected one is "current" to a screen reader, and named by its head (code, state, score) when focused
    const item = el("li", { class: "suggestion" + (i === state.selected ? " selected" : "") + (stateLabel ? " " + stateLabel : ""),
      dataset: { code: suggestion.code }, tabindex: "-1", "aria-labelledby": `suggestion-${i}`,
      ...(i === state.selected ? { "aria-current": "true" } : {}),
      onclick: () => { state.selected = i; renderSuggestions(); } },
      el("div", { class: "s-head", id: `suggestion-${i}` }, el("span", { class: "s-name", dir: "auto" }, suggestion.code_name),
        el("span", { class: "s-state" }, stateLabel), el("span", { class: "score" }, bar, `${percent}%`)),
      suggestion.evidence.length ? evidence : null);
    list.append(item);
  });
  const selected = list.children[Math.max(state.selected, 0)];
  if (focus && selected) selected.focus();  // a screen reader says which one a key now answers
}

function selectedSuggestion() {
  const s = state.segment;
  return s && s.suggestions.length && state.selected >= 0 ? s.suggestions[Math.min(state.selected, s.suggestions.length - 1)] : null;
}

// ------------------------------------------------------------------ decisions
// The segment on screen is the one highlighted in the queue: a key pressed while another is still loading must not
// decide on the old one.
function showingCurrent() {
  const item = state.items[state.index];
  return Boolean(state.segment && item && item.segment_id === state.segment.segment_id);
}

// A key for the segment (a, r, c, +) answers it once it is on screen; pressed while it loads (its box still empty,
// or the segment before still shown) it does nothing and says so. With no segment listed it says so too ("a" said
// "Nothing to accept here: choose a code with c", and "c" nothing), but before the first list has come.
function segmentReady() {
  if (stillSaving()) return false;
  if (!state.listed) {
    setStatus("The segments are still loading: nothing saved, try again.", "error");
    return false;
  }
  if (showingCurrent()) return true;
  if (!state.items[state.index]) {
    setStatus("No segment on screen: none matches the filters, nothing saved.", "error");
    return false;
  }
  setStatus("The segment is still loading: nothing saved, try again.", "error");
  return false;
}

// A decision is being saved (and its segment shown anew, or the bulk table): a key pressed twice, "a" at once after
// "r", or "u" (which could reach the server first and undo the decision before) does nothing, and says so.
function stillSaving() {
  if (!state.saving) return false;
  state.refused = true;
  if (state.slow) setStatus(`${SLOW} The key pressed did nothing: press it again once this is saved.`, "error busy");
  else setStatus("Still saving your last decision: nothing more saved, press the key again.", "error busy");
  return true;
}

// Said of work that takes 5 s: the server waits up to 30 s for a project file another program holds locked, and
// "Saving…" alone for that long read as a page that hung.
const SLOW = "Still saving: waiting for the project file (is another program holding it open?). The page waits up " +
  "to 30 s, then says whether it was saved.";

// ``advance``: the segment is coded and the coder moves on (an accepted or replaced code, or a code chosen where
// nothing was suggested); an added code or a reject keeps the segment on screen.
async function decide(action, code, extra = {}, advance = action === "accept" || action === "replace") {
  if (!state.segment || !segmentReady()) return;
  const segmentId = state.segment.segment_id;
  const replaced = replacedBy(code);
  setStatus("Saving…");
  await holdingKeys(() => save(segmentId, action, code, replaced, extra, advance));
}

// ``work`` (a decision, a bulk decision, an undo) done with the keys held (state.saving, stillSaving); what it said
// when done (its resolved value) said again where a key pressed meanwhile said "Still saving" over it, and the
// refusal said with it: "Saved ✓", said over the refusal, hid that an "u" pressed at once after "a" undid nothing.
async function holdingKeys(work) {
  state.saving = true;
  state.refused = false;
  const slow = setTimeout(() => {
    state.slow = true;
    if (state.saving) setStatus(state.refused ? `${SLOW} A key pressed meanwhile did nothing.` : SLOW, "busy");
  }, 5000);
  let said;
  try {
    said = await work();
  } finally {
    clearTimeout(slow);
    state.saving = false;
    state.slow = false;
  }
  if (!said || !state.refused) return;
  const status = $("save-status");
  const shown = status.classList.contains("busy") ? said : status.textContent;  // what the work said since, kept
  setStatus(`${shown} — a key pressed meanwhile did nothing (nothing saved or undone): press it again.`, "error");
}

// The decision sent and said; then its segment shown anew, or the next one (afterDecision). Returns what it said
// when saved.
async function save(segmentId, action, code, replaced, extra, advance) {
  let saved;
  try {
    // seen: the coder's latest decision here as shown; one made since (another tab) makes the server refuse this
    const body = { segment_id: segmentId, action, code, coder: state.coder, seen: state.segment.mine.seen, ...extra };
    const result = await api("/api/decisions", { method: "POST", body });
    const stored = result.decisions[0];
    hasCoded();
    state.undoable.push(stored.id);
    state.undoNamed = 0;
    if (showingSegment(segmentId)) state.segment.mine.seen = stored.id;
    saved = `Saved ✓ ${decisionWords(action, code, extra, advance)} (decision ${stored.id})${replacing(replaced)}`;
  } catch (error) {
    setStatus(`Not saved: ${error.message}`, "error");
    if (error.status === 409) await shownAsItStands(segmentId);
    else if (error.status === 404) {  // a segment of a document withdrawn since, or a code a codebook revision dropped
      await listAnew(`Not saved: ${error.message}`);
      await refreshProgress(error.message);
    }
    return;
  }
  try {  // saved: a segment that then fails to load must not make the coder think the decision was lost
    await afterDecision(segmentId, advance, saved);
  } catch (error) {
    setStatus(`${saved}, but the segment could not be shown anew: ${error.message}`, "error");
  }
  refreshProgress();
  return saved;
}

// A decision in the words of the buttons that make it (Accept, Reject, Choose another code, Add a code), not the
// API's names ("replace", and "add" for a code chosen with c where nothing was suggested, which ``advance``s).
function decisionWords(action, code, extra, advance) {
  const name = (id) => `“${state.codeNames[id] || id}”`;
  if (action === "accept") return `accepted ${name(code)}`;
  if (action === "reject") return `rejected ${name(code)}`;
  if (action === "replace") return `chose ${name(code)} instead of ${name(extra.replaces)}`;
  return `${advance ? "chose" : "added"} ${name(code)}`;
}

// After a decision refused as made on a segment decided since (another tab): the segment shown anew as it stands,
// and its queue entry and the coder's progress with it (they said "to review" and "0 … decided by you").
async function shownAsItStands(segmentId) {
  await show(state.index);
  const item = state.items.find((entry) => entry.segment_id === segmentId);
  if (item && showingSegment(segmentId)) {
    item.status = statusOf(state.segment);
    item.mine = state.segment.mine.codes.map((c) => c.name);
    renderQueue();
  }
  refreshProgress();
}

// In a one-code-per-segment codebook a code saved takes the place of the coder's own code there: their names.
function replacedBy(code) {
  if (!state.exclusive || !state.segment) return [];
  return state.segment.mine.codes.filter((c) => c.id !== code).map((c) => c.name);
}

function replacing(names) {
  return names.length ? ` — replaces “${names.join("”, “")}” (one code per segment)` : "";
}

// The segment decided is still the one on screen: the coder has not gone on (→, a click) while it was saved.
function showingSegment(segmentId) {
  return showingCurrent() && state.segment.segment_id === segmentId;
}

// After a decision: ``saved`` said, its queue entry marked, and the segment shown anew or the next one; a coder who
// went on while it was saved stays where they are.
async function afterDecision(segmentId, advance, saved) {
  const item = () => state.items.find((entry) => entry.segment_id === segmentId) || {};
  if (advance) {  // an accepted or replaced code: the segment is coded, and the coder moves on
    item().status = "coded";
    setStatus(saved, "saved");
    if (!showingSegment(segmentId)) { markQueue(); return; }
    state.advancing = true;
    try { await goOn(); } finally { state.advancing = false; }
    return;
  }
  const segment = await api(`/api/segments/${encodeURIComponent(segmentId)}?` + query({ coder: state.coder }));
  setStatus(saved, "saved");  // "Saving…" until the segment is anew: a key pressed on "Saved" answers it as it is now
  item().status = segment.mine.codes.length ? "coded" : "rejected";
  if (!showingSegment(segmentId)) { markQueue(); return; }
  state.segment = segment;
  state.selected = firstOpenSuggestion();
  renderSegment();
  markQueue();
}

function accept() {
  if (!segmentReady()) return;
  const suggestion = selectedSuggestion();
  if (!suggestion) { setStatus("Nothing to accept here: choose a code with c.", "error"); return; }
  decide("accept", suggestion.code, { suggestion_id: suggestion.id });
}

function reject() {
  if (!segmentReady()) return;
  const suggestion = selectedSuggestion();
  if (!suggestion) { setStatus("Nothing to reject here.", "error"); return; }
  decide("reject", suggestion.code, { suggestion_id: suggestion.id });
}

function chosen(code) {
  if (!state.segment || state.segment.segment_id !== state.codeDialogSegment) {  // a list loaded behind the chooser
    setStatus("Not saved: another segment came on screen while you chose the code — read it and choose again.",
      "error");
    return;
  }
  const suggestion = selectedSuggestion();
  if (state.codeDialogMode === "replace" && suggestion && suggestion.code !== code) {
    decide("replace", code, { replaces: suggestion.code, suggestion_id: suggestion.id });
  } else if (state.codeDialogMode === "replace" && suggestion) {
    decide("accept", code, { suggestion_id: suggestion.id });
  } else {  // chosen (c) where nothing is suggested: the segment is coded, as by a replace; added (+): it stays
    decide("add", code, {}, state.codeDialogMode === "replace");
  }
}

// Held as a decision is (holdingKeys): an "a" pressed at once could reach the server first and be the decision
// undone; a second "u" would undo one more.
async function undo() {
  if (stillSaving()) return;
  setStatus("Undoing…");
  await holdingKeys(undoLatest);
}

// The undo sent and said; then the list (or the bulk table) shown anew. Returns what it said when undone. The server
// undoes only the decision this tab expects (its own latest), so an undo in a tab left open behind another never
// takes back what the coder decided in the other one; refused, the decision it names is the one a second undo undoes.
async function undoLatest() {
  let result;
  const expected = state.undoNamed || state.undoable[state.undoable.length - 1] || 0;
  state.undoNamed = 0;
  try {
    result = await api("/api/undo", { method: "POST", body: { coder: state.coder, expected } });
  } catch (error) {
    const latest = error.status === 409 && error.payload && error.payload.latest;
    if (latest) {
      state.undoNamed = latest;
      // latest is the coder's newest decision not undone: this tab's ids above it were undone in another tab
      state.undoable = state.undoable.filter((id) => id <= latest);
    }
    setStatus(`Not undone: ${error.message}${latest ? ". Undo again to undo it." : ""}`, "error");
    return;
  }
  if (!result.decisions.length) { state.undoable = []; setStatus("Nothing to undo.", ""); return; }
  const undoneIds = new Set(result.decisions.map((d) => d.undoes));
  state.undoable = state.undoable.filter((id) => !undoneIds.has(id));
  const first = result.decisions[0];
  // the segment on screen as before the decision undone: its first suggestion not rejected selected again (after
  // an undone reject, the one rejected), not the one selected after the decision
  if (state.segment && result.decisions.some((d) => d.segment_id === state.segment.segment_id)) state.selected = -1;
  const what = result.decisions.length > 1 ? `${result.decisions.length} bulk decisions` : `decision ${first.undoes}`;
  const undone = `Undone ✓ ${what}`;
  setStatus(undone, "saved");
  refreshProgress();
  try {  // undone: a list that then fails to load must not make the coder think the decision still stands
    if (state.view === "bulk") await loadBulk(); else await loadQueueAt(first.segment_id);
  } catch (error) {
    setStatus(`${undone}, but the list could not be shown anew: ${error.message}`, "error");
  }
  return undone;
}

// The queue anew with segmentId (or a segment the coder chose meanwhile) on screen, listed where it is or at the
// current position (after an undo, a codebook revision).
async function loadQueueAt(segmentId) {
  const ticket = ++state.queueTicket;
  const shown = state.showTicket;  // a segment the coder goes on to while the list loads stays, as in loadQueue
  const result = await api("/api/queue?" + query(filters()));
  if (ticket !== state.queueTicket) return;
  const chosen = chosenSince(shown);
  state.items = result.items;
  state.index = queuePosition(chosen || segmentId);
  renderQueue();
  updateProgress(result.progress);
  await show(state.index);
}

// Where segmentId is in the queue. One outside the filters (undone, or chosen while the list loaded) is shown
// anyway, put in at the current position.
function queuePosition(segmentId) {
  let index = state.items.findIndex((item) => item.segment_id === segmentId);
  if (index < 0) {
    index = Math.min(Math.max(state.index, 0), state.items.length);
    state.items.splice(index, 0, { segment_id: segmentId, document: "", speaker: "", text: "", code: "",
      code_name: "", score: 0, status: "open", placeholder: true });  // filled in by show()
  }
  return index;
}

// → pressed while the page goes on by itself after a decision lands on that segment: going on from it, not yet on
// screen, skipped one the coder never saw (→ pressed while the decision is sent goes on, and the page then stays).
async function next() {
  if (!state.listed) { setStatus("The segments are still loading: try again."); return; }  // not "End of the list"
  if (!state.items.length && $("save-status").classList.contains("queue-error")) return;  // no list: its error stays
  if (!state.advancing) await goOn();
}

// The next segment to review shown (the next listed, where the filters list more than those to review).
async function goOn() {
  for (let i = state.index + 1; i < state.items.length; i++) {
    if (state.items[i].status === "open" || !["open", "uncoded"].includes($("filter-status").value)) {
      await show(i);
      return;
    }
  }
  await show(Math.min(state.index + 1, state.items.length - 1));
  if (state.index !== state.items.length - 1) return;
  setStatus("End of the list ✓ — change the filters or reload for more.", "saved end");
}

async function previous() { if (state.index > 0) await show(state.index - 1); }

function skip() {
  if (state.advancing) return;  // as →: not a segment the coder never saw skipped, nor "Saved ✓" said over
  if (!state.listed || !state.items.length) { next(); return; }  // nothing to skip
  setStatus("Skipped (nothing saved).");
  next();
}

// ------------------------------------------------------------------ code chooser
function openCodeDialog(mode) {
  if (!segmentReady() || !state.segment) return;
  state.codeDialogMode = mode;
  state.codeDialogSegment = state.segment.segment_id;
  $("code-dialog-title").textContent = mode === "add" ? "Add a code" + replacing(replacedBy(""))
    : state.noSuggestions ? "Choose a code" : "Choose another code";
  $("code-search").value = "";
  renderCodeTree();
  $("code-dialog").showModal();
  $("code-search").focus();
}

// How well a code matches the search: its name (or id) exactly, then a name starting with the words, then the
// words in its name, then anywhere (definition, parent codes).
function matchRank(code, words) {
  const typed = words.join(" ");
  const name = code.name.toLowerCase();
  if (name === typed || code.id.toLowerCase() === typed) return 3;
  if (name.startsWith(typed)) return 2;
  return words.every((word) => `${name} ${code.id.toLowerCase()}`.includes(word)) ? 1 : 0;
}

function renderCodeTree() {
  const words = $("code-search").value.toLowerCase().split(/\s+/).filter(Boolean);
  const tree = clear($("code-tree"));
  let group = null;
  let best = null;
  let bestRank = -1;
  for (const [i, code] of state.codes.entries()) {
    const haystack = `${code.name} ${code.id} ${code.definition} ${code.path.join(" ")}`.toLowerCase();
    if (!words.every((word) => haystack.includes(word))) continue;
    const path = code.path.join(" › ");
    if (path && path !== group) { tree.append(el("li", { class: "group", dir: "auto" }, path)); group = path; }
    // named by the code alone, its definition the description: read as the name, a screen reader said a paragraph
    // for each code passed with ↓ or Tab
    const button = el("button", { type: "button", class: "code", dataset: { code: code.id },
      "aria-labelledby": `code-name-${i}`, ...(code.definition ? { "aria-describedby": `code-def-${i}` } : {}),
      onclick: () => { $("code-dialog").close(); chosen(code.id); } },
      el("bdi", { id: `code-name-${i}` }, code.name),
      el("span", { class: "def", dir: "auto", id: `code-def-${i}` }, code.definition));
    tree.append(el("li", {}, button));
    const rank = matchRank(code, words);
    if (rank > bestRank) { best = button; bestRank = rank; }
  }
  // nothing typed, nothing chosen: Enter saved the codebook's first code, one the coder never picked
  if (best && words.length) { best.classList.add("active"); best.scrollIntoView({ block: "nearest" }); }
  if (!best) tree.append(el("li", { class: "none" }, "No code matches."));
  sayActiveCode();
}

// The code Enter chooses, said under the search box: a screen reader hears it as the coder types or presses ↑/↓.
function sayActiveCode() {
  const active = $("code-tree").querySelector("button.code.active");
  $("code-choice").textContent = active ? `Enter chooses “${state.codeNames[active.dataset.code]}”`
    : $("code-tree").querySelector("button.code") ? "Type a code's name, or pick one with ↓ or a click."
    : "No code matches.";
}

// Enter with no code typed or picked: said, or the key would seem lost (the hint a screen reader speaks unchanged).
function sayNothingChosen() {
  $("code-choice").textContent = $("code-tree").querySelector("button.code")
    ? "Nothing chosen, nothing saved: type a code's name, or pick one with ↓ or a click."
    : "No code matches: nothing chosen, nothing saved.";
}

function moveCodeSelection(step) {
  const buttons = Array.from($("code-tree").querySelectorAll("button.code"));
  if (!buttons.length) return;
  let index = buttons.findIndex((b) => b.classList.contains("active"));
  if (index >= 0) buttons[index].classList.remove("active");
  index = Math.max(0, Math.min(buttons.length - 1, index + step));
  buttons[index].classList.add("active");
  buttons[index].scrollIntoView({ block: "nearest" });
  sayActiveCode();
}

// ------------------------------------------------------------------ bulk
// The table of one code's suggestions: the code and score chosen when asked, and only the latest answer (an earlier
// one coming later listed its code's rows under the code chosen since).
async function loadBulk() {
  if (state.noSuggestions) return;  // off: the server refuses it
  const ticket = ++state.bulkTicket;
  const code = $("bulk-code").value;
  const min = $("bulk-min").value || 0;
  try {
    const result = await api("/api/bulk?" + query({ code, min_score: min, coder: state.coder }));
    if (ticket !== state.bulkTicket) return;
    state.bulkItems = result.items;
    state.bulkCode = code;
    $("bulk-summary").textContent = `${result.matching} suggestion${result.matching === 1 ? "" : "s"} of “${result.code_name}” ` +
      `at or above ${Math.round(min * 100)}% on segments you have not decided.`;
    const rows = clear($("bulk-rows"));
    for (const [i, item] of result.items.entries()) {  // each box named by its row's document and text
      rows.append(el("tr", {},
        el("td", {}, el("input", { type: "checkbox", class: "bulk-pick", checked: "", "aria-labelledby": `bulk-doc-${i} bulk-text-${i}`,
          dataset: { segment: item.segment_id, suggestion: item.suggestion_id } })),
        el("td", { class: "num" }, `${Math.round(item.score * 100)}%`),
        el("td", { id: `bulk-doc-${i}` }, el("bdi", {}, item.document), item.speaker ? el("div", { class: "hint", dir: "auto" }, item.speaker) : null),
        el("td", { dir: "auto", id: `bulk-text-${i}` }, item.text)));
    }
    markSelectAll();
    $("bulk-table").hidden = !result.items.length;
    $("bulk-actions").hidden = false;
  } catch (error) {
    if (ticket !== state.bulkTicket) return;  // an answer asked for before the table shown: its error is not its
    setStatus(`Could not load: ${error.message}`, "error");
  }
}

// "Select all" ticked when every row is, half-ticked when only some are.
function markSelectAll() {
  const boxes = Array.from(document.querySelectorAll(".bulk-pick"));
  const ticked = boxes.filter((box) => box.checked).length;
  $("bulk-all").checked = boxes.length > 0 && ticked === boxes.length;
  $("bulk-all").indeterminate = ticked > 0 && ticked < boxes.length;
}

async function bulkDecide(action) {
  const picks = Array.from(document.querySelectorAll(".bulk-pick:checked"));
  if (!document.querySelector(".bulk-pick")) { setStatus("No suggestion is listed: nothing saved.", "error"); return; }
  if (!picks.length) { setStatus("Select at least one row.", "error"); return; }
  if (stillSaving()) return;  // pressed twice, the batch would go twice
  const items = picks.map((box) => ({ segment_id: box.dataset.segment, suggestion_id: Number(box.dataset.suggestion) }));
  setStatus("Saving…");
  await holdingKeys(async () => {
    try {
      const result = await api("/api/decisions/bulk", { method: "POST",
        body: { coder: state.coder, action, code: state.bulkCode, items } });
      hasCoded();
      state.undoable.push(Math.max(...result.decisions.map((d) => d.id)));
      state.undoNamed = 0;
      const saved = `Saved ✓ ${action === "accept" ? "accepted" : "rejected"} ${result.decisions.length} suggestions`;
      setStatus(saved, "saved");
      refreshProgress();
      await loadBulk();
      return saved;
    } catch (error) {
      setStatus(`Not saved: ${error.message}`, "error");
      if (error.status === 404) {  // a row's document withdrawn since: the table without it
        await noteDocumentsVersion();
        await loadDocuments();
        await loadBulk();
        setStatus(`Not saved: ${error.message} — the table was loaded anew.`, "error");
      }
    }
  });
}

function switchView(view) {
  state.view = view;
  $("review-view").hidden = view !== "review";
  $("bulk-view").hidden = view !== "bulk";
  $("tab-review").setAttribute("aria-selected", String(view === "review"));
  $("tab-bulk").setAttribute("aria-selected", String(view === "bulk"));
  $("tab-review").tabIndex = view === "review" ? 0 : -1;  // one stop for Tab, ← → between the two
  $("tab-bulk").tabIndex = view === "bulk" ? 0 : -1;
  if (view === "review") loadQueue(state.segment && state.segment.segment_id);
}

// ------------------------------------------------------------------ progress
function updateProgress(progress) {
  const share = progress.total ? progress.decided / progress.total : 0;
  $("progress-fill").style.width = `${Math.round(share * 100)}%`;
  $("progress-text").textContent = `${progress.decided} of ${progress.total} segments decided by you`;
}

// ``refused``: the message of a decision just refused, said with the news of a codebook revision.
async function refreshProgress(refused) {
  if (!state.coder) return;
  try {
    const progress = await api("/api/progress?" + query({ coder: state.coder }));
    if ($("save-status").classList.contains("server-down")) {  // back: the same run, or one started anew?
      if (await restarted()) setStatus(`T${RESTARTED.slice(1)}.`, "error");
      else setStatus("");
    }
    updateProgress(progress);
    const engine = $("engine-status");
    if (progress.refitting) engine.textContent = "Engine: learning from your decisions…";
    else if (progress.model) engine.textContent = `Engine: ${progress.model.mode} model, from ${progress.model.n_training} coded segments`;
    else engine.textContent = state.noSuggestions ? "Engine: not fitted yet" : "Engine: no suggestions yet";
    if (state.noSuggestions) {
      engine.textContent += state.learning ? " (its suggestions are not shown)"
        : " (its suggestions are not shown; it does not refit while the page is served)";
    }
    if (progress.learning_error) engine.textContent += ` (last refit failed: ${progress.learning_error})`;
    const run = progress.model ? progress.model.run_id : null;
    if (run !== state.lastRun) { state.lastRun = run; renderRunInfo(); }
    if (progress.codebook_version !== state.codebookVersion) await reloadCodebook(refused);
    if (progress.documents_version !== state.documentsVersion) await documentsChanged(progress.documents_version);
  } catch (error) {  // the next poll tries again; a server that does not answer at all is said (a page left open)
    if (error.status === 503) {  // the project file moved away meanwhile: said before the coder's next decision
      setStatus(`The project file can take no more decisions: ${error.message}.`, "error");
    } else if (error.status === undefined) {
      setStatus("The review server is not answering (was theme-assist review stopped?): start it again and reload " +
        "the page; the decisions saved are kept.", "error server-down");
    }
  }
}

// ------------------------------------------------------------------ keyboard and controls
function typing(event) {
  const target = event.target;
  return target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
}

function onKey(event) {
  if ($("code-dialog").open) {
    if (event.key === "ArrowDown") { moveCodeSelection(1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { moveCodeSelection(-1); event.preventDefault(); }
    else if (event.key === "Enter" && event.target === $("code-search")) {  // a button with the focus answers itself
      const active = $("code-tree").querySelector("button.code.active");
      event.preventDefault();
      if (active) active.click();
      else sayNothingChosen();
    } else if (event.key === "Escape") { event.preventDefault(); $("code-dialog").close(); }
    return;
  }
  if (event.key === "Tab" && state.lastFilter && document.activeElement === document.body) {
    state.lastFilter.focus();  // Tab goes on from the drop-down the pointer last used (see keysBackToPage)
    state.lastFilter = null;
    event.preventDefault();
    return;
  }
  if ($("coder-dialog").open || typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key;
  if (event.target.getAttribute("role") === "tab" && (key === "ArrowLeft" || key === "ArrowRight")) {
    const view = event.target.id === "tab-review" ? "bulk" : "review";  // the tabs' own keys: the other tab
    switchView(view);
    $(`tab-${view}`).focus();
    event.preventDefault();
    return;
  }
  if (key === "u") { undo(); event.preventDefault(); return; }
  if (state.view !== "review") return;
  const actions = {
    a: accept, r: reject, c: () => openCodeDialog("replace"), "+": () => openCodeDialog("add"), s: skip,
    ArrowRight: next, ArrowLeft: previous,
    ArrowDown: () => moveSuggestion(1), ArrowUp: () => moveSuggestion(-1),
  };
  if (actions[key]) { event.preventDefault(); actions[key](); }
}

// A drop-down chosen from with the mouse gives the keys back to the page: while it kept the focus, "a" picked its
// "All" option instead of accepting. One changed from the keyboard keeps it (the arrows step through its options).
// Tab (or Shift+Tab) then goes back to it, as the browser's own starting point for Tab is not reliable after blur().
function keysBackToPage(control) {
  if (control.tagName === "SELECT" && !state.filterKeyed) {
    state.lastFilter = control;
    control.blur();
  }
}

// Whether the focus is nowhere in particular: on the body, on the main area given it while the queue loaded, or
// still in a dialog just closed (which Chrome gives to the body next).
function focusLost() {
  const focused = document.activeElement;
  return !focused || focused === document.body || focused === $("main")
    || Boolean(focused.closest("dialog:not([open])"));
}

// The focus on the segment on screen (its heading names it), or on the main area where none is shown.
function focusSegment() {
  if (!$("segment").hidden) $("segment").focus();
  else $("main").focus();
}

function moveSuggestion(step) {
  if (!state.segment || !state.segment.suggestions.length) return;
  state.selected = Math.max(0, Math.min(state.segment.suggestions.length - 1, state.selected + step));
  renderSuggestions(true);
}

function bindControls() {
  document.addEventListener("keydown", onKey);
  $("coder-form").addEventListener("submit", (event) => {
    const name = $("coder-input").value.trim();
    const said = $("coder-alike");
    // no character to see, as the server reads a name (spaces alone passed "required" and did nothing; zero-width
    // ones closed the dialog on a coder every request refused)
    if (!/[^\p{Z}\p{C}]/u.test(name)) {
      event.preventDefault();
      said.dataset.name = "";
      said.textContent = "Type your name: spaces or invisible characters alone are no name.";
      said.hidden = false;
      return;
    }
    // "Dana" for "dana" started a coder with none of dana's codes, and said only "0 decided by you": asked once
    const alike = !state.coders.includes(name)  // a known coder's own name starts no new coder
      && state.coders.find((known) => known.toLowerCase() === name.toLowerCase());
    if (alike && said.dataset.name !== name) {
      event.preventDefault();
      said.dataset.name = name;
      said.textContent = `“${alike}” has coded in this project, and names are matched as written: press Start ` +
        `coding again to code as “${name}”, a coder of their own.`;
      said.hidden = false;
      return;
    }
    said.hidden = true;
    said.dataset.name = "";
    useCoder(name).then(() => { if (focusLost()) focusSegment(); });
  });
  $("coder-dialog").addEventListener("cancel", (event) => { if (!state.coder) event.preventDefault(); });
  // a dialog gives the focus back to what had it, but where that was the page itself (the coder's dialog on
  // opening, "c" pressed after a click on the text) it fell to the body: a screen reader lost its place
  $("coder-dialog").addEventListener("close", () => { if (focusLost()) focusSegment(); });
  $("code-dialog").addEventListener("close", () => { if (focusLost()) focusSegment(); });
  $("coder-button").addEventListener("click", askCoder);
  $("filters").addEventListener("keydown", () => { state.filterKeyed = true; });
  $("filters").addEventListener("pointerdown", () => { state.filterKeyed = false; });
  window.addEventListener("resize", () => markClipped($("context-before")));
  $("context-before").addEventListener("scroll", (event) => {
    event.target.classList.toggle("more-above", event.target.scrollTop > 0);
  });
  $("filters").addEventListener("change", (event) => { keysBackToPage(event.target); loadQueue(); });
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); loadQueue(); });
  $("btn-accept").addEventListener("click", accept);
  $("btn-reject").addEventListener("click", reject);
  $("btn-choose").addEventListener("click", () => openCodeDialog("replace"));
  $("btn-add").addEventListener("click", () => openCodeDialog("add"));
  $("btn-undo").addEventListener("click", undo);
  $("btn-skip").addEventListener("click", skip);
  $("btn-next").addEventListener("click", next);
  $("btn-prev").addEventListener("click", previous);
  $("code-search").addEventListener("input", renderCodeTree);
  $("code-cancel").addEventListener("click", () => $("code-dialog").close());
  $("tab-review").addEventListener("click", () => switchView("review"));
  $("tab-bulk").addEventListener("click", () => switchView("bulk"));
  $("bulk-form").addEventListener("submit", (event) => { event.preventDefault(); loadBulk(); });
  $("bulk-all").addEventListener("change", () => {
    for (const box of document.querySelectorAll(".bulk-pick")) box.checked = $("bulk-all").checked;
  });
  $("bulk-rows").addEventListener("change", markSelectAll);
  $("bulk-accept").addEventListener("click", () => bulkDecide("accept"));
  $("bulk-reject").addEventListener("click", () => bulkDecide("reject"));
  $("bulk-undo").addEventListener("click", undo);
  setInterval(() => refreshProgress(), 10000);
}

document.addEventListener("DOMContentLoaded", () => {
  start().catch((error) => setStatus(`Could not start: ${error.message}`, "error"));
});
