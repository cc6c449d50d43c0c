// jobgate sandbox: a Slack-like workspace in the browser. No build step, no network beyond
// this page's own server. Every piece of text goes into the page with textContent: employer
// text can never become HTML or script.
"use strict";

const S = {
  me: null, data: null, etag: "", place: null, tab: "channel", thread: null,
  seen: {}, shownEphemerals: new Set(), modalSig: "", homeSig: "", homeOpened: null, jumpTo: null, pollTimer: null,
};
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ---------------------------------------------------------------- talking to the server

async function api(path, body) {
  let data = {};
  try {
    const response = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: S.me, ...body }),
    });
    data = await response.json().catch(() => ({}));
    if (!response.ok || data.ok === false) toast(data.error || `HTTP ${response.status}`, true);
    else if (data.said) toast(data.said);
  } catch (error) {
    toast(`The sandbox is not answering (${error.message}).`, true);
  }
  soon();
  return data;
}

async function poll() {
  clearTimeout(S.pollTimer);
  const asked = (S.asked = (S.asked || 0) + 1);
  try {
    const query = new URLSearchParams({ user: S.me, etag: S.etag });
    const response = await fetch(`/ui/state?${query}`);
    const data = await response.json();
    setStatus(true);
    if (asked < (S.shown || 0)) return;
    S.shown = asked;
    if (response.ok && !data.same) {
      S.data = data;
      S.etag = data.etag;
      render();
    }
  } catch (error) {
    setStatus(false);
  }
  S.pollTimer = setTimeout(poll, 700);
}

function soon() {
  for (const delay of [60, 250, 600]) setTimeout(() => { S.etag && poll(); }, delay);
}

function setStatus(online) {
  const status = $("status");
  status.textContent = online ? "Connected to the sandbox" : "The sandbox is not answering…";
  status.classList.toggle("offline", !online);
}

function toast(text, error) {
  const node = el("div", { class: error ? "toast error" : "toast", role: "status", text });
  $("toasts").append(node);
  setTimeout(() => node.remove(), error ? 6000 : 3500);
}

// ---------------------------------------------------------------- people and names

function person(id) {
  if (!S.data) return null;
  if (S.data.bot && id === S.data.bot.id) return { id, real_name: "jobgate", name: "jobgate" };
  return S.data.people.find((p) => p.id === id) || null;
}

function displayName(id) {
  const found = person(id);
  return found ? found.real_name : id;
}

function avatar(id, bot, small) {
  const cls = `avatar${bot ? " bot" : ""}${small ? " small" : ""}`;
  if (bot) return el("div", { class: cls, text: "jg", "aria-hidden": "true" });
  const name = displayName(id || "?");
  const initials = name.split(/\s+/).map((w) => w[0] || "").join("").slice(0, 2);
  let hash = 0;
  for (const ch of id || "") hash = (hash * 31 + ch.charCodeAt(0)) % 360;
  const node = el("div", { class: cls, text: initials, "aria-hidden": "true" });
  node.style.background = `hsl(${hash}, 45%, 42%)`;
  return node;
}

const ROLE_WORDS = {
  reviewer: "Reviewer: can approve, decline and hold",
  admin: "Admin: reviews and changes settings",
  staff: "Staff, not a reviewer: clicks are refused",
  guest: "Guest",
};

// ---------------------------------------------------------------- mrkdwn

const EMOJI = {
  white_check_mark: "✅", x: "❌", warning: "⚠️", no_entry: "⛔", star: "⭐",
  hourglass_flowing_sand: "⏳", hourglass: "⌛", double_vertical_bar: "⏸️", zzz: "💤",
  robot_face: "🤖", triangular_flag_on_post: "🚩", rotating_light: "🚨", raising_hand: "🙋",
  ocean: "🌊", speech_balloon: "💬", repeat: "🔁", mag: "🔍", leftwards_arrow_with_hook: "↩️",
  label: "🏷️", bell: "🔔", arrows_counterclockwise: "🔄", alarm_clock: "⏰", tada: "🎉",
  memo: "📝", inbox_tray: "📥", calendar: "📅", bust_in_silhouette: "👤", page_facing_up: "📄",
  link: "🔗", lock: "🔒", clipboard: "📋", chart_with_upwards_trend: "📈", wave: "👋",
  heavy_check_mark: "✔️", email: "📧", office: "🏢", briefcase: "💼", eyes: "👀",
  large_green_circle: "🟢", large_yellow_circle: "🟡", red_circle: "🔴", sunrise: "🌅",
  information_source: "ℹ️", busts_in_silhouette: "👥", pushpin: "📌", gear: "⚙️",
};

