/* chatmemory chat page: send a message, stream the answer in (fetch + ReadableStream of SSE).
 *
 * The server answers POST <form action> with text/event-stream:
 *   event: token  data: {"text": "..."}      (repeated)
 *   event: done   data: {"seqs": [h, a]}     (the turn is stored)
 *   event: error  data: {"error", "detail"}  (nothing stored)
 * or, before streaming, an HTTP error with JSON {"error", "detail"} (400 empty/too long, 404, 409).
 * All text is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var scroller = document.getElementById("chat-scroll");
  function scrollDown() { if (scroller) { scroller.scrollTop = scroller.scrollHeight; } }
  scrollDown();

  var form = document.getElementById("composer");
  if (!form) { return; }
  var input = form.querySelector("textarea");
  var button = form.querySelector("button[type=submit]");
  var list = document.getElementById("messages");
  var errorBox = document.getElementById("chat-error");
  var countEl = document.querySelector("[data-role=message-count]");
  var maxChars = parseInt(form.dataset.max || "0", 10);

  function bubble(type, text) {
    var li = document.createElement("li");
    li.className = "msg msg-" + type;
    var role = document.createElement("div");
    role.className = "msg-role";
    role.textContent = type === "human" ? "You" : "Assistant";
    var body = document.createElement("div");
    body.className = "bubble";
    body.textContent = text;
    li.appendChild(role);
    li.appendChild(body);
    list.appendChild(li);
    return li;
  }

  function showError(text) { errorBox.textContent = text; errorBox.hidden = false; }
  function clearError() { errorBox.textContent = ""; errorBox.hidden = true; }
  function busy(on) {
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    button.textContent = on ? "Sending…" : "Send";
  }
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, Math.round(window.innerHeight * 0.4)) + "px";
  }

  function parseEvent(block) {
    var event = "message";
    var data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) { event = line.slice(6).trim(); }
      else if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
    });
    return { event: event, data: data ? JSON.parse(data) : {} };
  }

  async function describeFailure(response, type) {
    if (type.indexOf("application/json") === 0) {
      try {
        var body = await response.json();
        if (body && body.detail) { return capitalize(body.detail) + "."; }
      } catch (ignored) { /* fall through */ }
    }
    if (response.redirected || response.status === 401) {
      return "Your login has expired: reload the page and log in again.";
    }
    if (response.status === 403) {
      return "This page is out of date (security check failed): reload it and try again.";
    }
    return "The server answered " + response.status + ".";
  }

  function capitalize(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : text; }

  async function send() {
    var text = input.value;
    if (!text.trim()) { showError("Write a message first."); input.focus(); return; }
    if (maxChars && text.length > maxChars) {
      showError("The message is longer than " + maxChars + " characters."); return;
    }
    clearError();
    busy(true);
    var empty = document.getElementById("empty-chat");
    if (empty) { empty.hidden = true; }
    var human = bubble("human", text);
    human.classList.add("is-pending");
    var ai = bubble("ai", "");
    ai.dataset.state = "waiting";
    var aiText = ai.querySelector(".bubble");
    scrollDown();
    var done = null;
    try {
      var response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "text/event-stream" },
        credentials: "same-origin",
      });
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("text/event-stream") !== 0) {
        throw new Error(await describeFailure(response, type));
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) { break; }
        buffer += decoder.decode(chunk.value, { stream: true });
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          var ev = parseEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (ev.event === "token") {
            ai.dataset.state = "streaming";
            aiText.textContent += ev.data.text;
            scrollDown();
          } else if (ev.event === "done") {
            done = ev.data;
          } else if (ev.event === "error") {
            throw new Error(capitalize(ev.data.detail || "The model failed to answer."));
          }
        }
      }
      if (!done) {
        throw new Error("The connection was interrupted before the answer was complete; reload to see what was stored.");
      }
      human.classList.remove("is-pending");
      if (done.seqs && done.seqs.length === 2) {
        human.dataset.seq = done.seqs[0];
        ai.dataset.seq = done.seqs[1];
      }
      ai.dataset.state = "done";
      input.value = "";
      autosize();
      if (countEl) { countEl.textContent = String(parseInt(countEl.textContent, 10) + 2); }
    } catch (err) {
      // Nothing was stored: take the bubbles away, keep the text in the box.
      human.remove();
      ai.remove();
      if (empty && !list.children.length) { empty.hidden = false; }
      showError(err.message + " Your message is still in the box.");
    } finally {
      busy(false);
      input.focus();
    }
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); send(); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!button.disabled) { send(); }
    }
  });
  input.addEventListener("input", autosize);
  autosize();
})();
