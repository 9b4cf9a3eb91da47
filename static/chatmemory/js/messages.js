/* Message elements: the same markup as templates/chat/_message.html, for messages added by
 * the page (sent, streamed, resumed). Answers are Markdown, rendered by markdown.js from their
 * raw text (kept here for Copy); the user's messages stay plain text with line breaks. */
import { copyWithFeedback } from "./clipboard.js";
import { render } from "./markdown.js";
import { setTime } from "./time.js";

const sources = new WeakMap(); // <li> → the message's raw text

const ROLE = { human: "You", ai: "Assistant" };

export function textOf(li) { return sources.get(li) ?? ""; }

/** Read a server-rendered message's text and render it (Markdown for answers). */
export function hydrate(li) {
  const md = li.querySelector("[data-role=markdown]");
  const plain = li.querySelector("[data-role=text]");
  if (md) {
    const text = md.textContent;
    sources.set(li, text);
    md.replaceChildren(render(text));
  } else if (plain) {
    sources.set(li, plain.textContent);
  } else {
    sources.set(li, "");
  }
}

export function hydrateAll(root) { root.querySelectorAll("li.msg").forEach(hydrate); }

function button(action, label, aria) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn-icon";
  b.dataset.action = action;
  b.textContent = label;
  b.setAttribute("aria-label", aria);
  return b;
}

/**
 * A new message element. ``message``: {type: "human"|"ai", text, seq?, created_at?, stopped?,
 * usage?}; ``canBranch`` adds Edit (yours) or Regenerate (answers).
 */
export function createMessage(message, { canBranch = false } = {}) {
  const li = document.createElement("li");
  li.className = `msg msg-${message.type}`;
  li.dataset.type = message.type;
  li.dataset.state = "done";
  const head = document.createElement("div");
  head.className = "msg-head";
  const role = document.createElement("span");
  role.className = "msg-role";
  role.textContent = ROLE[message.type] || message.type;
  const time = document.createElement("time");
  time.className = "msg-time";
  time.dataset.role = "time";
  setTime(time, message.created_at ? new Date(message.created_at) : new Date());
  head.append(role, time);
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  const body = document.createElement("div");
  if (message.type === "ai") { body.className = "md"; body.dataset.role = "markdown"; }
  else { body.className = "plain"; body.dataset.role = "text"; }
  bubble.append(body);
  const foot = document.createElement("div");
  foot.className = "msg-foot";
  const actions = document.createElement("span");
  actions.className = "msg-actions js-only";
  actions.append(button("copy", "Copy", "Copy message"));
  if (canBranch) {
    actions.append(message.type === "human"
      ? button("edit", "Edit", "Edit message")
      : button("regenerate", "Regenerate", "Regenerate answer"));
  }
  foot.append(actions);
  li.append(head, bubble, foot);
  setText(li, message.text || "");
  if (message.seq) { setSeq(li, message.seq); }
  if (message.stopped) { setStopped(li); }
  if (message.usage) { setUsage(li, message.usage); }
  return li;
}

export function setSeq(li, seq) {
  li.dataset.seq = String(seq);
  li.id = `m-${seq}`;
}

/** Replace the message's text now (and re-render it if it is an answer). */
export function setText(li, text) {
  sources.set(li, text);
  const md = li.querySelector("[data-role=markdown]");
  if (md) { md.replaceChildren(render(text)); return; }
  const plain = li.querySelector("[data-role=text]");
  if (plain) { plain.textContent = text; }
}

/** An answer arriving token by token: append() is cheap, rendering happens once per frame. */
export class StreamingAnswer {
  constructor(li, { onRender } = {}) {
    this.li = li;
    this.text = textOf(li);
    this.onRender = onRender;
    this.frame = 0;
  }
  append(piece) { this.set(this.text + piece); }
  set(text) {
    this.text = text;
    sources.set(this.li, text);
    if (!this.frame) { this.frame = requestAnimationFrame(() => this.flush()); }
  }
  flush() {
    if (this.frame) { cancelAnimationFrame(this.frame); this.frame = 0; }
    setText(this.li, this.text);
    if (this.onRender) { this.onRender(); }
  }
}

export function setStopped(li) {
  li.dataset.stopped = "true";
  if (li.querySelector("[data-role=stopped]")) { return; }
  const flag = document.createElement("span");
  flag.className = "msg-flag msg-flag-warn";
  flag.dataset.role = "stopped";
  flag.title = "You stopped this answer; what was written until then is kept.";
  flag.textContent = "Stopped";
  li.querySelector(".msg-foot").prepend(flag);
}

/** Token usage as the model reported it ({input_tokens, output_tokens, total_tokens}). */
export function setUsage(li, usage) {
  if (!usage || usage.input_tokens === undefined) { return; }
  let span = li.querySelector("[data-role=usage]");
  if (!span) {
    span = document.createElement("span");
    span.className = "msg-usage";
    span.dataset.role = "usage";
    const stopped = li.querySelector("[data-role=stopped]");
    if (stopped) { stopped.after(span); } else { li.querySelector(".msg-foot").prepend(span); }
  }
  span.title = `Tokens reported by the model: ${usage.input_tokens} in the prompt, ${usage.output_tokens} in the answer`;
  span.textContent = `${usage.input_tokens} in · ${usage.output_tokens} out tokens`;
}

/** The stored turn's details, from the stream's ``done`` event or the updates endpoint. */
export function finishMessage(li, { seq, stopped, usage, created_at: createdAt } = {}) {
  li.dataset.state = "done";
  li.classList.remove("is-pending");
  if (seq) { setSeq(li, seq); }
  if (stopped) { setStopped(li); }
  if (usage) { setUsage(li, usage); }
  if (createdAt) { setTime(li.querySelector("[data-role=time]"), new Date(createdAt)); }
}

/** The Copy buttons of a message list (a message, a code block); true when the click was one. */
export function handleCopyClick(event) {
  const button = event.target.closest("button[data-action=copy], button[data-action=copy-code]");
  if (!button) { return false; }
  if (button.dataset.action === "copy") {
    copyWithFeedback(button, textOf(button.closest("li.msg")));
  } else {
    const code = button.closest(".code-block").querySelector("code");
    copyWithFeedback(button, code ? code.textContent : "");
  }
  return true;
}