function decode(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
  return `${n}${s}`;
}

function slackDate(unix, format, fallback) {
  const d = new Date(unix * 1000);
  if (Number.isNaN(d.getTime())) return fallback;
  const today = new Date();
  const dayDiff = Math.round((new Date(d.toDateString()) - new Date(today.toDateString())) / 864e5);
  const pretty = { 0: "Today", [-1]: "Yesterday", 1: "Tomorrow" }[dayDiff];
  const mon = MONTHS[d.getMonth()];
  const date = `${mon} ${ordinal(d.getDate())}, ${d.getFullYear()}`;
  const short = `${mon.slice(0, 3)} ${d.getDate()}, ${d.getFullYear()}`;
  const long = `${DAYS[d.getDay()]}, ${date}`;
  const secondsAgo = Math.round((Date.now() - d) / 1000);
  const ago = secondsAgo < 60 ? "just now" : secondsAgo < 3600 ? `${Math.round(secondsAgo / 60)} minutes ago`
    : secondsAgo < 86400 ? `${Math.round(secondsAgo / 3600)} hours ago` : `${Math.round(secondsAgo / 86400)} days ago`;
  const tokens = {
    date_num: d.toISOString().slice(0, 10), date, date_short: short, date_long: long,
    date_pretty: pretty || date, date_short_pretty: pretty || short, date_long_pretty: pretty || long,
    time: d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }),
    time_secs: d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit", second: "2-digit" }),
    ago,
  };
  let unknown = false;
  const out = format.replace(/\{(\w+)\}/g, (all, name) => {
    if (name in tokens) return tokens[name];
    unknown = true;
    return all;
  });
  return unknown ? fallback : out;
}

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

function link(url, label) {
  const href = safeUrl(url);
  if (!href) return document.createTextNode(label);
  const here = href.startsWith(location.origin + "/archives/");
  const a = el("a", { href, text: label, target: here ? null : "_blank", rel: "noopener noreferrer" });
  if (here) {
    a.addEventListener("click", (event) => { event.preventDefault(); openPermalink(href); });
  }
  return a;
}

// <...> tokens: mentions, channels, dates, special mentions and links
function token(inner) {
  const [target, ...rest] = inner.split("|");
  const label = rest.join("|");
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const me = id === S.me;
    return el("span", { class: me ? "mention me" : "mention", text: "@" + (person(id) ? displayName(id) : decode(label || id)) });
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const channel = S.data && S.data.channels.find((c) => c.id === id);
    return el("span", { class: "mention", text: "#" + (channel ? channel.name : decode(label || id)) });
  }
  if (target.startsWith("!date^")) {
    const [, unix, format] = target.split("^");
    return document.createTextNode(slackDate(Number(unix), format || "{date}", decode(label)));
  }
  if (target.startsWith("!subteam^")) return el("span", { class: "mention", text: decode(label || "@group") });
  if (target.startsWith("!")) return el("span", { class: "mention", text: "@" + target.slice(1).split("^")[0] });
  const url = decode(target);
  return link(url, label ? decode(label) : url);
}

function plainRun(text, into) {
  // bare URLs become links, as Slack shows them; everything else is text
  const parts = text.split(/(https?:\/\/[^\s<>]+)/g);
  parts.forEach((part, i) => {
    if (!part) return;
    const shown = emojify(decode(part));
    into.append(i % 2 ? link(decode(part), decode(part)) : document.createTextNode(shown));
  });
}

const INLINE = /(`[^`\n]+`)|(<[^<>\n]+>)|(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])|(?<![\w_])_(?!\s)([^_\n]+?)_(?![\w_])|(?<![\w~])~(?!\s)([^~\n]+?)~(?![\w~])/g;

function inline(text, into) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) plainRun(text.slice(last, match.index), into);
    const [all, code, tok, bold, italic, strike] = match;
    if (code) into.append(el("code", { text: decode(code.slice(1, -1)) }));
    else if (tok) into.append(token(tok.slice(1, -1)));
    else {
      const node = el(bold ? "b" : italic ? "i" : "s");
      inline(bold || italic || strike, node);
      into.append(node);
    }
    last = match.index + all.length;
  }
  if (last < text.length) plainRun(text.slice(last), into);
}

function mrkdwn(text) {
  const root = el("div", { class: "text" });
  String(text || "").split("```").forEach((chunk, index) => {
    if (index % 2) {
      root.append(el("pre", { class: "pre", text: decode(chunk.replace(/^\n/, "")) }));
      return;
    }
    let quote = null;
    chunk.split("\n").forEach((line, i) => {
      if (line.startsWith(">")) {
        if (quote) quote.append("\n");
        else root.append((quote = el("blockquote")));
        inline(line.slice(1), quote);
        return;
      }
      if (i > 0 && !quote) root.append("\n");
      quote = null;
      inline(line, root);
    });
  });
  return root;
}

