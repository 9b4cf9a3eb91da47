/* Editing one of your messages, in place: the bubble becomes a box; "Send" makes a branch (a
 * new conversation with the messages before this one, then the edited message and a new
 * answer); this conversation is left exactly as it is. */
import { textOf } from "./messages.js";

/** Open the editor on ``li``; ``onSubmit(text)`` when sent, nothing when cancelled. */
export function openEditor(li, { maxChars, onSubmit, onError }) {
  if (li.querySelector(".msg-edit")) { li.querySelector(".msg-edit textarea").focus(); return; }
  const bubble = li.querySelector(".bubble");
  const form = document.createElement("form");
  form.className = "msg-edit";
  const label = document.createElement("label");
  label.className = "visually-hidden";
  label.textContent = "Edit your message";
  const box = document.createElement("textarea");
  box.value = textOf(li);
  box.rows = Math.min(12, Math.max(3, box.value.split("\n").length + 1));
  label.append(box);
  const actions = document.createElement("div");
  actions.className = "msg-edit-actions";
  const note = document.createElement("span");
  note.className = "muted";
  note.textContent = "Sends as a new branch; this conversation stays as it is.";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "btn btn-ghost btn-small";
  cancel.textContent = "Cancel";
  const send = document.createElement("button");
  send.type = "submit";
  send.className = "btn btn-primary btn-small";
  send.textContent = "Send";
  actions.append(note, cancel, send);
  form.append(label, actions);
  bubble.hidden = true;
  bubble.after(form);
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);

  const close = () => { form.remove(); bubble.hidden = false; };
  cancel.addEventListener("click", close);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); close(); }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = box.value;
    if (!text.trim()) { onError("Write a message first."); return; }
    if (maxChars && text.length > maxChars) {
      onError(`This message is ${text.length.toLocaleString("en-US")} characters long; the limit is ${maxChars.toLocaleString("en-US")}.`);
      return;
    }
    close();
    onSubmit(text);
  });
}
