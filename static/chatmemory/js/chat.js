/* The chat page (a conversation, or the new-chat page): wires the composer, the turns, Stop,
 * resuming a pending answer, edit/regenerate (branches), copy buttons, rename and the live
 * sidebar. Settings come from the #chat-config JSON the view renders (see web/views/…). */
import { Composer } from "./composer.js";
import { openEditor } from "./edit.js";
import { createMessage, handleCopyClick, hydrateAll, textOf } from "./messages.js";
import { closeMenus } from "./menus.js";
import { postJSON } from "./net.js";
import { followPending, waitForTitle } from "./resume.js";
import { Scroller } from "./scroll.js";
import { countLabel, setTitle as setSidebarTitle, upsertConversation } from "./sidebar.js";
import { localizeTimes } from "./time.js";
import { runTurn } from "./turn.js";

const config = JSON.parse(document.getElementById("chat-config").textContent);
const list = document.getElementById("messages");
const errorBox = document.getElementById("chat-error");
const statusLine = document.getElementById("chat-status");
const scroller = new Scroller(document.getElementById("chat-scroll"), document.getElementById("scroll-bottom"), list);
const form = document.getElementById("composer");
let composer = null;
let turnId = null;
let stopWanted = false;

function showError(text) {
  if (!errorBox) { return; }
  errorBox.textContent = text;
  errorBox.hidden = false;
}
function clearError() { if (errorBox) { errorBox.textContent = ""; errorBox.hidden = true; } }
function announce(text) { if (statusLine) { statusLine.textContent = text; } }
/** The highest stored seq shown (messages still being written have none). */
function lastSeq() {
  let max = 0;
  for (const li of list.children) { max = Math.max(max, Number(li.dataset.seq || 0)); }
  return max;
}
function hideEmpty(hidden = true) { const empty = document.getElementById("empty-chat"); if (empty) { empty.hidden = hidden; } }

function showSession(session) {
  if (!session) { return; }
  const title = session.display_title || session.title;
  const h1 = document.querySelector("[data-role=chat-title]");
  if (h1 && title) { h1.textContent = title; }
  if (title) { document.title = `${title} · chatmemory`; }
  const count = document.querySelector("[data-role=message-count]");
  if (count && session.message_count !== undefined) { count.textContent = countLabel(session.message_count); }
  if (session.id) { setSidebarTitle(session.id, title); }
}

function sidebarEntry(session) {
  return {
    id: session.id, url: session.url, title: session.display_title || session.title,
    message_count: session.message_count, last_active_at: session.last_active_at,
    branch: Boolean(session.branch || session.parent),
  };
}

/** A conversation was created for this turn (a new chat or a branch): this page becomes it. */
function adoptSession(info) {
  const previous = { session: config.session, urls: config.urls, url: location.href };
  config.session = info;
  config.urls = info.urls;
  config.can_branch = true;
  if (form) {
    form.action = info.urls.stream;
    form.querySelector("textarea").placeholder = "Write a message…";
  }
  history.pushState({ chatmemory: info.id }, "", info.url);
  showSession(info);
  insertMenu(info);
  if (info.parent) { showBranchOrigin(info.parent); }
  upsertConversation(sidebarEntry(info));
  return previous;
}

function insertMenu(info) {
  const slot = document.querySelector(".chat-topbar .topbar-actions");
  const template = document.getElementById("conversation-menu-template");
  if (!slot || !template || slot.querySelector("details.menu")) { return; }
  const html = template.innerHTML.replaceAll(template.dataset.placeholder, info.id);
  const holder = document.createElement("template");
  holder.innerHTML = html; // our own template, with only the id (a UUID) substituted
  slot.append(holder.content);
  initRename();
}

function showBranchOrigin(parent) {
  if (document.querySelector("[data-role=branch-origin]")) { return; }
  const p = document.createElement("p");
  p.className = "branch-origin";
  p.dataset.role = "branch-origin";
  const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  icon.setAttribute("aria-hidden", "true");
  icon.setAttribute("width", "14");
  icon.setAttribute("height", "14");
  icon.setAttribute("viewBox", "0 0 16 16");
  icon.innerHTML = '<path d="M5 3v10M5 8c0-3 6-2 6-5" stroke="currentColor" stroke-width="1.8" fill="none" stroke-linecap="round"/>';
  const link = document.createElement("a");
  link.href = parent.url;
  link.textContent = parent.title;
  p.append(icon, "Branched from ", link, ` at message ${parent.seq}.`);
  list.before(p);
}

