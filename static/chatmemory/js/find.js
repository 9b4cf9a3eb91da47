/* Find, organize, share, your data (every signed-in page): Copy buttons ([data-copy]), a
 * confirmation before irreversible forms (form[data-confirm]), and the import form's progress
 * (POST as text/event-stream: progress events, then done or error; see transfer/uploads.py). */
import { copyWithFeedback } from "./clipboard.js";
import { postEventStream } from "./sse.js";

function initCopyButtons(root) {
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (button) { copyWithFeedback(button, button.dataset.copy); }
  });
}

function initConfirmations(root) {
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  }
}

function line(text, className) {
  const p = document.createElement("p");
  if (className) { p.className = className; }
  p.textContent = text;
  return p;
}

function showResult(box, event, data) {
  box.replaceChildren();
  if (event === "done") {
    box.className = "banner banner-success";
    box.append(line(`Imported ${data.imported} conversation(s) (${data.messages} messages); ${data.skipped_existing} `
      + `were imported before, ${data.skipped_empty} were empty${data.invalid ? `, ${data.invalid} invalid ones skipped` : ""}.`));
  } else {
    box.className = "banner banner-error";
    box.append(line(`Nothing was imported: ${data.detail || "the file could not be read"}.`));
  }
  const problems = data.problems || [];
  if (problems.length) {
    const list = document.createElement("ul");
    for (const problem of problems) { const li = document.createElement("li"); li.textContent = problem; list.append(li); }
    box.append(list);
  }
}

function initImport(form) {
  if (!form) { return; }
  const progress = form.querySelector("[data-role=import-progress]");
  const bar = form.querySelector("[data-role=import-bar]");
  const status = form.querySelector("[data-role=import-status]");
  const result = form.querySelector("[data-role=import-result]");
  const submit = form.querySelector("[data-role=import-submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) { return; }
    submit.disabled = true;
    progress.hidden = false;
    bar.removeAttribute("value");
    status.textContent = "Uploading…";
    result.replaceChildren();
    result.className = "";
    try {
      await postEventStream(form.action, new FormData(form), (name, data) => {
        if (name === "progress") {
          if (data.phase === "checking") {
            bar.removeAttribute("value");
            status.textContent = `Checking the file: ${data.done} conversation(s) read…`;
          } else {
            bar.max = Math.max(data.total, 1);
            bar.value = data.done;
            status.textContent = `Importing: ${data.done} of ${data.total} conversation(s)…`;
          }
        } else if (name === "done" || name === "error") {
          progress.hidden = true;
          showResult(result, name, data);
        }
      });
    } catch (error) {
      progress.hidden = true;
      showResult(result, "error", { detail: error.message.replace(/\.$/, "") });
    } finally {
      submit.disabled = false;
    }
  });
}

export function initFind(root = document) {
  initCopyButtons(root);
  initConfirmations(root);
  initImport(root.querySelector("form[data-role=import-form]"));
}
