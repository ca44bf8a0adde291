"""The rating page's stylesheet and script, inlined into every index.html (the page must
open from file:// with no network, so nothing is linked).

The script reads the study (items as data: URLs, the choices, the exposure time) from the
`study-data` JSON block, keeps the answers in localStorage under the study's hash (a
reload resumes where the rater was), and exports them as one JSON file: a download and
the same text in the `export` textarea. The answer key is never on the page.
"""

CSS = """
:root { color-scheme: light dark; --accent: #3a7bd5; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, sans-serif; background: #1d1f21; color: #e8e8e8; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; text-align: center; }
header { display: flex; justify-content: space-between; gap: 12px; color: #aaa; font-size: 14px; }
#bar { height: 6px; background: #333; border-radius: 3px; margin: 8px 0 16px; overflow: hidden; }
#bar > div { height: 100%; width: 0; background: var(--accent); transition: width .15s; }
h1 { font-size: 22px; margin: 8px 0 12px; }
#question { font-size: 20px; margin: 4px 0 12px; }
#stage { display: flex; justify-content: center; gap: 24px; min-height: 200px; }
figure { margin: 0; background: #000; display: flex; align-items: center; justify-content: center; }
figure img { display: block; image-rendering: pixelated; image-rendering: crisp-edges;
             width: min(56vh, 80vw); height: auto; }
.pair figure img { width: min(50vh, 44vw); }
.hidden-image img { visibility: hidden; }
figcaption { display: none; }
.pair figcaption { display: block; color: #aaa; font-size: 13px; padding: 4px; }
.pair figure { flex-direction: column; }
#buttons { margin: 16px 0; display: flex; justify-content: center; gap: 16px; }
button { font: inherit; padding: 10px 22px; border-radius: 6px; border: 1px solid #555;
         background: #2b2e31; color: inherit; cursor: pointer; }
button.choice { min-width: 170px; font-size: 18px; }
button:hover { border-color: var(--accent); }
kbd { font: 13px ui-monospace, monospace; border: 1px solid #666; border-radius: 3px; padding: 0 5px; }
#intro p, #done p { max-width: 680px; margin: 10px auto; text-align: left; }
input { font: inherit; padding: 6px 10px; border-radius: 5px; border: 1px solid #555; background: #111; color: inherit; }
textarea { width: 100%; height: 180px; font: 12px ui-monospace, monospace; background: #111; color: #ccc; }
.hint { color: #999; font-size: 14px; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var study = JSON.parse(document.getElementById("study-data").textContent);
  var storeKey = "gantool-rate-" + study.study;
  var $ = function (id) { return document.getElementById(id); };
  var state = restore();
  var shownAt = 0, exposureTimer = null;

  function restore() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storeKey));
      if (saved && saved.study === study.study && Array.isArray(saved.answers)) { return saved; }
    } catch (e) { /* no storage (private mode) or a damaged entry: start afresh */ }
    return null;
  }
  function persist() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* keeps working without */ }
  }
  function now() { return new Date().toISOString(); }
  function newSession() {
    var bytes = new Uint8Array(8);
    (window.crypto || {getRandomValues: function (a) { for (var i = 0; i < a.length; i++) { a[i] = Math.random() * 256; } return a; }})
      .getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function exported() {
    return {format: study.answers_format, study: study.study, protocol: study.protocol, rater: state.rater,
            session: state.session, client: "browser", started: state.started, finished: state.finished || null,
            complete: state.answers.length === study.items.length, answers: state.answers};
  }
  function show(section) {
    ["intro", "rate", "done"].forEach(function (id) { $(id).hidden = id !== section; });
  }
  function progress() {
    var done = state ? state.answers.length : 0;
    $("progress").textContent = done + " / " + study.items.length;
    $("bar").firstElementChild.style.width = (100 * done / study.items.length) + "%";
  }
  function render() {
    progress();
    if (!state) { show("intro"); $("rater").focus(); return; }
    var position = state.answers.length;
    if (position >= study.items.length) { finish(); return; }
    show("rate");
    var item = study.items[position];
    var stage = $("stage");
    stage.className = item.images.length > 1 ? "pair" : "single";
    stage.innerHTML = "";
    item.images.forEach(function (src, i) {
      var figure = document.createElement("figure");
      var img = document.createElement("img");
      img.src = src; img.alt = "item " + item.id + (item.images.length > 1 ? (i ? " right" : " left") : "");
      var caption = document.createElement("figcaption");
      caption.textContent = i ? "right" : "left";
      figure.appendChild(img); figure.appendChild(caption); stage.appendChild(figure);
    });
    $("item-id").textContent = item.id;
    shownAt = performance.now();
    clearTimeout(exposureTimer);
    if (study.exposure_ms > 0) {
      exposureTimer = setTimeout(function () { stage.classList.add("hidden-image"); }, study.exposure_ms);
    }
  }
  function answer(value) {
    if (!state || state.answers.length >= study.items.length) { return; }
    var item = study.items[state.answers.length];
    state.answers.push({item: item.id, answer: value, ms: Math.round(performance.now() - shownAt)});
    if (state.answers.length === study.items.length) { state.finished = now(); }
    persist(); render();
  }
  function undo() {
    if (!state || !state.answers.length) { return; }
    state.answers.pop(); state.finished = null; persist(); render();
  }
  function finish() {
    show("done");
    $("export").value = JSON.stringify(exported(), null, 1);
  }
  function download() {
    var blob = new Blob([$("export").value], {type: "application/json"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "answers-" + (state.rater || "rater").replace(/[^A-Za-z0-9_-]+/g, "_") + "-" + study.study.slice(0, 8) + ".json";
    document.body.appendChild(link); link.click(); link.remove();
  }
  function start() {
    state = {study: study.study, rater: $("rater").value.trim() || "anonymous", session: newSession(),
             started: now(), finished: null, answers: []};
    persist(); render();
  }

  study.choices.forEach(function (choice, i) {
    var button = $("choice-" + i);
    button.innerHTML = choice.label + " <kbd>" + choice.key.toUpperCase() + "</kbd>";
    button.addEventListener("click", function () { answer(choice.value); });
  });
  $("start").addEventListener("click", start);
  $("undo").addEventListener("click", undo);
  $("download").addEventListener("click", download);
  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "INPUT") {
      if (event.key === "Enter") { start(); }
      return;
    }
    if (event.target.tagName === "TEXTAREA" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key.toLowerCase();
    if (key === "backspace" || key === "u") { event.preventDefault(); undo(); return; }
    study.choices.forEach(function (choice) { if (key === choice.key) { event.preventDefault(); answer(choice.value); } });
  });
  render();
})();
"""