function addBranchNav(li, nav) {
  if (!nav || li.querySelector("[data-role=branch-nav]")) { return; }
  const el = document.createElement("nav");
  el.className = "branch-nav";
  el.dataset.role = "branch-nav";
  el.setAttribute("aria-label", `Versions of this message: ${nav.index} of ${nav.count}`);
  const arrow = (href, text, rel, label) => {
    if (!href) { const s = document.createElement("span"); s.className = "off"; s.setAttribute("aria-hidden", "true"); s.textContent = text; return s; }
    const a = document.createElement("a"); a.href = href; a.rel = rel; a.textContent = text; a.setAttribute("aria-label", label); return a;
  };
  const version = document.createElement("span");
  version.dataset.role = "version";
  version.textContent = `${nav.index} / ${nav.count}`;
  el.append(arrow(nav.previous, "‹", "prev", "Previous version"), version, arrow(nav.next, "›", "next", "Next version"));
  li.querySelector(".msg-actions").before(el);
}

async function requestStop() {
  if (!turnId) { stopWanted = true; return; }
  if (composer) { composer.stopping(); }
  try {
    await postJSON(config.urls.stop, { turn: turnId });
  } catch (error) {
    showError(`Could not stop the answer: ${error.message}`);
  }
}

function onTurnId(id) {
  turnId = id;
  if (stopWanted) { stopWanted = false; requestStop(); }
}

function afterDone(done) {
  if (done.session) {
    config.session = { ...config.session, ...done.session };
    showSession(config.session);
    upsertConversation(sidebarEntry(config.session));
    if (done.session.needs_title && config.urls.updates) {
      waitForTitle(config.urls.updates, (session) => showSession({ ...config.session, ...session }));
    }
  }
  announce(done.stopped ? "Answer stopped; the part written so far is kept." : "Answer complete.");
}

/** Run one turn into fresh bubbles; on failure restore what is needed. */
async function turn(url, fields, humanLi, aiLi, { restoreText, undo } = {}) {
  clearError();
  hideEmpty();
  composer.setBusy(true);
  const storedBefore = lastSeq();
  aiLi.dataset.state = "waiting";
  humanLi.classList.add("is-pending");
  list.append(humanLi, aiLi);
  scroller.toBottom();
  let previous = null;
  try {
    const done = await runTurn(url, fields, humanLi, aiLi, {
      onSession: (info) => { previous = adoptSession(info); },
      onTurn: onTurnId,
      onRender: () => scroller.follow(),
    });
    if (done.versions) { addBranchNav(aiLi.dataset.seq === String(done.versions.seq) ? aiLi : humanLi, done.versions); }
    afterDone(done);
  } catch (error) {
    if (error.stage === "during") {
      // The server goes on and stores the turn: follow it like a reopened page would.
      announce("The connection broke; following the answer…");
      await resume(humanLi, aiLi, storedBefore);
      return;
    }
    humanLi.remove();
    aiLi.remove();
    if (previous && error.discarded) { forgetSession(previous); }
    if (undo) { undo(); }
    if (!list.children.length) { hideEmpty(false); }
    if (restoreText !== undefined) { composer.restore(restoreText); }
    showError(`${error.message}${restoreText !== undefined ? " Your message is back in the box." : ""}`);
  } finally {
    turnId = null;
    stopWanted = false;
    composer.setBusy(false);
    composer.focus();
  }
}

/** The conversation made for a failed turn was deleted again: back to where we were. */
function forgetSession(previous) {
  const id = config.session && config.session.id;
  config.session = previous.session;
  config.urls = previous.urls;
  if (form) { form.action = previous.urls.stream; }
  history.replaceState(null, "", previous.url);
  const item = id && document.querySelector(`#conversation-list li[data-id="${CSS.escape(id)}"]`);
  if (item) { item.remove(); }
  if (previous.session) { showSession(previous.session); } else {
    document.querySelector("[data-role=chat-title]").textContent = "New chat";
    document.title = "New chat · chatmemory";
    const menu = document.querySelector(".chat-topbar .topbar-actions details.menu");
    if (menu) { menu.remove(); } // the <template> stays for the next conversation
  }
  const origin = document.querySelector("[data-role=branch-origin]");
  if (origin && !(previous.session && previous.session.parent)) { origin.remove(); }
}

function send(text) {
  composer.clear();
  const human = createMessage({ type: "human", text }, { canBranch: true });
  const ai = createMessage({ type: "ai", text: "" }, { canBranch: true });
  turn(config.urls.stream, { message: text }, human, ai, { restoreText: text });
}

