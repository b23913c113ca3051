/* The chat widget as an ES module, for host apps built with a bundler or <script type="module">.
 *
 *   import { mountWidget } from "https://pages.example.com/static/widget.mjs";
 *   const widget = await mountWidget({
 *     server: "https://bot.example.com",      // Rasa (socket.io + REST), required
 *     title: "两融智能助手",                    // panel title
 *     primaryColor: "#a8071a",                // brand colour (CSS colour)
 *     fullPage: false,                        // true: fills the page (mobile WebView), no launcher
 *     getToken: () => hostApp.currentToken(), // the logged-in client's JWT, or null
 *     hotQuestions: null,                     // [{title, question}] to override the greeting's chips
 *     socketTimeoutMs: 4000,
 *   });
 *   const off = widget.on("message", (m) => console.log(m.from, m.text));  // also "open", "close", "logout"
 *   widget.open(); widget.close(); widget.endConversation(); off();
 *
 * It loads widget.js (and with it widget.css, strings.js and the vendored socket.io client)
 * from beside itself; mounting twice returns the same widget. */
const EVENTS = ["open", "close", "message", "logout"];

function handle(w) {
  return {
    open: () => w.open(),
    close: () => w.close(),
    endConversation: () => w.endConversation(),
    logout: () => (w.logout ? w.logout() : w.emit("logout")),
    get sessionId() { return w.sessionId; },
    on(name, fn) {
      if (!EVENTS.includes(name)) throw new Error(`unknown widget event: ${name} (one of ${EVENTS.join(", ")})`);
      return w.on(name, fn);
    },
  };
}

let mounting = null;

export function mountWidget(config = {}) {
  if (mounting) return mounting;
  mounting = new Promise((resolve, reject) => {
    if (window.LRWidget) { resolve(handle(window.LRWidget)); return; }
    window.LR_CONFIG = Object.assign({}, window.LR_CONFIG || {}, config);
    window.addEventListener("lr:ready", () => resolve(handle(window.LRWidget)), { once: true });
    const script = document.createElement("script");
    script.src = config.scriptUrl || new URL("./widget.js", import.meta.url).href;
    script.onerror = () => reject(new Error("widget.js could not be loaded"));
    document.head.appendChild(script);
  });
  return mounting;
}

export default mountWidget;
