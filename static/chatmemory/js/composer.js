/* The message box: grows with its text, Enter sends, Shift+Enter is a new line, Send becomes
 * Stop while an answer is written. No maxlength (which cuts a paste silently): over the limit
 * the box says by how much, in words, and Send is refused until it fits. */

function formatNumber(n) { return n.toLocaleString("en-US"); }

export class Composer {
  /**
   * ``form``: #composer; ``maxChars``: the server's limit; ``onSend(text)`` and ``onStop()``
   * are called by the buttons and keys; ``onError(message)`` shows a message to the user.
   */
  constructor(form, { maxChars, onSend, onStop, onError }) {
    this.form = form;
    this.input = form.querySelector("textarea");
    this.sendButton = form.querySelector("#send-button");
    this.stopButton = form.querySelector("#stop-button");
    this.counter = document.getElementById("composer-count");
    this.maxChars = maxChars;
    this.onSend = onSend;
    this.onStop = onStop;
    this.onError = onError;
    this.busy = false;

    form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
    this.stopButton.addEventListener("click", () => this.onStop());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => { this.autosize(); this.checkLength(); });
    this.input.addEventListener("paste", () => setTimeout(() => this.checkLength({ pasted: true }), 0));
    this.autosize();
    this.checkLength();
  }

  get value() { return this.input.value; }

  set value(text) { this.input.value = text; this.autosize(); this.checkLength(); }

  focus() { this.input.focus({ preventScroll: true }); }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight, Math.round(window.innerHeight * 0.4)) + "px";
  }

  /** The over-the-limit message, or "" when the text fits. */
  lengthProblem() {
    const length = this.input.value.length;
    if (!this.maxChars || length <= this.maxChars) { return ""; }
    return `This message is ${formatNumber(length)} characters long; the limit is ${formatNumber(this.maxChars)}. `
      + `Shorten it by ${formatNumber(length - this.maxChars)} characters or send it in several parts.`;
  }

  checkLength({ pasted = false } = {}) {
    const length = this.input.value.length;
    const over = Boolean(this.maxChars) && length > this.maxChars;
    this.form.classList.toggle("is-over", over);
    this.input.setAttribute("aria-invalid", over ? "true" : "false");
    if (this.counter) {
      const near = this.maxChars && length >= this.maxChars * 0.9;
      this.counter.textContent = near ? `${formatNumber(length)} / ${formatNumber(this.maxChars)}` : "";
      this.counter.classList.toggle("is-over", over);
    }
    if (over && pasted) { this.onError(this.lengthProblem()); }
    return !over;
  }

  submit() {
    if (this.busy) {
      this.onError("The assistant is still answering: wait for it, or press Stop.");
      return;
    }
    const text = this.input.value;
    if (!text.trim()) { this.onError("Write a message first."); this.focus(); return; }
    const problem = this.lengthProblem();
    if (problem) { this.onError(problem); this.focus(); return; }
    this.onSend(text);
  }

  /** Sent: the box is cleared at once, so what is typed next is never lost. */
  clear() { this.value = ""; }

  /** Give back text that was not stored (a failed turn), without losing what was typed since. */
  restore(text) {
    const current = this.input.value;
    this.value = current.trim() ? `${text}\n\n${current}` : text;
  }

  setBusy(busy) {
    this.busy = busy;
    this.form.setAttribute("aria-busy", busy ? "true" : "false");
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.stopButton.disabled = false;
    this.stopButton.textContent = "Stop";
  }

  stopping() {
    this.stopButton.disabled = true;
    this.stopButton.textContent = "Stopping…";
  }
}