/** Edit (your message at ``seq``) or regenerate (the answer at ``seq``): a branch. */
function branch(li, action, text) {
  if (composer.busy) { showError("The assistant is still answering: wait for it, or press Stop."); return; }
  const seq = Number(li.dataset.seq);
  const removed = [];
  let humanText = text;
  for (const other of [...list.children]) {
    const otherSeq = Number(other.dataset.seq || Infinity);
    if (otherSeq >= seq || (action === "regenerate" && otherSeq === seq - 1)) { removed.push(other); }
  }
  if (action === "regenerate") {
    const question = list.querySelector(`li[data-seq="${seq - 1}"]`);
    humanText = question ? textOf(question) : "";
  }
  const anchor = removed.length ? removed[0].previousElementSibling : list.lastElementChild;
  removed.forEach((other) => other.remove());
  const human = createMessage({ type: "human", text: humanText }, { canBranch: true });
  const ai = createMessage({ type: "ai", text: "" }, { canBranch: true });
  const undo = () => {
    const fragment = document.createDocumentFragment();
    removed.forEach((other) => fragment.append(other));
    if (anchor && anchor.parentNode === list) { anchor.after(fragment); } else { list.prepend(fragment); }
  };
  const fields = { seq: String(seq), action };
  if (action === "edit") { fields.message = text; }
  turn(config.urls.branch, fields, human, ai, { undo });
}

async function resume(humanLi, aiLi, afterSeq) {
  const status = aiLi.querySelector("[data-role=status]");
  composer.setBusy(true);
  aiLi.dataset.state = "resuming";
  try {
    const data = await followPending(config.urls.updates, afterSeq, aiLi, {
      onRender: () => scroller.follow(),
      onStatus: (text) => { if (status) { status.textContent = text; } },
    });
    humanLi.remove();
    aiLi.remove();
    for (const message of data.messages) {
      const li = createMessage(message, { canBranch: config.can_branch });
      list.append(li);
    }
    if (!data.messages.length) { showError("The answer could not be completed; nothing was stored. Send your message again."); }
    if (data.session) { afterDone({ session: data.session }); }
    scroller.follow();
  } catch (error) {
    showError(error.message);
  } finally {
    turnId = null;
    composer.setBusy(false);
  }
}

function onListClick(event) {
  if (handleCopyClick(event)) { return; }
  const button = event.target.closest("button[data-action]");
  if (!button || !list.contains(button)) { return; }
  const li = button.closest("li.msg");
  const action = button.dataset.action;
  if ((action === "edit" || action === "regenerate") && !li.dataset.seq) { return; } // not stored yet
  if (action === "edit") {
    openEditor(li, { maxChars: config.max_chars, onError: showError, onSubmit: (text) => branch(li, "edit", text) });
  } else if (action === "regenerate") {
    branch(li, "regenerate");
  }
}

function initRename() {
  const renameForm = document.querySelector("[data-role=rename-form]");
  if (!renameForm || renameForm.dataset.ready) { return; }
  renameForm.dataset.ready = "1";
  const error = renameForm.querySelector("[data-role=rename-error]");
  renameForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const session = await postJSON(renameForm.action, new FormData(renameForm));
      error.hidden = true;
      config.session = { ...config.session, ...session };
      showSession(config.session);
      closeMenus();
      announce("Conversation renamed.");
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
}

function init() {
  hydrateAll(list);
  localizeTimes(document);
  scroller.toBottom();
  list.addEventListener("click", onListClick);
  initRename();
  window.addEventListener("popstate", () => location.reload());
  const wrap = document.getElementById("composer-wrap");
  if (wrap) {
    new ResizeObserver(() => {
      document.documentElement.style.setProperty("--composer-h", `${wrap.offsetHeight}px`);
    }).observe(wrap);
  }
  if (!form) { return; }
  composer = new Composer(form, {
    maxChars: config.max_chars, onSend: send, onStop: requestStop, onError: showError,
  });
  if (config.pending) {
    const human = list.querySelector("[data-role=pending-human]");
    const ai = list.querySelector("[data-role=pending-ai]");
    turnId = config.pending.turn;
    resume(human, ai, config.after_seq || 0);
  } else if (config.needs_title && config.urls.updates) {
    waitForTitle(config.urls.updates, (session) => showSession({ ...config.session, ...session }));
  }
}

init();
