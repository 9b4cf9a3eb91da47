/* Following an answer that is being written without this page's stream: the page was opened
 * (or reloaded) mid-answer, or its connection broke while the server went on. The server keeps
 * the question and the answer so far while a turn runs (sessions_app/conversations/live.py);
 * this polls the conversation's updates until the turn is stored, showing the answer grow. */
import { RequestError, getJSON } from "./net.js";
import { StreamingAnswer } from "./messages.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll ``updatesUrl`` (?after=<afterSeq>) until no turn is pending; resolves with the updates
 * ({session, pending: null, messages: [stored messages after afterSeq]}). ``aiLi`` shows the
 * partial answer; ``onStatus(text)`` gets "still answering…" or why the server is not reachable.
 * Gives up after ``maxWaitMs`` (the server drops a pending turn that stops reporting long before).
 */
export async function followPending(updatesUrl, afterSeq, aiLi, { onRender, onStatus, maxWaitMs = 15 * 60 * 1000 } = {}) {
  const answer = new StreamingAnswer(aiLi, { onRender });
  const deadline = Date.now() + maxWaitMs;
  let delay = 600;
  while (Date.now() < deadline) {
    let data;
    try {
      data = await getJSON(`${updatesUrl}?after=${encodeURIComponent(afterSeq)}`);
      delay = 600;
    } catch (error) {
      onStatus(`${error.message} Retrying…`);
      delay = Math.min(delay * 2, 5000);
      await sleep(delay);
      continue;
    }
    if (!data.pending) { answer.flush(); return data; }
    onStatus("still answering…");
    if (data.pending.partial !== answer.text) { answer.set(data.pending.partial || ""); }
    await sleep(delay);
  }
  throw new RequestError("The answer is taking very long: reload the page later to see it.", { code: "timeout" });
}

/**
 * Poll for the title the server makes after the first exchange (a Celery task; never part
 * of the turn). Calls ``onTitle(session)`` once it is there; gives up after about 30 s.
 */
export async function waitForTitle(updatesUrl, onTitle) {
  for (const seconds of [1, 2, 3, 5, 8, 13]) {
    await sleep(seconds * 1000);
    try {
      const data = await getJSON(updatesUrl); // no ?after: the session only
      if (data.session && data.session.title) { onTitle(data.session); return; }
    } catch (ignored) { /* try again later */ }
  }
}