function textObject(object) {
  if (!object) return document.createTextNode("");
  if (object.type === "mrkdwn") return mrkdwn(object.text);
  const text = decode(object.text || "");
  return el("span", { class: "text", text: object.emoji === false ? text : emojify(text) });
}

function plainText(object) {
  const text = decode((object && object.text) || "");
  return object && object.emoji === false ? text : emojify(text);
}

// ---------------------------------------------------------------- Block Kit

// ctx: { surface: "message"|"modal"|"home", act(element, block, choice), viewErrors }
function renderBlocks(blocks, ctx) {
  const root = el("div", { class: "blocks" });
  for (const block of blocks || []) root.append(renderBlock(block, ctx));
  return root;
}

function renderBlock(block, ctx) {
  switch (block.type) {
    case "header":
      return el("div", { class: "b-header", text: plainText(block.text) });
    case "section": {
      const content = el("div", { class: "content" });
      if (block.text) content.append(textObject(block.text));
      if (block.fields) content.append(el("div", { class: "fields" }, block.fields.map(textObject)));
      const node = el("div", { class: "b-section", dataset: { blockId: block.block_id || "" } }, content);
      if (block.accessory) node.append(renderElement(block.accessory, block, ctx));
      return node;
    }
    case "context":
      return el("div", { class: "b-context" }, (block.elements || []).map((e) =>
        e.type === "image" ? el("span", { text: e.alt_text || "" }) : textObject(e)));
    case "divider":
      return el("hr", { class: "b-divider" });
    case "actions":
      return el("div", { class: "b-actions", dataset: { blockId: block.block_id || "" } },
        (block.elements || []).map((e) => renderElement(e, block, ctx)));
    case "input":
      return renderInput(block, ctx);
    default:
      return el("div", { class: "b-unknown", text: `[${block.type} block]` });
  }
}

function renderElement(element, block, ctx) {
  const id = element.action_id || "";
  switch (element.type) {
    case "button": {
      const classes = ["btn", element.style || ""].join(" ").trim();
      const node = el("button", { type: "button", class: classes, dataset: { actionId: id }, text: plainText(element.text) });
      node.addEventListener("click", async () => {
        if (element.url) window.open(safeUrl(element.url) || "about:blank", "_blank", "noopener");
        if (element.confirm && !(await confirmDialog(element.confirm))) return;
        node.disabled = true;
        await ctx.act(element, block, { value: element.value });
        node.disabled = false;
      });
      return node;
    }
    case "overflow": {
      const menu = el("div", { class: "menu", role: "menu", hidden: true });
      const toggle = el("button", { type: "button", class: "btn", "aria-label": "More actions", dataset: { actionId: id }, text: "⋮" });
      toggle.addEventListener("click", (event) => {
        event.stopPropagation();
        const open = menu.hidden;
        closeMenus();
        menu.hidden = !open;
      });
      for (const option of element.options || []) {
        menu.append(el("button", {
          type: "button", role: "menuitem", text: plainText(option.text),
          dataset: { value: option.value },
          onclick: (event) => {
            event.stopPropagation();
            menu.hidden = true;
            ctx.act(element, block, { selected: option.value });
          },
        }));
      }
      return el("div", { class: "overflow" }, toggle, menu);
    }
    case "static_select":
      return staticSelect(element, block, ctx);
    case "multi_static_select":
      return multiSelect(element, block, ctx);
    case "plain_text_input": {
      const attrs = {
        class: "field", dataset: { actionId: id }, placeholder: element.placeholder ? plainText(element.placeholder) : null,
        maxlength: element.max_length || null,
      };
      const node = element.multiline ? el("textarea", attrs) : el("input", { ...attrs, type: "text" });
      node.value = element.initial_value || "";
      node.jgState = () => ({ type: "plain_text_input", value: node.value === "" ? null : node.value });
      node.jgRestore = (state) => { node.value = state.value || ""; };
      return node;
    }
    case "number_input": {
      const node = el("input", {
        class: "field", type: "number", dataset: { actionId: id }, min: element.min_value, max: element.max_value,
        step: element.is_decimal_allowed ? "any" : "1",
      });
      node.value = element.initial_value || "";
      node.jgState = () => ({ type: "number_input", value: node.value === "" ? null : node.value });
      node.jgRestore = (state) => { node.value = state.value || ""; };
      return node;
    }
    default:
      return el("span", { class: "b-unknown", text: `[${element.type}]` });
  }
}

