/* Server-sent events over fetch(): POST a form, read "event: <name>\ndata: <json>\n\n" blocks.
 * (EventSource cannot POST.) The stream protocol of a turn is documented in
 * sessions_app's web/views/chat.py: turn, session, token…, then done or error. */
import { networkError, postForm, responseError } from "./net.js";

function parseBlock(block) {
  let event = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) { event = line.slice(6).trim(); }
    else if (line.startsWith("data:")) { data += line.slice(5).trim(); }
  }
  return { event, data: data ? JSON.parse(data) : {} };
}

/**
 * POST ``fields`` to ``url`` asking for text/event-stream and call ``onEvent(name, data)`` for
 * each event as it arrives. Resolves when the stream ends; ``onEvent`` returning false stops
 * reading (the rest of the stream is dropped, the server still finishes its work).
 * Throws RequestError when the server answers something else (its JSON error) or cannot be reached.
 */
export async function postEventStream(url, fields, onEvent, { signal } = {}) {
  const response = await postForm(url, fields, { accept: "text/event-stream", signal });
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok || !type.startsWith("text/event-stream")) {
    throw await responseError(response);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw networkError(error); // the connection broke mid-stream
    }
    if (chunk.done) { return; }
    buffer += decoder.decode(chunk.value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const { event, data } = parseBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (onEvent(event, data) === false) {
        reader.cancel().catch(() => {});
        return;
      }
    }
  }
}
