/* Scrolling of the message list: follow the answer while the reader is at the bottom, never
 * yank them back when they scrolled up to read; a "Latest" button takes them down. */
const NEAR = 80; // pixels from the bottom that still count as "at the bottom"

export class Scroller {
  constructor(element, button, content) {
    this.element = element;
    this.button = button;
    this.pinned = true;
    if (!element) { return; }
    element.addEventListener("scroll", () => this.update(), { passive: true });
    if (button) { button.addEventListener("click", () => this.toBottom({ smooth: true })); }
    // The list grew or the window changed size: keep the bottom in view if it was.
    const observer = new ResizeObserver(() => { if (this.pinned) { this.toBottom(); } else { this.update(); } });
    observer.observe(element);
    if (content) { observer.observe(content); }
  }

  distance() { return this.element.scrollHeight - this.element.scrollTop - this.element.clientHeight; }

  update() {
    this.pinned = this.distance() <= NEAR;
    if (this.button) { this.button.hidden = this.pinned; }
  }

  /** Content grew: stay at the bottom if the reader was there. */
  follow() {
    if (this.element && this.pinned) { this.toBottom(); } else { this.update(); }
  }

  toBottom({ smooth = false } = {}) {
    if (!this.element) { return; }
    this.element.scrollTo({ top: this.element.scrollHeight, behavior: smooth ? "smooth" : "auto" });
    this.pinned = true;
    if (this.button) { this.button.hidden = true; }
  }
}
