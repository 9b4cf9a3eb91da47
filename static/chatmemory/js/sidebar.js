/* The sidebar's conversation list, kept live: after a turn the conversation moves to the top
 * with its new message count, title and "just now" (a pinned one is updated where it is, in the
 * Pinned list: a conversation is listed once); a conversation started on this page (new chat,
 * branch) is added. Items are rendered by templates/chat/_sidebar_item.html; this builds the same
 * markup. */
import { setTime } from "./time.js";

const BRANCH_ICON = '<path d="M5 3v10M5 8c0-3 6-2 6-5M11 3v0" stroke="currentColor" stroke-width="1.8" fill="none" stroke-linecap="round"/>';

function list() { return document.getElementById("conversation-list"); }

/** The conversation's item in the Pinned list or the Recent list, or null. */
function findItem(id) {
  return document.querySelector(`#sidebar [data-role=pinned-list] li[data-id="${CSS.escape(id)}"], `
    + `#conversation-list li[data-id="${CSS.escape(id)}"]`);
}

export function countLabel(count) { return `${count} message${count === 1 ? "" : "s"}`; }

function buildItem(id, url) {
  const li = document.createElement("li");
  li.className = "conv";
  li.dataset.id = id;
  const link = document.createElement("a");
  link.className = "conv-link";
  link.href = url;
  const title = document.createElement("span");
  title.className = "conv-title";
  const text = document.createElement("span");
  text.className = "conv-title-text";
  text.dataset.role = "title";
  title.append(text);
  const meta = document.createElement("span");
  meta.className = "conv-meta";
  const count = document.createElement("span");
  count.dataset.role = "count";
  const time = document.createElement("time");
  time.dataset.role = "active";
  meta.append(count, " · ", time);
  link.append(title, meta);
  li.append(link);
  return li;
}

/**
 * Add or update a conversation and move it to the top.
 * ``conversation``: {id, url, title, message_count, last_active_at (ISO), branch (bool)}.
 */
export function upsertConversation(conversation, { current = true } = {}) {
  const ul = list();
  if (!ul || !conversation || !conversation.id) { return; }
  let li = findItem(conversation.id);
  if (!li) { li = buildItem(conversation.id, conversation.url); }
  if (conversation.title) { li.querySelector("[data-role=title]").textContent = conversation.title; }
  if (conversation.message_count !== undefined) {
    li.querySelector("[data-role=count]").textContent = countLabel(conversation.message_count);
  }
  const when = conversation.last_active_at ? new Date(conversation.last_active_at) : new Date();
  setTime(li.querySelector("[data-role=active]"), when, { ago: true });
  if (conversation.branch && !li.querySelector(".conv-branch")) {
    const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("class", "conv-branch");
    icon.setAttribute("role", "img");
    icon.setAttribute("aria-label", "branch");
    icon.setAttribute("width", "13");
    icon.setAttribute("height", "13");
    icon.setAttribute("viewBox", "0 0 16 16");
    icon.innerHTML = BRANCH_ICON; // a constant, not data
    li.querySelector(".conv-title").prepend(icon);
  }
  if (!li.closest("[data-role=pinned-list]")) { ul.prepend(li); }
  if (current) { setCurrent(conversation.id); }
  const empty = document.querySelector("[data-role=sidebar-empty]");
  if (empty) { empty.hidden = true; }
}

export function setCurrent(id) {
  for (const link of document.querySelectorAll("#sidebar li.conv .conv-link")) {
    const on = link.closest("li").dataset.id === id;
    link.classList.toggle("is-current", on);
    if (on) { link.setAttribute("aria-current", "page"); } else { link.removeAttribute("aria-current"); }
  }
}

export function setTitle(id, title) {
  const li = findItem(id);
  if (li && title) { li.querySelector("[data-role=title]").textContent = title; }
}
