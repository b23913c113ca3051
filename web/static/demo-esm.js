// The ES-module embedding, as a host app would write it; events are listed on the page.
import { mountWidget } from "/static/widget.mjs";

const list = document.getElementById("events");
const widget = await mountWidget({ server: window.LR_CONFIG.server, title: "两融智能助手" });
for (const name of ["open", "close", "message", "logout"]) {
  widget.on(name, (detail) => {
    const li = document.createElement("li");
    li.textContent = name + (detail && detail.text ? "：" + detail.text.slice(0, 40) : "");
    li.dataset.event = name;
    list.appendChild(li);
  });
}
window.demoWidget = widget;