function optionFor(element, value) {
  const option = (element.options || []).find((o) => o.value === value);
  return option ? { text: option.text, value: option.value } : null;
}

function dispatches(block, ctx) {
  return ctx.surface !== "modal" || block.type === "actions" || block.dispatch_action === true;
}

function staticSelect(element, block, ctx) {
  const select = el("select", { class: "select field", dataset: { actionId: element.action_id || "" } });
  select.append(el("option", { value: "", text: element.placeholder ? plainText(element.placeholder) : "Choose…", disabled: true }));
  for (const option of element.options || []) select.append(el("option", { value: option.value, text: plainText(option.text) }));
  select.value = element.initial_option ? element.initial_option.value : "";
  select.jgState = () => ({ type: "static_select", selected_option: optionFor(element, select.value) });
  select.jgRestore = (state) => { select.value = state.selected_option ? state.selected_option.value : ""; };
  select.addEventListener("change", () => {
    if (dispatches(block, ctx)) ctx.act(element, block, { selected: select.value });
  });
  return select;
}

function multiSelect(element, block, ctx) {
  let chosen = (element.initial_options || []).map((o) => o.value);
  const chips = el("div", { class: "chips" });
  const adder = el("select", { class: "select field", dataset: { actionId: element.action_id || "" } });
  const wrapper = el("div", { class: "multi", dataset: { actionId: element.action_id || "" } }, chips, adder);
  const draw = () => {
    chips.replaceChildren(...chosen.map((value) => {
      const option = optionFor(element, value);
      return el("span", { class: "chip" }, option ? plainText(option.text) : value,
        el("button", { type: "button", "aria-label": "Remove", text: "×", onclick: () => { chosen = chosen.filter((v) => v !== value); draw(); changed(); } }));
    }));
    adder.replaceChildren(el("option", { value: "", text: element.placeholder ? plainText(element.placeholder) : "Choose…" }));
    for (const option of element.options || []) {
      if (!chosen.includes(option.value)) adder.append(el("option", { value: option.value, text: plainText(option.text) }));
    }
    adder.value = "";
  };
  const changed = () => { if (dispatches(block, ctx)) ctx.act(element, block, { selected: [...chosen] }); };
  adder.addEventListener("change", () => {
    if (adder.value) { chosen.push(adder.value); draw(); changed(); }
  });
  wrapper.jgState = () => ({ type: "multi_static_select", selected_options: chosen.map((v) => optionFor(element, v) || { value: v }) });
  wrapper.jgRestore = (state) => { chosen = (state.selected_options || []).map((o) => o.value); draw(); };
  draw();
  return wrapper;
}

function renderInput(block, ctx) {
  const error = (ctx.viewErrors || {})[block.block_id];
  const inputId = `in-${block.block_id}`;
  const element = renderElement(block.element || {}, block, ctx);
  if (element.id !== undefined) element.id = inputId;
  return el("div", { class: error ? "b-input has-error" : "b-input", dataset: { blockId: block.block_id || "" } },
    el("label", { for: inputId }, plainText(block.label), block.optional ? el("span", { class: "optional", text: " (optional)" }) : null),
    element,
    block.hint ? el("div", { class: "hint", text: plainText(block.hint) }) : null,
    error ? el("div", { class: "error", role: "alert", text: error }) : null);
}

// The state of every input in a surface, in Slack's view.state.values shape.
function collectState(root) {
  const values = {};
  for (const node of root.querySelectorAll("[data-action-id]")) {
    if (!node.jgState) continue;
    const holder = node.closest("[data-block-id]");
    const blockId = holder ? holder.dataset.blockId : "";
    (values[blockId] = values[blockId] || {})[node.dataset.actionId] = node.jgState();
  }
  return values;
}

function restoreState(root, values) {
  for (const node of root.querySelectorAll("[data-action-id]")) {
    const holder = node.closest("[data-block-id]");
    const saved = holder && (values[holder.dataset.blockId] || {})[node.dataset.actionId];
    if (saved && node.jgRestore) node.jgRestore(saved);
  }
}

