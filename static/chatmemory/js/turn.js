/* One turn on the page: POST the message (or the branch request), stream the answer into the
 * AI bubble, finish both bubbles with what was stored. The events (web/views/chat.py):
 *   session {id, url, title, display_title, urls, parent?, versions?}  a conversation was created
 *   turn    {turn}                    the id Stop refers to
 *   token   {text}                    a piece of the answer
 *   done    {seqs: [h, a], stopped, usage, created_at, session: {…}}   the turn is stored
 *   error   {error, detail, discarded?}   nothing stored (discarded: the new conversation is gone)
 */
import { RequestError } from "./net.js";
import { postEventStream } from "./sse.js";
import { StreamingAnswer, finishMessage } from "./messages.js";

function sentence(text) {
  const t = String(text || "The model failed to answer").trim();
  return (t.charAt(0).toUpperCase() + t.slice(1)).replace(/([^.!?])$/, "$1.");
}

/**
 * Run a turn. ``hooks``: onSession(info), onTurn(id), onRender().
 * Resolves with the ``done`` data; rejects with a RequestError whose ``stage`` is "before"
 * (nothing reached the model or the turn failed: nothing stored) or "during" (the connection
 * broke mid-answer: the server still finishes and stores the turn, follow it with updates).
 */
export async function runTurn(url, fields, humanLi, aiLi, hooks = {}) {
  const answer = new StreamingAnswer(aiLi, { onRender: hooks.onRender });
  let done = null;
  let started = false;
  let created = null;
  try {
    await postEventStream(url, fields, (event, data) => {
      if (event === "session") { created = data; if (hooks.onSession) { hooks.onSession(data); } }
      else if (event === "turn") { started = true; if (hooks.onTurn) { hooks.onTurn(data.turn); } }
      else if (event === "token") { aiLi.dataset.state = "streaming"; answer.append(data.text); }
      else if (event === "done") { done = data; return false; }
      else if (event === "error") {
        const failure = new RequestError(sentence(data.detail), { code: data.error || "model_error" });
        failure.discarded = Boolean(data.discarded);
        throw failure;
      }
      return true;
    });
  } catch (error) {
    const network = error.code === "unreachable" || error.code === "offline";
    error.stage = started && network ? "during" : "before";
    error.created = created;
    answer.flush();
    throw error;
  }
  if (!done) {
    const broken = new RequestError("The connection broke before the answer was complete.", { code: "interrupted" });
    broken.stage = started ? "during" : "before";
    broken.created = created;
    answer.flush();
    throw broken;
  }
  answer.flush();
  const [humanSeq, aiSeq] = done.seqs || [];
  finishMessage(humanLi, { seq: humanSeq, created_at: done.created_at });
  finishMessage(aiLi, { seq: aiSeq, stopped: done.stopped, usage: done.usage, created_at: done.created_at });
  return done;
}