function closeMenus() {
  for (const menu of document.querySelectorAll(".menu")) menu.hidden = true;
  for (const tools of document.querySelectorAll(".hover-tools.open")) tools.classList.remove("open");
}
document.addEventListener("click", closeMenus);

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const layer = el("div", { class: "overlay confirm" });
    const done = (answer) => { layer.remove(); resolve(answer); };
    layer.append(el("div", { class: "modal", role: "dialog", "aria-modal": "true" },
      el("div", { class: "modal-head" }, el("h2", { text: plainText(confirm.title) || "Are you sure?" })),
      el("div", { class: "modal-body" }, textObject(confirm.text)),
      el("div", { class: "modal-foot" },
        el("button", { type: "button", class: "btn", text: plainText(confirm.deny) || "Cancel", onclick: () => done(false) }),
        el("button", { type: "button", class: `btn ${confirm.style === "danger" ? "danger" : "primary"}`, text: plainText(confirm.confirm) || "Yes", onclick: () => done(true) }))));
    document.body.append(layer);
  });
}

// ---------------------------------------------------------------- messages

function timeOf(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

function messageNode(message, channel, options) {
  const bot = message.bot;
  const name = bot ? "jobgate" : displayName(message.user);
  const ctx = {
    surface: "message",
    act: (element, block, choice) => api("/ui/click", { channel, ts: message.ts, action_id: element.action_id, ...choice }),
  };
  const content = message.blocks && message.blocks.length ? renderBlocks(message.blocks, ctx) : mrkdwn(message.text);
  const body = el("div", { class: "body" },
    el("div", { class: "meta" }, el("span", { class: "author", text: name }), bot ? el("span", { class: "app-badge", text: "APP" }) : null,
      el("span", { class: "time", title: message.ts, text: timeOf(message.ts) }), message.edited ? el("span", { class: "edited", text: "(edited)" }) : null),
    content);
  const node = el("div", { class: "message", dataset: { ts: message.ts, testid: "message" } }, avatar(message.user, bot), body);
  if (options.inChannel) {
    const replies = message.replies || [];
    if (replies.length) {
      const people = [...new Set(replies.map((r) => (r.bot ? "bot" : r.user)))].slice(0, 4);
      body.append(el("button", { type: "button", class: "thread-summary", dataset: { testid: "thread-summary" }, onclick: () => openThread(channel, message.ts) },
        people.map((p) => avatar(p === "bot" ? null : p, p === "bot", true)),
        el("span", { class: "count", text: `${replies.length} ${replies.length === 1 ? "reply" : "replies"}` }),
        el("span", { class: "last", text: `Last reply ${timeOf(replies[replies.length - 1].ts)}` })));
    }
    node.append(hoverTools(message, channel));
  }
  return node;
}

function hoverTools(message, channel) {
  const tools = el("div", { class: "hover-tools" });
  tools.append(el("button", { type: "button", title: "Reply in thread", text: "💬 Reply", dataset: { testid: "reply-in-thread" }, onclick: (e) => { e.stopPropagation(); openThread(channel, message.ts); } }));
  const shortcuts = (S.data.shortcuts || []).filter((s) => s.type === "message");
  if (shortcuts.length) {
    const menu = el("div", { class: "menu", hidden: true });
    for (const shortcut of shortcuts) {
      menu.append(el("button", { type: "button", text: shortcut.name, onclick: (e) => {
        e.stopPropagation(); closeMenus();
        api("/ui/shortcut", { channel, ts: message.ts, callback_id: shortcut.callback_id });
      } }));
    }
    tools.append(el("div", { class: "overflow" },
      el("button", { type: "button", title: "More actions", text: "⋯", dataset: { testid: "message-shortcuts" }, onclick: (e) => {
        e.stopPropagation(); const open = menu.hidden; closeMenus(); menu.hidden = !open; tools.classList.toggle("open", open);
      } }), menu));
  }
  return tools;
}

function ephemeralNode(ephemeral) {
  const ctx = {
    surface: "message",
    act: (element, block, choice) => api("/ui/ephemeral_click", { id: ephemeral.id, action_id: element.action_id, ...choice }),
  };
  const content = ephemeral.blocks && ephemeral.blocks.length ? renderBlocks(ephemeral.blocks, ctx) : mrkdwn(ephemeral.text);
  return el("div", { class: "message ephemeral", dataset: { testid: "ephemeral", ts: ephemeral.ts } }, avatar(null, true),
    el("div", { class: "body" },
      el("div", { class: "meta" }, el("span", { class: "author", text: "jobgate" }), el("span", { class: "app-badge", text: "APP" }), el("span", { class: "time", text: timeOf(ephemeral.ts) })),
      el("div", { class: "ephemeral-note" }, "👁 Only visible to you",
        el("button", { type: "button", text: "Dismiss", onclick: () => api("/ui/dismiss", { id: ephemeral.id }) })),
      content));
}

// Keyed rendering: a message's node is rebuilt only when the message changed.
function renderList(container, items, keyOf, build) {
  const old = new Map([...container.children].filter((n) => n.jgKey).map((n) => [n.jgKey, n]));
  const nodes = items.map((item) => {
    const key = keyOf(item);
    const sig = JSON.stringify(item);
    const existing = old.get(key);
    if (existing && existing.jgSig === sig) return existing;
    const node = build(item);
    node.jgKey = key;
    node.jgSig = sig;
    return node;
  });
  const same = nodes.length === container.children.length && nodes.every((n, i) => container.children[i] === n);
  if (!same) container.replaceChildren(...nodes);
}

// ---------------------------------------------------------------- the page

function current() {
  return S.data.channels.find((c) => c.id === S.place) || S.data.channels[0];
}

function render() {
  const data = S.data;
  if (!data) return;
  if (!S.place || !data.channels.some((c) => c.id === S.place)) S.place = data.channels[0].id;
  document.title = `${current().kind === "app" ? "jobgate" : "#" + current().name} · ${data.title}`;
  $("team-name").textContent = data.title;
  $("demo").hidden = !data.demo;
  renderSwitcher();
  renderNav();
  renderHeader();
  const showHome = current().kind === "app" && S.tab === "home";
  $("messages").hidden = showHome;
  $("composer").hidden = showHome;
  $("home").hidden = !showHome;
  if (showHome) renderHome(); else renderChannel();
  renderThread();
  renderModal();
}

function renderSwitcher() {
  const select = $("who");
  const sig = JSON.stringify(S.data.people);
  if (select.jgSig !== sig) {
    select.replaceChildren(...S.data.people.map((p) => el("option", { value: p.id, text: `${p.real_name} (${p.role})` })));
    select.jgSig = sig;
  }
  select.value = S.me;
  const me = person(S.me);
  $("who-role").textContent = me ? `${me.title ? me.title + " · " : ""}${ROLE_WORDS[me.role] || me.role}` : "";
}

function renderNav() {
  const nav = $("nav");
  const channels = S.data.channels.filter((c) => c.kind === "channel");
  const apps = S.data.channels.filter((c) => c.kind === "app");
  const item = (c, label, extra) => {
    const unread = c.id !== S.place ? unreadCount(c.id) : 0;
    return el("button", {
      type: "button", class: `nav-item${c.id === S.place ? " active" : ""}${unread ? " unread" : ""}`,
      dataset: { channel: c.id, testid: `nav-${c.kind === "app" ? "app" : c.name}` },
      onclick: () => go(c.id, c.kind === "app" ? "home" : "channel"),
    }, extra, label, unread ? el("span", { class: "badge", text: String(unread) }) : null);
  };
  nav.replaceChildren(
    el("div", { class: "nav-heading", text: "Channels" }),
    ...channels.map((c) => item(c, c.name, el("span", { text: "#" }))),
    el("div", { class: "nav-heading", text: "Apps" }),
    ...apps.map((c) => item(c, "jobgate", el("span", { class: "app-dot", text: "jg" }))));
}

function unreadCount(channel) {
  const seen = S.seen[`${S.me}:${channel}`];
  const messages = S.data.messages[channel] || [];
  if (seen === undefined) return 0;
  return messages.filter((m) => Number(m.ts) > seen).length;
}

function markSeen() {
  const messages = S.data.messages[S.place] || [];
  const last = messages.length ? Number(messages[messages.length - 1].ts) : 0;
  S.seen[`${S.me}:${S.place}`] = last;
  for (const c of S.data.channels) {
    const key = `${S.me}:${c.id}`;
    if (S.seen[key] === undefined) {
      const list = S.data.messages[c.id] || [];
      S.seen[key] = list.length ? Number(list[list.length - 1].ts) : 0;
    }
  }
}

function renderHeader() {
  const c = current();
  const header = $("channel-header");
  if (c.kind === "app") {
    header.replaceChildren(el("span", { class: "app-dot avatar bot small", text: "jg" }), el("h1", { text: "jobgate" }),
      el("div", { class: "tabs", role: "tablist" },
        el("button", { type: "button", role: "tab", class: `tab${S.tab === "home" ? " active" : ""}`, dataset: { testid: "tab-home" }, text: "Home", onclick: () => go(c.id, "home") }),
        el("button", { type: "button", role: "tab", class: `tab${S.tab !== "home" ? " active" : ""}`, dataset: { testid: "tab-messages" }, text: "Messages", onclick: () => go(c.id, "channel") })));
    $("composer-input").placeholder = "Message jobgate";
  } else {
    const topic = c.id === S.data.channels[0].id ? "Review cards: approve, decline or hold; discuss in threads" : "Fraud and abuse reports";
    header.replaceChildren(el("h1", { text: `# ${c.name}` }), el("span", { class: "topic", text: topic }));
    $("composer-input").placeholder = `Message #${c.name}`;
  }
}

function renderChannel() {
  const container = $("messages");
  const channel = S.place;
  const wasAtBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  const messages = (S.data.messages[channel] || []).map((m) => ({ kind: "m", ...m }));
  const ephemerals = S.data.ephemerals.filter((e) => e.channel === channel || (!e.channel && current().kind === "channel")).map((e) => ({ kind: "e", ...e }));
  const items = [...messages, ...ephemerals].sort((a, b) => Number(a.ts) - Number(b.ts));
  if (!items.length) {
    container.replaceChildren(el("div", { class: "empty", text: current().kind === "app" ? "Direct messages from jobgate appear here." : "No messages yet. The demo platform's requests arrive here as cards." }));
  } else {
    if (container.querySelector(".empty")) container.replaceChildren();
    renderList(container, items, (i) => `${i.kind}:${i.ts}:${i.id ?? ""}`, (i) => (i.kind === "e" ? ephemeralNode(i) : messageNode(i, channel, { inChannel: true })));
  }
  const fresh = ephemerals.filter((e) => !S.shownEphemerals.has(e.id));
  for (const e of S.data.ephemerals) S.shownEphemerals.add(e.id);
  if (fresh.length && container.jgChannel === channel) S.jumpTo = { channel, ts: fresh[fresh.length - 1].ts };
  if (S.jumpTo && S.jumpTo.channel === channel) {
    const target = container.querySelector(`[data-ts="${CSS.escape(S.jumpTo.ts)}"]`);
    if (target) {
      target.scrollIntoView({ block: "center" });
      target.classList.add("highlight");
      setTimeout(() => target.classList.remove("highlight"), 2500);
      S.jumpTo = null;
    }
  } else if (wasAtBottom || container.jgChannel !== channel) {
    container.scrollTop = container.scrollHeight;
  }
  container.jgChannel = channel;
  markSeen();
}

function renderHome() {
  const home = $("home");
  if (S.homeOpened !== `${S.me}:${S.place}`) {
    S.homeOpened = `${S.me}:${S.place}`;
    api("/ui/home", {});
  }
  const view = S.data.home;
  const sig = JSON.stringify([S.me, view]);
  if (home.jgSig === sig) return;
  const previous = collectState(home);
  home.jgSig = sig;
  if (!view) {
    home.replaceChildren(el("div", { class: "b-header", text: "jobgate" }),
      el("p", { class: "home-note", dataset: { testid: "home-empty" }, text: "jobgate has not published a Home tab for you yet. Opening this tab sent it the app_home_opened event; when it answers with views.publish, the Home appears here." }));
    return;
  }
  const ctx = {
    surface: "home",
    act: (element, block, choice) => api("/ui/home_action", { action_id: element.action_id, values: collectState(home), ...choice }),
  };
  home.replaceChildren(renderBlocks(view.blocks, ctx));
  restoreState(home, previous);
}

function renderThread() {
  const pane = $("thread");
  const thread = S.thread;
  const parent = thread && (S.data.messages[thread.channel] || []).find((m) => m.ts === thread.ts);
  if (!parent) { pane.hidden = true; pane.jgSig = ""; return; }
  pane.hidden = false;
  const sig = JSON.stringify([S.me, parent]);
  if (pane.jgSig === sig) return;
  const draft = pane.querySelector("textarea");
  const text = draft ? draft.value : "";
  pane.jgSig = sig;
  const channel = S.data.channels.find((c) => c.id === thread.channel);
  const list = el("div", { class: "thread-list" }, messageNode(parent, thread.channel, {}),
    el("div", { class: "reply-count", text: `${parent.replies.length} ${parent.replies.length === 1 ? "reply" : "replies"}` }),
    parent.replies.map((r) => messageNode(r, thread.channel, {})));
  const input = el("textarea", { rows: 1, placeholder: "Reply…", dataset: { testid: "thread-composer" } });
  input.value = text;
  const form = el("form", { class: "composer", autocomplete: "off" }, input, el("button", { type: "submit", class: "send", text: "Send" }),
    el("div", { class: "composer-hint", text: "Replies are kept as the team's notes. Try @jobgate flag <why> or @jobgate history." }));
  wireComposer(form, input, () => ({ channel: thread.channel, thread_ts: thread.ts }));
  pane.replaceChildren(el("div", { class: "thread-head" },
    el("h2", {}, "Thread", el("span", { class: "sub", text: `#${channel ? channel.name : ""}` })),
    el("button", { type: "button", class: "x", "aria-label": "Close thread", text: "×", onclick: () => { S.thread = null; render(); } })),
  list, form);
  list.scrollTop = list.scrollHeight;
}

function renderModal() {
  const root = $("modal-root");
  const views = S.data.views;
  const top = views[views.length - 1];
  const sig = top ? JSON.stringify([top.id, top.hash, top.view, top.errors]) : "";
  if (sig === S.modalSig) return;
  const previous = S.modalSig && top && root.jgViewId === top.id ? collectState(root) : {};
  S.modalSig = sig;
  if (!top) { root.hidden = true; root.replaceChildren(); root.jgViewId = null; return; }
  const view = top.view;
  const ctx = {
    surface: "modal", viewErrors: top.errors,
    act: (element, block, choice) => api("/ui/view_action", { view_id: top.id, action_id: element.action_id, values: collectState(root), ...choice }),
  };
  const close = () => api("/ui/close", { view_id: top.id });
  const form = el("form", { class: "modal", role: "dialog", "aria-modal": "true", dataset: { testid: "modal", callbackId: view.callback_id || "" } },
    el("div", { class: "modal-head" }, el("h2", { text: plainText(view.title) }),
      el("button", { type: "button", class: "x", "aria-label": "Close", text: "×", onclick: close })),
    el("div", { class: "modal-body" }, renderBlocks(view.blocks, ctx)),
    el("div", { class: "modal-foot" },
      el("button", { type: "button", class: "btn", text: view.close ? plainText(view.close) : "Cancel", onclick: close }),
      view.submit ? el("button", { type: "submit", class: "btn primary", dataset: { testid: "modal-submit" }, text: plainText(view.submit) }) : null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    const answer = await api("/ui/submit", { view_id: top.id, values: collectState(form) });
    if (button) button.disabled = false;
    if (answer.errors && Object.keys(answer.errors).length) toast("Please check the form.", true);
  });
  root.replaceChildren(form);
  root.jgViewId = top.id;
  restoreState(root, previous);
  root.hidden = false;
}

// ---------------------------------------------------------------- navigation and input

function go(channel, tab) {
  S.place = channel;
  S.tab = tab;
  if (tab === "home") S.homeOpened = null;
  location.hash = channel;
  render();
}

function openThread(channel, ts) {
  S.thread = { channel, ts };
  render();
  const input = $("thread").querySelector("textarea");
  if (input) input.focus();
}

function openPermalink(href) {
  const match = href.match(/\/archives\/([^/]+)\/p(\d+)/);
  if (!match) return;
  const digits = match[2];
  S.jumpTo = { channel: match[1], ts: `${digits.slice(0, -6)}.${digits.slice(-6)}` };
  go(match[1], "channel");
}

function wireComposer(form, input, where) {
  const send = async () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    await api("/ui/message", { text, ...where() });
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });
}

function start() {
  const params = new URLSearchParams(location.search);
  S.me = params.get("user") || localStorage.getItem("jobgate-sandbox-user") || "";
  const [channel, ts] = decodeURIComponent(location.hash.slice(1)).split("/");
  if (channel) S.place = channel;
  if (channel && ts) S.jumpTo = { channel, ts };
  $("who").addEventListener("change", (event) => {
    S.me = event.target.value;
    localStorage.setItem("jobgate-sandbox-user", S.me);
    S.etag = "";
    S.modalSig = "";
    S.homeOpened = null;
    S.shownEphemerals = new Set();
    $("messages").jgChannel = null;
    toast(`You are now ${displayName(S.me)}.`);
    poll();
  });
  wireComposer($("composer"), $("composer-input"), () => ({ channel: S.place }));
  $("demo-more").addEventListener("click", () => api("/ui/demo/more", {}));
  $("demo-digest").addEventListener("click", async () => {
    const review = S.data && S.data.channels[0];
    if (review) { go(review.id, "channel"); $("messages").scrollTop = $("messages").scrollHeight; }
    await api("/ui/demo/digest", {});
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && S.data && S.data.views.length) api("/ui/close", { view_id: S.data.views[S.data.views.length - 1].id });
  });
  bootstrap();
}

async function bootstrap() {
  // the first person of the workspace when none was chosen (or the chosen one is gone)
  try {
    const people = await (await fetch("/ui/people")).json();
    if (!people.some((p) => p.id === S.me)) S.me = people[0].id;
  } catch (error) {
    setStatus(false);
  }
  poll();
}

start();
